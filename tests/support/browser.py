"""A real headless browser for UI tests: Debian's `chromium` driven by Playwright's Python client.

Playwright never downloads a browser here: the tests launch the system's chromium by path
(`HUB_CHROMIUM`, else `chromium` on PATH, else /usr/bin/chromium; `make test` installs it).
When it is missing the browser tests skip with the reason, except under CI (`CI=true`), where
a missing browser is a failure: CI must prove the UI works.

The fixtures are registered once, in tests/conftest.py; a test asks for them by name:

    from support.browser import save_screenshot

    def test_ui(page):
        page.goto("http://127.0.0.1:3000")
        save_screenshot(page, "ui-home")   # -> test-artifacts/ui-home.png

`tests/` is on `sys.path` through its root conftest, so `support.browser` imports as shown.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_DIR / "test-artifacts"
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
# Headless, no sandbox (we run as root in CI), and nothing that phones home or updates itself.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# Generous, because the Dagster UI's first paint compiles a large bundle on 2 cores.
DEFAULT_TIMEOUT_MS = 60_000


def chromium_executable() -> Path | None:
    """The system chromium to launch, or None when this machine has none."""
    configured = os.environ.get("HUB_CHROMIUM")
    if configured:
        return Path(configured)
    found = shutil.which("chromium")
    if found:
        return Path(found)
    return DEFAULT_CHROMIUM if DEFAULT_CHROMIUM.exists() else None


def require_chromium() -> Path:
    """The chromium path; skips the test when missing, fails instead under CI."""
    executable = chromium_executable()
    if executable is not None and executable.exists():
        return executable
    reason = (
        "Debian's chromium is not installed (looked at $HUB_CHROMIUM, PATH and /usr/bin/chromium); "
        "`make test` installs it with `apt-get install chromium`"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser test cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the whole session (a `playwright.sync_api.Browser`)."""
    executable = require_chromium()
    # Belt and braces: nothing in this process may fetch a browser build.
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page in its own context; its last state is kept as `test-artifacts/<test>-last.png`."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        # Pass or fail, the last thing the browser showed is the first thing to look at.
        save_screenshot(new_page, f"{request.node.name}-last")
        context.close()


def save_screenshot(page: object, name: str) -> Path:
    """Write a full-page screenshot to `test-artifacts/<name>.png` (git-ignored) and return its path."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    path = ARTIFACTS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

