"""`make ui` in a real browser: the UI comes up on loopback with the sandbox behind it, shows the
asset groups, and a materialisation launched from the UI succeeds.

Starts `python -m pipelines ui` (what `make ui` runs) with a tiny sandbox world, drives Debian's
headless chromium through Playwright, and keeps screenshots under test-artifacts/.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from support.browser import save_screenshot

REPO_DIR = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 240  # world generation, dbt parse and the code server on a busy 2-core machine
RUN_TIMEOUT_MS = 180_000
SHUTDOWN_TIMEOUT_S = 30  # below the code server's 45 s heartbeat: it must stop because it was told to
GROUPS = ("hubspot", "meta", "google_ads", "docusign", "shipstation", "ecb", "staging", "intermediate", "marts")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_hosts(port: int) -> set[str]:
    """Local addresses (IPv4 dotted, IPv6 as the kernel's hex) listening on TCP `port`."""
    hosts = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                ipv4 = len(address) == 8
                hosts.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]) if ipv4 else address)
    return hosts


@pytest.fixture(scope="module")
def ui(dbt_manifest: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`python -m pipelines ui` on a free loopback port: its URL and data folder."""
    data_dir = tmp_path_factory.mktemp("ui")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not (k.startswith("HUB_") or k == "DAGSTER_HOME")}
    env.update(HUB_DATA_DIR=str(data_dir), HUB_SANDBOX_SCALE="tiny", HUB_SANDBOX_AS_OF="2026-11-01")
    log_path = data_dir / "ui.log"
    with open(log_path, "wb") as log:
        # Started as a shell starts a background job: SIGINT ignored (inherited through exec).
        # The SIGTERM in _stop must still stop `dagster dev` and everything under it.
        process = subprocess.Popen(
            ["sh", "-c", 'trap "" INT; exec "$0" -m pipelines ui --port "$1"', sys.executable, str(port)],
            cwd=REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log_path)
        yield url, data_dir
    finally:
        _stop(process)


def _wait_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`python -m pipelines ui` exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)  # polling for readiness, not waiting out a race
    pytest.fail(f"the UI did not answer within {STARTUP_TIMEOUT_S}s:\n{log_path.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM, as a service manager would: the CLI must stop dagster dev and the sandbox with it."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    finally:
        # dagster dev returns while its code server is still shutting down: give that a moment.
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S
        while (left := _alive_in_session(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.5)
        if left:
            os.killpg(process.pid, signal.SIGKILL)  # only our own session, and only after failing
            pytest.fail(f"processes left running after `pipelines ui` got SIGTERM: {left}")


def _alive_in_session(session_id: int) -> list[str]:
    """Command lines of live (not zombie) processes in the session `session_id` leads."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # state, ppid, pgrp, session, ...
            if int(fields[3]) == session_id and fields[0] != "Z":
                alive.append(f"{stat.parent.name}: {(stat.parent / 'cmdline').read_bytes()[:120]!r}")
        except (OSError, IndexError):
            continue  # the process ended while we looked
    return alive


def test_ui_binds_loopback_only(ui: tuple[str, Path]) -> None:
    url, _ = ui
    assert listening_hosts(int(url.rsplit(":", 1)[1])) == {"127.0.0.1"}


def test_asset_graph_shows_every_group(ui: tuple[str, Path], page) -> None:  # noqa: F811
    url, _ = ui
    page.goto(f"{url}/asset-groups")
    for group in GROUPS:
        page.get_by_text(group, exact=True).first.wait_for(state="visible")
    save_screenshot(page, "dagster-asset-graph")


def test_materialise_from_the_ui_succeeds(ui: tuple[str, Path], page) -> None:  # noqa: F811
    url, data_dir = ui
    page.goto(f"{url}/assets/ecb/rates")
    page.locator("button", has_text=re.compile(r"^\s*Materialize\s*$")).first.click()
    toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}")).first
    toast.wait_for(state="visible")
    run_prefix = toast.inner_text().split()[-1]
    page.goto(f"{url}/runs")
    page.get_by_role("link", name=run_prefix).first.click()
    page.wait_for_url(re.compile(rf"/runs/{run_prefix}[0-9a-f-]+"))
    status = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    status.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
    save_screenshot(page, "dagster-run-from-ui")
    assert status.inner_text() == "Success"
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.ecb__rates").fetchone()[0] > 0
