"""A BI reader in its own process: queries the published marts read-only in a tight loop.

`python reader_child.py MARTS_FILE WORK_DIR`. Each iteration opens the
file read-only, reads its `_published` snapshot and checks that the snapshot is whole: every
table's row count equals the one recorded, and totals reconcile across tables (the monthly mart
against the facts and the other marts). In WORK_DIR it touches `reader.ready` when it starts,
writes the run id of each new snapshot it sees to `reader.latest`, stops when `reader.stop`
appears and then writes what it saw to `reader.json`.
"""

import json
import sys
import time
import traceback
from pathlib import Path

import duckdb

# Each pair must agree within one snapshot: a mix of two publishes would break at least one.
RECONCILIATIONS = {
    "booked_value": [
        "select sum(booked_value) from mart_sales_vs_fulfilment",
        "select sum(booked_value) from fct_contract_lines",
        "select sum(booked_value) from mart_contract_fulfilment",
        "select sum(booked_value) from mart_sales_funnel",
    ],
    "shipped_value": [
        "select sum(shipped_value) from mart_sales_vs_fulfilment",
        "select sum(shipped_value) from fct_shipment_lines",
        "select sum(shipped_value) from mart_contract_fulfilment",
    ],
    "spend": [
        "select sum(spend) from mart_sales_vs_fulfilment",
        "select sum(spend_reporting) from fct_ad_spend",
        "select sum(spend) from mart_sales_funnel",
    ],
    "leads": [
        "select sum(leads) from mart_sales_vs_fulfilment",
        "select count(*) from fct_leads",
        "select sum(leads) from mart_sales_funnel",
    ],
    "contracts": [
        "select sum(contracts_signed) from mart_sales_vs_fulfilment",
        "select count(*) from fct_contracts",
        "select count(*) from mart_contract_fulfilment",
    ],
    # The sum by channel equals the grand total of the same snapshot.
    "booked_by_channel": [
        "select sum(total) from (select channel, sum(booked_value) as total from mart_sales_vs_fulfilment group by channel)",
        "select sum(booked_value) from fct_contracts",
    ],
}


def inconsistencies(con: duckdb.DuckDBPyConnection) -> tuple[str, list[str]]:
    """The snapshot's run id, and every check it fails (empty when the snapshot is whole)."""
    published = con.execute("select run_id, table_name, row_count from _published").fetchall()
    run_ids = {row[0] for row in published}
    problems = [f"_published names several runs: {sorted(run_ids)}"] if len(run_ids) != 1 else []
    for _, table, recorded in published:
        actual = con.execute(f'select count(*) from "{table}"').fetchone()[0]
        if actual != recorded:
            problems.append(f"{table}: {actual} rows, _published says {recorded}")
    for name, queries in RECONCILIATIONS.items():
        values = [con.execute(query).fetchone()[0] for query in queries]
        if len(set(values)) != 1:
            problems.append(f"{name} does not reconcile: {values}")
    return sorted(run_ids)[0] if run_ids else "", problems


def main(marts_file: Path, work_dir: Path) -> None:
    """Query until told to stop; record absent/snapshot/error per iteration in order."""
    seen: list[str] = []  # run ids in the order first seen, consecutive repeats collapsed
    counts = {"absent": 0, "queries": 0}
    errors: list[str] = []
    inconsistent: list[str] = []
    stop_file = work_dir / "reader.stop"
    (work_dir / "reader.ready").touch()
    while not stop_file.exists():
        if not marts_file.exists():
            counts["absent"] += 1
            # Nothing to query yet: poll gently rather than spin a core the nightly run needs.
            time.sleep(0.01)
            continue
        try:
            with duckdb.connect(str(marts_file), read_only=True) as con:
                run_id, problems = inconsistencies(con)
        except Exception:  # noqa: BLE001 - every failure is the finding, reported in full
            errors.append(traceback.format_exc())
            continue
        counts["queries"] += 1
        if not seen or seen[-1] != run_id:
            seen.append(run_id)
            latest = work_dir / "reader.latest.tmp"
            latest.write_text(run_id)
            latest.replace(work_dir / "reader.latest")
        inconsistent += [f"{run_id}: {problem}" for problem in problems]
    (work_dir / "reader.json").write_text(json.dumps({"seen": seen, "counts": counts, "errors": errors, "inconsistent": inconsistent}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
