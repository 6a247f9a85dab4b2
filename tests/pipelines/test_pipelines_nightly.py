"""The nightly job end to end through Dagster on the tiny world, against the generator's truth.

sandbox (real HTTP on loopback) -> ingest assets -> dbt assets (real dbt build) -> our checks ->
published marts file; the mart's figures must equal `compute_truth`, computed in plain Python.
"""

import duckdb

from support.dbt_harness import differences, mart_rows, truth_rows
from pipeline_runs import AS_OF, SCALE, SEED, check_evaluations, materializations, NightlyRun
from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.truth import compute_truth


def test_nightly_run_succeeds(nightly: NightlyRun) -> None:
    failures = [event.step_key for event in nightly.result.all_events if event.is_step_failure]
    assert nightly.result.success, f"failed steps: {failures}"


def test_published_marts_equal_ground_truth(nightly: NightlyRun) -> None:
    got = mart_rows(nightly.data_dir / "marts.duckdb")
    want = truth_rows(compute_truth(SEED, SCALE, AS_OF))
    assert want, "the truth has no rows: the comparison would prove nothing"
    assert differences(got, want) == []


def test_published_marts_are_readable_while_the_warehouse_is_locked(nightly: NightlyRun) -> None:
    """BI reads its own file: a writer holding the warehouse does not stop it."""
    with duckdb.connect(str(nightly.data_dir / "warehouse.duckdb")):
        with duckdb.connect(str(nightly.data_dir / "marts.duckdb"), read_only=True) as bi:
            assert bi.execute("select count(*) from mart_sales_vs_fulfilment").fetchone()[0] > 0


def test_ingest_metadata_reports_the_load_typed(nightly: NightlyRun) -> None:
    """Each stream's materialisation carries the connector's report, equal to its `raw._loads` row."""
    contacts = materializations(nightly.result)["hubspot/contacts"]
    with duckdb.connect(str(nightly.data_dir / "warehouse.duckdb"), read_only=True) as con:
        loads = con.execute(
            "select records, inserted, updated, pages, requests, retries, cursor_after "
            "from raw._loads where stream = 'hubspot__contacts' and run_id = ?",
            [nightly.result.run_id],
        ).fetchone()
    shown = tuple(contacts[name].value for name in ("records", "inserted", "updated", "pages", "requests", "retries"))
    assert loads[0] > 0
    assert shown == loads[:6]
    assert contacts["cursor_after"].value == loads[6]
    assert contacts["cursor_before"].value == "(none)"  # the first run starts with no cursor
    assert isinstance(contacts["rate_limit_wait_seconds"].value, float)
    assert isinstance(contacts["seconds"].value, float)


def test_marts_carry_row_counts_and_a_preview(nightly: NightlyRun) -> None:
    mart = materializations(nightly.result)["mart_sales_vs_fulfilment"]
    with duckdb.connect(str(nightly.data_dir / "marts.duckdb"), read_only=True) as con:
        rows = con.execute("select count(*) from mart_sales_vs_fulfilment").fetchone()[0]
    assert mart["dagster/row_count"].value == rows > 0
    preview = mart["preview"].value
    assert len(preview.records) == min(rows, 10)
    assert "booked_value" in preview.records[0].data


def test_every_mart_bi_reads_carries_its_row_count_views_included(nightly: NightlyRun) -> None:
    """fct_leads is a view over the attributed contacts; BI reads it, so it is counted too."""
    with duckdb.connect(str(nightly.data_dir / "marts.duckdb"), read_only=True) as con:
        counts = {name: con.execute(f'select count(*) from "{name}"').fetchone()[0] for name in ("fct_leads", "dim_channel")}
    built = materializations(nightly.result)
    assert {name: built[name]["dagster/row_count"].value for name in counts} == counts


def test_our_checks_pass_on_a_clean_world(nightly: NightlyRun) -> None:
    evaluations = check_evaluations(nightly.result)
    ours = {
        "mart_sales_vs_fulfilment:totals_reconcile_with_facts",
        "fct_shipments:orphan_shipment_rate_under_threshold",
        "fct_leads:unattributed_lead_rate_under_threshold",
        "hubspot/contacts:quarantine_under_threshold",
        "meta/insights:quarantine_under_threshold",
    }
    assert ours <= set(evaluations)
    failed = {key: e.description for key, e in evaluations.items() if key in ours and not e.passed}
    assert failed == {}
    # The rates were measured, not skipped: the tiny world has leads and shipments.
    assert evaluations["fct_leads:unattributed_lead_rate_under_threshold"].metadata["total"].value > 0
    assert evaluations["fct_shipments:orphan_shipment_rate_under_threshold"].metadata["total"].value > 0


def test_every_raw_tables_key_test_ran_as_a_check_on_its_ingest_asset(nightly: NightlyRun) -> None:
    """dbt's `_pk` test on each source shows on the ingest asset that loads the raw table, and passed."""
    from pipelines.ingest.assets import stream_asset_key
    from connectors.streams import STREAMS

    evaluations = check_evaluations(nightly.result)
    key_checks = {key: e for key, e in evaluations.items() if key.split(":")[1].startswith("source_primary_key_")}
    assert {key.split(":")[0] for key in key_checks} == {stream_asset_key(name).to_user_string() for name in STREAMS}
    assert {key: e.description for key, e in key_checks.items() if not e.passed} == {}


def test_no_secret_in_any_metadata(nightly: NightlyRun) -> None:
    """No credential reaches the event log: materialisations, check results or log messages."""
    secrets = [value for creds in SANDBOX_CREDENTIALS.values() for value in creds.values() if len(value) >= 8]
    assert secrets
    shown = [str(event.event_specific_data) + (event.message or "") for event in nightly.result.all_events]
    leaked = [s for s in secrets for text in shown if s in text]
    assert leaked == []
