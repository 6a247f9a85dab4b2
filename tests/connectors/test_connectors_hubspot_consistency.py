"""HubSpot as it behaves: search lags behind writes (the overlap re-reads what it indexed late),
objects are archived and contacts merged (tombstones in raw, out of every mart), over real HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import orjson
import pytest

from connector_helpers import raw_rows, sandbox_env
from connectors.config import ConnectorSettings, HubConfig
from connectors.ingest import ingest_stream
from connectors.streams import STREAMS
from sandbox.apis.hubspot import DEFAULT_SEARCH_LAG_SECONDS
from sandbox.server import running_sandbox
from sandbox.truth import compute_truth
from sandbox.world.generator import iter_world
from sandbox.world.model import Company, Contact, Deal
from sandbox.world.scales import get_scale
from sandbox.world.timefmt import epoch
from support.dbt_harness import dbt, differences, ingest_everything, mart_rows, sandbox_connector_env, truth_rows

HUBSPOT = [name for name in STREAMS if name.startswith("hubspot__")]
LAGGED_NIGHT = date(2026, 11, 21)  # a night whose late-indexed records the cursor passes (seed 1, tiny)
SLOW_INDEX_SECONDS = 20 * 3600  # most of a day's changes are still unindexed at midnight
SEED = 1
BUILD = ["build", "--exclude", "test_type:unit"]


def set_search_lag(url: str, seconds: int) -> None:
    """The sandbox switch for how far HubSpot's search index lags behind writes."""
    reply = httpx.post(f"{url}/hubspot/_admin/search-lag", json={"seconds": seconds})
    assert reply.json() == {"seconds": seconds}


def ingest_hubspot(config: HubConfig, run_id: str) -> None:
    for name in HUBSPOT:
        ingest_stream(name, config, run_id)


def test_the_default_overlap_covers_the_sandbox_lag() -> None:
    assert ConnectorSettings.from_env({}).hubspot_search_overlap_minutes * 60 > DEFAULT_SEARCH_LAG_SECONDS


def test_records_indexed_late_are_found_by_the_overlap_and_lost_without_it(tmp_path: Path) -> None:
    """Night T with a slow index, night T+1 after it caught up: raw equals a clean full load at
    T+1 with the overlap; with no overlap the cursor passed records indexed late, lost for good."""
    with running_sandbox(seed=SEED, scale="tiny", as_of=LAGGED_NIGHT - timedelta(days=1)) as sb:
        def config(name: str, overlap: int) -> HubConfig:
            return HubConfig.from_env(sandbox_env(sb.url, tmp_path / name, HUB_HUBSPOT_SEARCH_OVERLAP_MINUTES=str(overlap)))

        covered, uncovered = config("covered", SLOW_INDEX_SECONDS // 60 + 60), config("uncovered", 0)
        for c in (covered, uncovered):
            ingest_hubspot(c, "first")  # a full list: lists are not lagged
        sb.set_clock(LAGGED_NIGHT)
        set_search_lag(sb.url, SLOW_INDEX_SECONDS)
        for c in (covered, uncovered):
            ingest_hubspot(c, "lagged")
        sb.set_clock(LAGGED_NIGHT + timedelta(days=1))
        set_search_lag(sb.url, 0)
        for c in (covered, uncovered):
            ingest_hubspot(c, "caught-up")
        full = config("full", 0)
        ingest_hubspot(full, "full")

    for name in HUBSPOT:
        assert raw_rows(covered, name) == raw_rows(full, name), name
    lost = [name for name in HUBSPOT if raw_rows(uncovered, name) != raw_rows(full, name)]
    assert lost, "with no overlap nothing was lost: the night did not meet the lag, the test proves nothing"


def _world_fates(clock: date) -> dict[str, set[str]]:
    """Ids the world deleted or merged before `clock`, and the contacts and deals that remain."""
    t = epoch(clock)
    out: dict[str, set[str]] = {k: set() for k in ("contacts", "companies", "deals", "line_items", "merged",
                                                     "leads", "live_deals")}
    for item in iter_world(SEED, get_scale("tiny")):
        if isinstance(item, Contact):
            if item.archived is not None and item.archived < t:
                out["contacts"].add(item.id)
            elif item.merged_into is not None and item.merged_into[0] < t:
                out["merged"].add(item.id)
            elif item.created < t:
                out["leads"].add(item.id)
        elif isinstance(item, Company) and item.archived is not None and item.archived < t:
            out["companies"].add(item.id)
        elif isinstance(item, Deal) and item.created < t:
            if item.archived is not None and item.archived < t:
                out["deals"].add(item.id)
                out["line_items"] |= {li.id for li in item.lines}
            else:
                out["live_deals"].add(item.id)
    return out


def test_deletions_and_merges_are_tombstones_in_raw_and_leave_every_mart(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A first night, then one five months later after deletions and merges: raw holds each deleted
    object as a tombstone, leads and deals are exactly the living ones, the marts equal the truth."""
    first, later = date(2026, 6, 1), date(2026, 11, 1)
    with running_sandbox(seed=SEED, scale="tiny", as_of=first) as sb:
        for day in (first, later):
            sb.set_clock(day)
            env = sandbox_connector_env(sb.url, tmp_path, day)
            for name, value in {**env, "HUB_AS_OF": day.isoformat()}.items():
                monkeypatch.setenv(name, value)
            ingest_everything(env, run_id=f"night-{day}")
    dbt(BUILD, tmp_path)

    fates, before = _world_fates(later), _world_fates(first)
    gone_between = {k: fates[k] - before[k] for k in ("contacts", "deals", "merged")}
    assert all(gone_between.values()), f"the world deleted or merged nothing between the nights: {gone_between}"
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        for stream in ("contacts", "companies", "deals", "line_items"):
            rows = con.execute(f"select _pk, _record::varchar from raw.hubspot__{stream}").fetchall()
            archived = {pk for pk, record in rows if orjson.loads(record)["archived"]}
            assert archived == fates[stream], stream  # every deletion, and only those, is a tombstone
        survivors = {
            merged: pk
            for pk, ids in con.execute(
                "select _pk, json_extract_string(_record, '$.properties.hs_merged_object_ids') from raw.hubspot__contacts"
            ).fetchall() if ids for merged in ids.split(";")
        }
        assert set(survivors) == fates["merged"]
        leads = {r[0] for r in con.execute("select contact_id from main.fct_leads").fetchall()}
        deals = {r[0] for r in con.execute("select deal_id from main.fct_deals").fetchall()}
    assert leads == fates["leads"]  # no deleted contact, each merged one once (as its survivor)
    assert deals == fates["live_deals"]
    want = truth_rows(compute_truth(SEED, "tiny", later))
    assert want and differences(mart_rows(tmp_path / "warehouse.duckdb"), want) == []
