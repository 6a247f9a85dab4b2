"""The warehouse rebuilt from the landed pages alone: by `python -m pipelines rebuild`, and by a nightly that finds it damaged."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import orjson
import pytest

from connectors.landing import keys_path
from connectors.streams import STREAMS
from pipeline_runs import NightlyRun, StagedResult, marts_state, raw_state
from pipelines.instance import ensure_instance_config

pytestmark = pytest.mark.slow


def copy_of(nightly: NightlyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *names: str) -> Path:
    """A data folder holding `names` copied from the clean nightly's, with the environment pointed at it."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for name in names:
        source = nightly.data_dir / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, data_dir / name)
    for name, value in {**nightly.env, "HUB_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(tmp_path / "home")}.items():
        monkeypatch.setenv(name, value)
    ensure_instance_config(tmp_path / "home")
    return data_dir


def segment(data_dir: Path, system: str, stream: str) -> Path:
    """The (single) landed segment of a stream in the tiny world's one run."""
    (found,) = (data_dir / "landing").glob(f"*/{system}/{stream}/*/pages-000001.json")
    return found


def test_a_truncated_warehouse_is_moved_aside_and_rebuilt_by_the_next_nightly(
    nightly: NightlyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = copy_of(nightly, tmp_path, monkeypatch, "landing", "warehouse.duckdb")
    warehouse = data_dir / "warehouse.duckdb"
    with open(warehouse, "r+b") as file:
        file.truncate(warehouse.stat().st_size // 2)
    from pipelines.definitions import build_definitions
    from pipelines.jobs import run_nightly_in_process

    with dg.DagsterInstance.get() as instance:
        # as the schedule runs it: the build run after the ingest run must not find the rebuilt file damaged
        result = StagedResult(run_nightly_in_process(build_definitions({}), instance=instance))
        said = [e.message for run in result.runs for e in instance.all_logs(run.run_id)
                if (e.message or "").startswith("recovery: ")]

    assert result.success
    (aside,) = data_dir.glob("warehouse.duckdb.damaged-*")
    assert aside.stat().st_size == nightly.data_dir.joinpath("warehouse.duckdb").stat().st_size // 2
    assert any("is damaged" in line and str(aside) in line for line in said), said
    assert marts_state(data_dir / "marts.duckdb") == marts_state(nightly.data_dir / "marts.duckdb")
    assert raw_state(warehouse, STREAMS) == raw_state(nightly.data_dir / "warehouse.duckdb", STREAMS)


def test_rebuild_quarantines_exactly_the_damaged_pages_and_loads_the_rest(
    nightly: NightlyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = copy_of(nightly, tmp_path, monkeypatch, "landing", "warehouse.duckdb")
    # Garbage bytes in the middle of the contacts' second page...
    contacts = segment(data_dir, "hubspot", "contacts")
    lines = contacts.read_bytes().split(b"\n")
    lost_contacts = {record["id"] for record in orjson.loads(lines[1])["results"]}
    lines[1] = lines[1][:200] + b"\x00\xff garbage \xfe" + lines[1][220:]
    contacts.write_bytes(b"\n".join(lines))
    # ...and the tracking segment cut in the middle of its last page (each page is one label's track).
    tracking = segment(data_dir, "shipstation", "tracking")
    pages = tracking.read_bytes().count(b"\n")
    lost_label = keys_path(tracking).read_text().splitlines()[-1]
    tracking.write_bytes(tracking.read_bytes()[:-40])

    from pipelines.rebuild import run_rebuild

    assert run_rebuild(data_dir) == 0

    out = capsys.readouterr().out
    assert f"{contacts} page 2: not JSON" in out and f"{tracking} page {pages}: truncated: not JSON" in out
    (aside,) = data_dir.glob("warehouse.duckdb.before-rebuild-*")  # the old one is kept, not deleted
    warehouse = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantine = con.execute(
            "select stream, pk, reason, record->>'$.page' from raw._quarantine order by stream"
        ).fetchall()
        contact_ids = {row[0] for row in con.execute("select _pk from raw.hubspot__contacts").fetchall()}
        labels = {row[0] for row in con.execute("select _pk from raw.shipstation__tracking").fetchall()}
    assert [(stream, pk, page) for stream, pk, _, page in quarantine] == [
        ("hubspot__contacts", f"{contacts}:2", "2"),
        ("shipstation__tracking", f"{tracking}:{pages}", str(pages)),
    ]
    assert all(reason.startswith("damaged landed page: ") for _, _, reason, _ in quarantine)
    clean = raw_state(nightly.data_dir / "warehouse.duckdb", STREAMS)
    rebuilt = raw_state(warehouse, STREAMS)
    assert contact_ids == {pk for pk, *_ in clean["hubspot__contacts"]} - lost_contacts
    assert labels == {pk for pk, *_ in clean["shipstation__tracking"]} - {lost_label}
    for name in set(STREAMS) - {"hubspot__contacts", "shipstation__tracking"}:
        assert rebuilt[name] == clean[name], name
    assert (data_dir / "marts.duckdb").exists()  # built and published from the rebuilt raw layer
