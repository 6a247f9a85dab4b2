"""`make ui` in a real browser: the UI comes up on loopback with the sandbox behind it, shows the
asset groups; a materialisation launched from the UI succeeds and its quarantine preview shows; a
partition backfill of Meta days completes; freshness statuses show; the nightly's ingest, failing on
one stream, says which, why and the fix in its first line and leaves the built assets as they were.

Starts `python -m pipelines ui` (what `make ui` runs) against a tiny sandbox world started here
(HubSpot drops an id on every page, so records are quarantined; ShipStation is pointed at a path
that does not exist, so its stream fails), drives Debian's headless chromium through Playwright,
and keeps screenshots under test-artifacts/.
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

from pipeline_runs import AS_OF, SCALE, SEED
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_clock_env, sandbox_env
from sandbox.server import running_sandbox
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
    with running_sandbox(seed=SEED, scale=SCALE, as_of=AS_OF, faults="hubspot:missing_id@always",
                         data_dir=tmp_path_factory.mktemp("ui-world")) as sandbox:
        env.update(sandbox_env(sandbox.url, list(SYSTEM_PREFIXES)))
        env.update(sandbox_clock_env(env, AS_OF))
        env.update(
            HUB_DATA_DIR=str(data_dir),
            HUB_UI_PORT=str(port),  # no --port: the command listens where the setting says, and says so
            HUB_SHIPSTATION_BASE_URL=f"{sandbox.url}/no-such-shipstation",
            HUB_MAX_QUARANTINE_RATE="1",  # the quarantined records are the point here, not a failed check
            FRESHNESS_DAEMON_INTERVAL_SECONDS="5",  # Dagster's freshness daemon; 30 s by default
        )
        yield from _serve(env, data_dir, port)


def _serve(env: dict[str, str], data_dir: Path, port: int) -> Iterator[tuple[str, Path]]:
    log_path = data_dir / "ui.log"
    with open(log_path, "wb") as log:
        # Started as a shell starts a background job: SIGINT ignored (inherited through exec).
        # The SIGTERM in _stop must still stop `dagster dev` and everything under it.
        process = subprocess.Popen(
            ["sh", "-c", 'trap "" INT; exec "$0" -m pipelines ui', sys.executable],
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
    url, data_dir = ui
    assert listening_hosts(int(url.rsplit(":", 1)[1])) == {"127.0.0.1"}
    assert f"Dagster UI on {url} " in (data_dir / "ui.log").read_text()  # the address printed follows HUB_UI_PORT


def test_asset_graph_shows_every_group(ui: tuple[str, Path], page) -> None:  # noqa: F811
    url, _ = ui
    page.goto(f"{url}/asset-groups")
    for group in GROUPS:
        page.get_by_text(group, exact=True).first.wait_for(state="visible")
    save_screenshot(page, "dagster-asset-graph")


def launch_from_asset_page(page, url: str, asset_path: str) -> str:  # noqa: ANN001 (a Playwright Page)
    """Click Materialize on an unpartitioned asset's page, open the run and wait for its end; its status."""
    page.goto(f"{url}/assets/{asset_path}")
    page.locator("button", has_text=re.compile(r"^\s*Materialize\s*$")).first.click()
    toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}")).first
    toast.wait_for(state="visible")
    run_prefix = toast.inner_text().split()[-1]
    page.goto(f"{url}/runs")
    page.get_by_role("link", name=run_prefix).first.click()
    page.wait_for_url(re.compile(rf"/runs/{run_prefix}[0-9a-f-]+"))
    status = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    status.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
    return status.inner_text()


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    """One GraphQL call to the UI's server; its `data`, failing the test on errors."""
    answer = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60).json()
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


