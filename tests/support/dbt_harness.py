"""Run the hub's dbt project against a warehouse file in a temp dir, as the hub would."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import duckdb
from dbt.cli.main import dbtRunner, dbtRunnerResult

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

# Every stream's raw table (CONTRACTS.md §4), so a fixture may leave some of them empty.
RAW_TABLES: tuple[str, ...] = (
    "hubspot__contacts",
    "hubspot__companies",
    "hubspot__deals",
    "hubspot__line_items",
    "hubspot__associations",
    "meta__insights",
    "google_ads__campaign_days",
    "docusign__envelopes",
    "shipstation__shipments",
    "shipstation__labels",
    "shipstation__tracking",
    "ecb__rates",
)

MART_COLUMNS: tuple[str, ...] = (
    "month", "channel", "spend", "leads", "deals", "contracts_signed", "booked_value",
    "shipped_value", "delivered_value", "backlog_value", "orphan_shipments", "unshipped_contracts",
)


@dataclass(frozen=True)
class RawRow:
    """One raw-table row: the vendor record plus the keys the connectors would store with it."""

    pk: str
    record: Mapping[str, object]
    scope: str = ""
    cursor: str = ""


def write_raw_tables(warehouse: Path, tables: Mapping[str, Iterable[RawRow]]) -> None:
    """Create schema raw with every stream table in the §4 shape and insert the given rows."""
    unknown = set(tables) - set(RAW_TABLES)
    if unknown:
        raise ValueError(f"unknown raw tables {sorted(unknown)}: use names from RAW_TABLES")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists raw")
        for table in RAW_TABLES:
            con.execute(
                f"create or replace table raw.{table} (_pk varchar, _scope varchar,"
                " _cursor varchar, _record json, _run_id varchar, _loaded_at timestamp)"
            )
            rows = [
                (row.pk, row.scope, row.cursor, json.dumps(row.record), "fixture")
                for row in tables.get(table, ())
            ]
            if rows:
                con.executemany(
                    f"insert into raw.{table} values (?, ?, ?, ?, ?, current_timestamp)", rows
                )


def target_path(data_dir: Path, target: str = "duckdb") -> Path:
    """Where a dbt run under `data_dir` writes its artifacts (run_results.json, manifest.json)."""
    return data_dir / f"dbt_target_{target}"


def invoke_dbt(args: Sequence[str], data_dir: Path, target: str = "duckdb",
               env: Mapping[str, str] | None = None, project_dir: Path = PROJECT_DIR) -> dbtRunnerResult:
    """Invoke dbt in-process on `project_dir` (the hub's profile) with artifacts under `data_dir`.

    dbt reads `env_var(...)` from this process's environment: `env` and HUB_DATA_DIR are set for the
    invocation only, so nothing leaks into the tests that follow."""
    args = [
        *args,
        "--project-dir", str(project_dir),
        "--profiles-dir", str(PROJECT_DIR),
        "--target", target,
        "--target-path", str(target_path(data_dir, target)),
        "--log-path", str(data_dir / "dbt_logs"),
    ]
    with mock.patch.dict(os.environ, {"HUB_DATA_DIR": str(data_dir), **(env or {})}):
        return dbtRunner().invoke(args)


def dbt(args: Sequence[str], data_dir: Path, target: str = "duckdb",
        env: Mapping[str, str] | None = None) -> None:
    """Invoke dbt in-process on the hub project with artifacts kept under `data_dir`; fail on any error."""
    result = invoke_dbt(args, data_dir, target, env)
    if not result.success:
        failures = []
        if result.result is not None and hasattr(result.result, "results"):
            failures = [
                f"{r.node.unique_id}: {r.status} {r.message}"
                for r in result.result.results
                if str(r.status) not in ("success", "pass", "skipped")
            ]
        raise AssertionError(f"dbt {' '.join(args)} failed: {result.exception or ''} {failures}")


def mart_rows(warehouse: Path, mart: str = "mart_sales_vs_fulfilment") -> dict[tuple[str, str], dict]:
    """Rows of a month x channel mart keyed by ('YYYY-MM', channel), money as Decimal."""
    with duckdb.connect(str(warehouse)) as con:
        cursor = con.execute(f"select {', '.join(MART_COLUMNS)} from main.{mart}")
        rows = cursor.fetchall()
    out: dict[tuple[str, str], dict] = {}
    for row in rows:
        values = dict(zip(MART_COLUMNS, row))
        key = (values.pop("month").strftime("%Y-%m"), values.pop("channel"))
        out[key] = {k: (Decimal(v) if isinstance(v, Decimal) else v) for k, v in values.items()}
    return out


def sandbox_connector_env(sandbox_url: str, data_dir: Path, as_of: date) -> dict[str, str]:
    """HUB_* variables pointing every system's connector at a running sandbox at clock `as_of`."""
    from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env

    return {
        **sandbox_env(sandbox_url, list(SYSTEM_PREFIXES)),
        "HUB_DATA_DIR": str(data_dir),
        # the last whole day the sandbox clock shows, as a nightly run at that clock would ask
        "HUB_END_DATE": (as_of - timedelta(days=1)).isoformat(),
    }


def ingest_everything(env: Mapping[str, str], run_id: str) -> None:
    """Ingest every stream, in catalogue order (a stream's dependencies come before it)."""
    from connectors.config import HubConfig
    from connectors.ingest import ingest_stream
    from connectors.streams import STREAMS

    config = HubConfig.from_env(env)
    for name in STREAMS:
        ingest_stream(name, config, run_id)


def ingest_night(sandbox: object, day: date, data_dir: Path, monkeypatch: object) -> None:
    """A nightly's ingest at sandbox clock `day`: every stream over HTTP, HUB_AS_OF set for dbt.

    `sandbox` is a running sandbox (`running_sandbox`), `monkeypatch` pytest's: the variables stay
    set for the dbt build that follows, and are undone with the test.
    """
    sandbox.set_clock(day)
    env = sandbox_connector_env(sandbox.url, data_dir, day)
    for name, value in {**env, "HUB_AS_OF": day.isoformat()}.items():
        monkeypatch.setenv(name, value)
    ingest_everything(env, run_id=f"night-{day}")


def truth_rows(truth: Mapping) -> dict[tuple[str, str], dict]:
    """The truth JSON's rows keyed like mart_rows, money as Decimal."""
    out: dict[tuple[str, str], dict] = {}
    for row in truth["rows"]:
        values = dict(row)
        key = (values.pop("month"), values.pop("channel"))
        out[key] = {k: (Decimal(v) if isinstance(v, str) else v) for k, v in values.items()}
    return out


def differences(got: Mapping, want: Mapping) -> list[str]:
    """Readable per-figure differences between two keyed row sets (empty when equal)."""
    lines = []
    for key in sorted(set(got) | set(want)):
        g, w = got.get(key), want.get(key)
        if g is None or w is None:
            lines.append(f"{key}: {'missing in mart' if g is None else 'not in truth'}: {g or w}")
            continue
        lines += [f"{key} {k}: mart {g[k]} truth {w[k]}" for k in w if g.get(k) != w[k]]
    return lines


def relation_rows(warehouse: Path) -> dict[str, Counter]:
    """Every relation of schema main as a multiset of rows (without `_loaded_at`)."""
    # a plain connect: dbt ran in this process and DuckDB hands back its open database
    with duckdb.connect(str(warehouse)) as con:
        names = [row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
            " and table_catalog = current_database()").fetchall()]
        relations = {}
        for name in names:
            # when the connectors last wrote a row is not part of the result
            columns = ", ".join(f'"{row[0]}"' for row in con.execute(
                "select column_name from information_schema.columns where table_schema = 'main'"
                f" and table_catalog = current_database() and table_name = '{name}'"
                " and column_name <> '_loaded_at' order by column_name").fetchall())
            relations[name] = Counter(con.execute(f"select {columns} from main.{name}").fetchall())
    return relations


def relation_differences(left: Mapping[str, Counter], right: Mapping[str, Counter]) -> dict[str, tuple[int, int]]:
    """Per relation whose rows differ: (rows only in left, rows only in right)."""
    return {
        name: (sum((left.get(name, Counter()) - right.get(name, Counter())).values()),
               sum((right.get(name, Counter()) - left.get(name, Counter())).values()))
        for name in sorted(set(left) | set(right))
        if left.get(name) != right.get(name)
    }


def full_refresh_rows(data_dir: Path, build: Sequence[str]) -> dict[str, Counter]:
    """The relations a `--full-refresh` build computes from a copy of `data_dir`'s raw tables."""
    rebuilt = data_dir / "rebuilt"
    rebuilt.mkdir()
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("checkpoint")  # the copy must hold what is still in the write-ahead log
    shutil.copy(data_dir / "warehouse.duckdb", rebuilt / "warehouse.duckdb")
    dbt([*build, "--full-refresh"], rebuilt)
    return relation_rows(rebuilt / "warehouse.duckdb")
