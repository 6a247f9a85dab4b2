"""A failing blocking check keeps the marts from being published, and the run failure is alerted.

Runs only our mart checks and the publish step against a copy of the nightly run's warehouse,
with a threshold the tiny world cannot meet; the alert goes to a local HTTP receiver.
"""

import json
import shutil
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline_runs import check_evaluations, materializations, NightlyRun
from support.dbt_harness import invoke_dbt

CHECK = "unattributed_lead_rate_under_threshold"


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    """A Slack-like receiver on loopback: its URL and the JSON bodies it was sent."""
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/services/T000/B000/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_failing_blocking_check_stops_publish_and_fires_the_alert(
    nightly: NightlyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: tuple[str, list[dict]]
) -> None:
    measured = check_evaluations(nightly.result)[f"fct_leads:{CHECK}"].metadata["count"].value
    assert measured > 0, "the tiny world has no unattributed lead: a zero threshold would prove nothing"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for name in ("warehouse.duckdb", "marts.duckdb"):
        shutil.copy(nightly.data_dir / name, data_dir / name)
    published_before = (data_dir / "marts.duckdb").read_bytes()
    for name, value in {**nightly.env, "HUB_DATA_DIR": str(data_dir)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HUB_MAX_UNATTRIBUTED_LEAD_RATE", "0")
    url, received = webhook
    monkeypatch.setenv("HUB_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("HUB_UI_URL", "http://127.0.0.1:3999")

    from pipelines.checks.marts import MART_CHECKS
    from pipelines.definitions import build_definitions

    job = dg.define_asset_job(
        "recheck_and_publish",
        selection=dg.AssetSelection.checks(*MART_CHECKS) | dg.AssetSelection.assets("published_marts"),
    )
    defs = dg.Definitions.merge(build_definitions({}), dg.Definitions(jobs=[job]))
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("recheck_and_publish").execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        evaluation = check_evaluations(result)[f"fct_leads:{CHECK}"]
        assert not evaluation.passed
        assert "HUB_MAX_UNATTRIBUTED_LEAD_RATE" in evaluation.description
        materialized = {e.asset_key.to_user_string() for e in result.all_events if e.is_step_materialization}
        assert "published_marts" not in materialized
        assert (data_dir / "marts.duckdb").read_bytes() == published_before  # BI keeps the last good marts

        alert_on(result, instance)

    assert len(received) == 1
    text = received[0]["text"]
    failed_step = next(e.step_key for e in result.all_events if e.is_step_failure)
    assert CHECK in failed_step
    assert "`recheck_and_publish`" in text
    assert failed_step in text
    assert "failed" in text.lower() and "check" in text.lower()
    assert f"http://127.0.0.1:3999/runs/{result.run_id}" in text


def test_alert_is_short_and_a_dead_webhook_is_logged_without_its_url(caplog: pytest.LogCaptureFixture) -> None:
    from pipelines.alerts import failure_message, post_alert

    body = failure_message("nightly", "abcdef0123456789", ["dbt_models"], "x" * 2000, "http://127.0.0.1:3000/")
    assert body["text"].count("x") <= 500
    assert "<http://127.0.0.1:3000/runs/abcdef0123456789|" in body["text"]
    secret_url = "http://127.0.0.1:9/services/T000/B000/secret-part"  # port 9 (discard): refused
    with caplog.at_level("WARNING"):
        post_alert(secret_url, body)
    assert "alert webhook failed" in caplog.text
    assert "secret-part" not in caplog.text


def test_reconciliation_fails_on_a_mart_one_cent_off(nightly: NightlyRun, tmp_path: Path) -> None:
    """The dbt test `totals_reconcile_with_facts` (Dagster's check of the same name on the mart) fails on a
    mart one cent off the facts, its stored failure naming the month, the channel and the measure."""
    shutil.copy(nightly.data_dir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        month, channel = con.execute(
            "select month, channel from mart_sales_vs_fulfilment where booked_value > 0 order by month, channel limit 1"
        ).fetchone()
        con.execute(
            "update mart_sales_vs_fulfilment set booked_value = booked_value + 0.01 where month = ? and channel = ?",
            [month, channel],
        )
    env = {name: value for name, value in nightly.env.items() if name != "HUB_DATA_DIR"}  # the copy, not the night's
    result = invoke_dbt(["test", "--select", "totals_reconcile_with_facts"], tmp_path, env=env)
    assert not result.success
    tests = [r for r in result.result.results if r.node.resource_type == "test"]  # not the on-run hooks
    assert [(r.node.name, str(r.status), r.failures) for r in tests] == [
        ("totals_reconcile_with_facts", "fail", 1)
    ]
    # a plain connect: dbt ran in this process and DuckDB hands back the database it holds open
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        failures = con.execute(
            "select problem, measure, month, channel, fact_total - mart_total "
            "from main_dbt_test__audit.totals_reconcile_with_facts"
        ).fetchall()
    assert failures == [("totals differ", "booked_value", month, channel, Decimal("-0.01"))]


def test_a_failed_stream_says_which_why_and_the_fix_first_and_leaves_the_others_loaded(
    tiny_sandbox_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: tuple[str, list[dict]]
) -> None:
    """ShipStation answers 404 (a wrong base URL): its step fails with one line naming the stream, the
    reason and the fix, the run's failure event and the alert lead with that line, and Meta, run
    beside it, loads as usual. The build is launched after a successful ingest only."""
    root = tiny_sandbox_env["HUB_ECB_BASE_URL"].rsplit("/", 1)[0]
    wrong = {"HUB_DATA_DIR": str(tmp_path), "HUB_SHIPSTATION_BASE_URL": f"{root}/no-such-shipstation"}
    for name, value in {**tiny_sandbox_env, **wrong}.items():
        monkeypatch.setenv(name, value)
    url, received = webhook
    monkeypatch.setenv("HUB_ALERT_WEBHOOK_URL", url)
    from pipelines.definitions import build_definitions
    from pipelines.sensors import build_after_ingest

    defs = build_definitions({})
    ingest = defs.resolve_job_def("nightly_ingest")
    shipments, meta = dg.AssetKey(["shipstation", "shipments"]), dg.AssetKey(["meta", "insights"])
    with dg.instance_for_test() as instance:
        tick = dg.build_sensor_context(instance=instance, definitions=defs)
        tick.update_cursor(build_after_ingest.evaluate_tick(tick).cursor)  # a run status sensor starts from now
        result = ingest.execute_in_process(instance=instance, raise_on_error=False, asset_selection=[shipments, meta])
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        first_line = failure.step_failure_data.user_failure_data.description.splitlines()[0]
        alert_on(result, instance)
        after_failure = build_after_ingest.evaluate_tick(tick)
        tick.update_cursor(after_failure.cursor)
        rerun = ingest.execute_in_process(instance=instance, asset_selection=[meta])  # the ingest, once it succeeds
        after_success = build_after_ingest.evaluate_tick(tick)

    assert failure.step_key == "shipstation__shipments"
    assert first_line.startswith("shipstation__shipments failed: ")
    assert "404" in first_line and "Fix: " in first_line
    assert result.get_run_failure_event().message.splitlines()[0] == first_line  # before Dagster's own words
    assert received[0]["text"].splitlines()[0] == f":red_circle: {first_line}"
    assert "meta/insights" in materializations(result)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.meta__insights").fetchone()[0] > 0
    assert not after_failure.run_requests  # nothing is built from a failed ingest
    (build,) = after_success.run_requests
    assert (build_after_ingest.job_name, build.run_key) == ("nightly_build", rerun.run_id)


def test_ingest_assets_show_their_table_rows_schema_and_quarantine(nightly: NightlyRun) -> None:
    """As dagster-dbt's models do: table name, the raw table's total rows and its columns; and the
    stream's quarantined records counted and previewed (ids and reasons, never the payload)."""
    shown = materializations(nightly.result)
    with duckdb.connect(str(nightly.data_dir / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select count(*) from raw.hubspot__contacts").fetchone()[0]
        quarantined = con.execute("select count(*) from raw._quarantine where stream = 'hubspot__contacts'").fetchone()[0]
    contacts = shown["hubspot/contacts"]
    assert contacts["dagster/table_name"].value == "raw.hubspot__contacts"
    assert contacts["dagster/row_count"].value == rows > 0
    columns = [column.name for column in contacts["dagster/column_schema"].schema.columns]
    assert "_pk" in columns and "_record" in columns
    assert contacts["quarantined_total"].value == quarantined
    assert contacts["quarantine_preview"].value.startswith("No quarantined records." if not quarantined else "| record |")
    check = check_evaluations(nightly.result)["hubspot/contacts:quarantine_under_threshold"]
    assert check.metadata["quarantine_table"].value == "raw._quarantine"
    assert "dq_quarantined_values" in check.metadata["quarantine_published_as"].value


def test_quarantine_preview_lists_ids_and_reasons_not_payloads() -> None:
    from pipelines.ingest.metadata import quarantine_markdown

    rows = [("c-1", "missing field `email` | see CONTRACTS §5", "0123456789ab", "2026-11-01 03:00:00.123")]
    text = quarantine_markdown(rows, total=12)
    assert text.splitlines()[2] == "| c-1 | missing field `email` \\| see CONTRACTS §5 | 01234567 | 2026-11-01 03:00:00 |"
    assert "1 of 12 shown" in text


def test_a_stream_failure_is_one_line_with_the_fix_for_its_kind() -> None:
    from connectors.errors import AuthError, ConnectorError
    from pipelines.ingest.failure import DEFAULT_FIX, failure_line

    line = failure_line("hubspot__deals", AuthError("hubspot__deals: HTTP 401 from\nhttps://api.hubapi.com/crm/v3/objects/deals"))
    assert line == (
        "hubspot__deals failed: HTTP 401 from https://api.hubapi.com/crm/v3/objects/deals. "
        "Fix: renew or correct the system's credentials (README, Configuration) and run again"
    )
    assert failure_line("ecb__rates", ConnectorError("odd")).endswith(f"Fix: {DEFAULT_FIX}")


def alert_on(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> None:
    """Run the failure sensor on a failed in-process run, as the daemon would."""
    from pipelines.alerts import alert_on_run_failure

    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    alert_on_run_failure(context)