@pytest.mark.usefixtures("meta_backfill")  # launched first: the backfill's run overlaps this one
def test_materialise_from_the_ui_succeeds_and_previews_its_quarantine(ui: tuple[str, Path], page) -> None:  # noqa: F811
    url, data_dir = ui
    status = launch_from_asset_page(page, url, "hubspot/companies")
    save_screenshot(page, "dagster-run-from-ui")
    assert status == "Success"
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.hubspot__companies").fetchone()[0] > 0
        reason = con.execute("select reason from raw._quarantine where stream = 'hubspot__companies' limit 1").fetchone()
    assert reason, "the sandbox dropped no id: the preview would prove nothing"
    # The asset's latest materialisation lists the quarantined records as a table in the UI.
    page.goto(f"{url}/assets/hubspot/companies?view=events")
    page.get_by_text("quarantine_preview").first.wait_for(state="visible")
    preview = page.get_by_text(reason[0][:40]).first
    preview.wait_for(state="visible")
    preview.scroll_into_view_if_needed()
    save_screenshot(page, "dagster-quarantine-preview")


LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""


BACKFILL_STATUS = """
query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }
"""


BACKFILL_DAYS = [f"2026-10-{day}" for day in range(25, 32)]


@pytest.fixture(scope="module")
def meta_backfill(ui: tuple[str, Path]) -> str:
    """A partition backfill of Meta days, launched as the UI's backfill dialog does (GraphQL): its id.
    Started by the first test that asks, so its run overlaps the other tests' runs."""
    params = {"assetSelection": [{"path": ["meta", "insights"]}], "partitionNames": BACKFILL_DAYS}
    launched = graphql(ui[0], LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def test_a_partition_backfill_of_meta_days_completes(ui: tuple[str, Path], meta_backfill: str, page) -> None:  # noqa: F811
    """Watched in the UI to its end, checked in the warehouse."""
    url, data_dir = ui
    page.goto(f"{url}/runs/b/{meta_backfill}")
    # The progress bar reaches 100% when every targeted partition ended, succeeded or failed.
    page.get_by_text("100% completed").first.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
    save_screenshot(page, "dagster-partition-backfill")
    backfill = backfill_once_ended(url, meta_backfill)
    assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, backfill
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        loaded = {row[0] for row in con.execute("select distinct _record->>'date_start' from raw.meta__insights").fetchall()}
    assert loaded and loaded <= set(BACKFILL_DAYS)  # only the days asked for, from a warehouse that had none


BACKFILL_ENDED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def backfill_once_ended(url: str, backfill_id: str) -> dict:
    """The backfill's status once the daemon has recorded its end: its runs can all be over (the
    UI's 100%) a daemon tick before the backfill itself leaves REQUESTED."""
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while True:
        backfill = graphql(url, BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
        if backfill["status"] in BACKFILL_ENDED or time.monotonic() > deadline:
            return backfill
        time.sleep(0.5)  # polling the daemon's record, bounded by the deadline above


FRESHNESS = """
query($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) { ... on AssetNode { freshnessStatusInfo { freshnessStatus } } }
}"""
# What the asset page says for each status (Dagster's own labels).
FRESHNESS_LABELS = {"HEALTHY": "Passing", "WARNING": "Warning", "DEGRADED": "Failed", "UNKNOWN": "Not evaluated"}


def test_freshness_statuses_show(ui: tuple[str, Path], page) -> None:  # noqa: F811
    """A stream loaded minutes ago passes; the marts and the published file, never built here, have a
    policy whose status the asset page shows as Dagster evaluated it."""
    url, _ = ui
    deadline = time.monotonic() + 120
    while _freshness(url, ["hubspot", "companies"]) == "UNKNOWN" and time.monotonic() < deadline:
        time.sleep(1)  # polling until the daemon's next evaluation, not waiting out a race
    for path, expected in ((["hubspot", "companies"], {"HEALTHY"}), (["published_marts"], None), (["mart_sales_vs_fulfilment"], None)):
        status = _freshness(url, path)
        assert status is not None, f"{path} has no freshness policy"
        if expected is not None:
            assert status in expected
        page.goto(f"{url}/assets/{'/'.join(path)}")
        page.get_by_text("Freshness", exact=False).first.wait_for(state="visible")
        page.get_by_text(FRESHNESS_LABELS[status], exact=True).first.wait_for(state="visible")
        save_screenshot(page, f"dagster-freshness-{'-'.join(path)}")


def _freshness(url: str, path: list[str]) -> str | None:
    """The asset's freshness status as Dagster evaluated it, or None when it has no policy."""
    info = graphql(url, FRESHNESS, {"path": path})["assetNodeOrError"]["freshnessStatusInfo"]
    return info["freshnessStatus"] if info else None


REPORT_MATERIALIZATION = """
mutation($params: ReportRunlessAssetEventsParams!) {
  reportRunlessAssetEvents(eventParams: $params) { __typename ... on PythonError { message } }
}"""
LOCATION = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}"""
RUN_EVENTS = """
query($id: ID!) {
  runOrError(runId: $id) {
    ... on Run { eventConnection(limit: 5000) { events { __typename ... on MessageEvent { message stepKey } } } }
  }
}"""
LATEST = """
query($keys: [AssetKeyInput!]!) {
  assetsLatestInfo(assetKeys: $keys) {
    assetKey { path } latestRun { runId status } latestMaterialization { runId description }
  }
}"""
# What the nightly builds after a successful ingest: a model, a mart, the published file.
BUILT = [["stg_shipstation__shipments"], ["mart_sales_vs_fulfilment"], ["published_marts"]]


def test_a_failed_nightly_ingest_says_which_why_and_the_fix_first_and_leaves_the_built_assets_as_they_were(
    ui: tuple[str, Path], page  # noqa: F811
) -> None:
    """The schedule's job, launched from the UI for the stream that fails (its twelve streams take
    minutes here; that the job plans no model is held by test_pipelines_definitions.py): the run page's
    failure leads with the stream, why and the fix; the models and published_marts, whose last
    materialisation was reported before, still show it, with no failed run as their latest."""
    url, _ = ui
    for path in BUILT:  # the last good night, as the UI's "Report materialization" dialog records it
        params = {"eventType": "ASSET_MATERIALIZATION", "assetKey": {"path": path}, "description": "the last good night"}
        reported = graphql(url, REPORT_MATERIALIZATION, {"params": params})["reportRunlessAssetEvents"]
        assert reported["__typename"] == "ReportRunlessAssetEventsSuccess", reported
    (repository,) = graphql(url, LOCATION)["repositoriesOrError"]["nodes"]
    selector = {"repositoryLocationName": repository["location"]["name"], "repositoryName": repository["name"],
                "jobName": "nightly_ingest", "assetSelection": [{"path": ["shipstation", "shipments"]}],
                # the stream's own check, as the job holds it (the dbt test of its source runs with the build)
                "assetCheckSelection": [{"assetKey": {"path": ["shipstation", "shipments"]}, "name": "quarantine_under_threshold"}]}
    launched = graphql(url, LAUNCH_RUN, {"params": {"selector": selector, "runConfigData": {}}})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    page.goto(f"{url}/runs/{run_id}")
    status = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    status.wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
    assert status.inner_text() == "Failure"
    page.get_by_text(re.compile(r"^shipstation__shipments failed: .*Fix: ")).first.wait_for(state="visible")
    save_screenshot(page, "dagster-failed-nightly-ingest")
    events = graphql(url, RUN_EVENTS, {"id": run_id})["runOrError"]["eventConnection"]["events"]
    (failure,) = [event for event in events if event["__typename"] == "RunFailureEvent"]
    first = failure["message"].splitlines()[0]
    assert first.startswith("shipstation__shipments failed: ") and "404" in first and "Fix: " in first, failure
    assert {event.get("stepKey") for event in events} <= {None, "shipstation__shipments"}  # no dbt step planned

    latest = graphql(url, LATEST, {"keys": [{"path": path} for path in BUILT]})["assetsLatestInfo"]
    shown = {tuple(info["assetKey"]["path"]): (info["latestRun"], info["latestMaterialization"]["description"])
             for info in latest}
    assert shown == {tuple(path): (None, "the last good night") for path in BUILT}  # no failed run planned them
    page.goto(f"{url}/assets/published_marts")
    page.get_by_text("Materialized", exact=False).first.wait_for(state="visible")
    save_screenshot(page, "dagster-published-marts-after-failed-ingest")
