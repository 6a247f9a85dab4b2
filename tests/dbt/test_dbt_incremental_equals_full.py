"""An incremental build after the clock moves equals a full refresh of the same raw tables.

sandbox at D -> ingest -> dbt build; clock D + 1 day (a new report month, restated ad days,
new shipments and tracking) -> ingest -> dbt build (incremental) -> every relation of the
warehouse compared, row for row, with a `--full-refresh` build of a copy. This holds the
incremental models (staging by `_loaded_at`, fct_ad_spend's restatement window,
int_contacts__attributed's write-only-what-changed) to what a rebuild computes, including records
sent again with an emptied array (a shipment's items, an envelope's signers, a deal's associations).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from sandbox.server import running_sandbox
from support.dbt_harness import (
    dbt, full_refresh_rows, ingest_night, relation_differences, relation_rows,
)

AS_OF = date(2026, 11, 1)
BUILD = ["build", "--exclude", "test_type:unit"]


# (raw table, JSON merge patch emptying its array, staging model, its key, the raw key, the array)
EMPTIED_ARRAYS = (
    ("shipstation__shipments", '{"items": []}', "stg_shipstation__shipment_items", "shipment_id", "_pk", "$.items"),
    ("docusign__envelopes", '{"recipients": {"signers": []}}', "stg_docusign__signers", "envelope_id", "_pk",
     "$.recipients.signers"),
    ("hubspot__associations", '{"to": []}', "stg_hubspot__associations", "association_type || ':' || from_id",
     "_scope || ':' || json_extract_string(_record, '$.from.id')", "$.to"),
)


def empty_one_array_per_table(warehouse: Path) -> dict[str, tuple[str, str]]:
    """A vendor sending a record again with its array emptied (items removed, signers or
    associations dropped): the rows its elements made must leave staging, as in a full refresh."""
    emptied = {}
    with duckdb.connect(str(warehouse)) as con:
        for table, patch, model, key, raw_key, path in EMPTIED_ARRAYS:
            pk, value = con.execute(
                f"select _pk, {raw_key} from raw.{table} where json_array_length(_record, '{path}') > 0"
                " order by _pk limit 1").fetchone()
            con.execute(f"update raw.{table} set _record = json_merge_patch(_record, ?),"
                        " _loaded_at = now() at time zone 'UTC' where _pk = ?", [patch, pk])
            emptied[model] = (key, value)
    return emptied


@pytest.mark.parametrize("seed", [3])
def test_incremental_build_after_a_day_equals_a_full_refresh(seed: int, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with running_sandbox(seed=seed, scale="tiny", as_of=AS_OF, data_dir=tmp_path / "worlds") as sandbox:
        for day in (AS_OF, AS_OF + timedelta(days=1)):
            ingest_night(sandbox, day, tmp_path, monkeypatch)
            emptied = empty_one_array_per_table(warehouse) if day > AS_OF else {}
            dbt(BUILD, tmp_path)
    incremental = relation_rows(warehouse)
    assert incremental["fct_leads"] and incremental["mart_sales_vs_fulfilment"], "nothing was built"
    with duckdb.connect(str(warehouse)) as con:
        for model, (key, value) in emptied.items():
            assert con.execute(f"select count(*) from main.{model} where {key} = ?", [value]).fetchone()[0] == 0, model
    assert relation_differences(incremental, full_refresh_rows(tmp_path, BUILD)) == {}
