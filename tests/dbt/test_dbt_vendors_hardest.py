"""Issue 15's "done when": two nights against the sandbox as the vendors' hardest customer, every
behaviour on and every fault of `all` at its highest rate, end with marts equal to the truth to the cent.

Every behaviour: short-lived OAuth tokens (HubSpot and Google Ads refresh grants, DocuSign's JWT
grant) that expire every few calls, HubSpot's search lagging behind writes (the second night
searches, so the overlap must catch what was indexed late), deletions and merges, voided labels
and purged envelopes, API versions judged on a pinned day, Meta's "reduce the amount of data",
and `all:all@0.5` (throttling in each vendor's form, 5xx bursts, dropped connections, slow,
malformed, truncated and keyless answers, duplicated and shifted pages). The first night also
meets the hostile kinds the truth can follow: ShipStation refusing `/track` for half the labels,
a shipment modified in year 9229, records without their id; each is quarantined and loaded by
the second night (a refused label is asked again after 2 days, a held cursor re-reads the record).

Budget (CI runs the suite in one go on 2 cores, this module under ~4 minutes): the `small` world for
one seed and `tiny` for the two others, the three side by side (each with its own sandbox process
and data folder; their dbt builds one at a time, since dbt runs in this process), so the tiny
seeds' nights overlap the small one's. Waits are shortened, not skipped (every throttling answer
asks for 0 s, the backoff floor starts at 50 ms).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest

from connectors import retry
from connectors.config import HubConfig
from connectors.ingest import StreamReport, ingest_stream
from connectors.streams import STREAMS
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from sandbox.server import running_sandbox
from sandbox.truth import compute_truth
from sandbox.world.store import ensure_world
from support.dbt_harness import dbt, differences, mart_rows, truth_rows

FIRST, SECOND = date(2026, 10, 25), date(2026, 11, 1)  # a week apart: the refused labels are due again
VERSION_DAY = "2026-12-01"  # versions judged on a pinned day by both sides (Google Ads v26, Meta v27.0)
FAULTS = "all:all@0.5"
# On night 1 only: /track refused for half the labels; every shipment listing's newest record claims
# year 9229 and every ShipStation page's first record comes without its id (`always`, so they happen).
HOSTILE = "shipstation:track_error@0.5,shipstation:future_cursor@always,shipstation:missing_id@always"
# Every issued token lives 5 s (refreshed ahead of expiry) and answers four calls, then is expired
# (a 401 mid-stream: dropped, fetched again, the request sent again). Two uses were tried: with
# pages fetched ahead, a retried request can meet a token its neighbours already used up.
TOKEN_SECONDS, TOKEN_USES = 5, 4
META_MAX_ROWS = 150  # Meta asks for less data above this many rows per call: a tiny account's year is ~480
BUILD = ["build", "--exclude", "test_type:unit"]
CASES = [
    pytest.param(5, "small", id="seed5-small"),
    pytest.param(13, "tiny", id="seed13-tiny"),
    pytest.param(31, "tiny", id="seed31-tiny"),
]


def night(url: str, data_dir: Path, day: date, run_id: str) -> tuple[dict[str, StreamReport], list[str]]:
    """Every stream against the sandbox at `url`, vendors in parallel (their throttling waits overlap),
    each vendor's streams in catalogue order; the reports and what the streams said."""
    env = {
        **sandbox_env(url, list(SYSTEM_PREFIXES), oauth=True),
        "HUB_DATA_DIR": str(data_dir),
        "HUB_END_DATE": (day - timedelta(days=1)).isoformat(),
        "HUB_API_VERSION_DATE": VERSION_DAY,
        "HUB_HTTP_READ_TIMEOUT_SECONDS": "10",
    }
    config = HubConfig.from_env(env)
    by_system: dict[str, list[str]] = {}
    for name, spec in STREAMS.items():
        by_system.setdefault(spec.system, []).append(name)
    said: list[str] = []

    def run(names: list[str]) -> list[StreamReport]:
        return [ingest_stream(name, config, run_id, on_progress=said.append) for name in names]

    with ThreadPoolExecutor(max_workers=len(by_system)) as pool:
        reports = {r.stream: r for rs in pool.map(run, by_system.values()) for r in rs}
    return reports, said


def served(url: str) -> dict:
    return httpx.get(f"{url}/_admin/stats", timeout=10).json()


def world_at(world: Path, day: date) -> dict[str, set[str]]:
    """Ids the store shows at `day`: HubSpot's archived objects, voided labels, the labels that
    cost something, envelopes whose documents are purged."""
    clock = f"{day}T00:00:00.000Z"
    with sqlite3.connect(world) as db:
        def visible(resource: str) -> list[tuple[str, dict]]:
            return [(i, json.loads(p)) for i, p in db.execute(
                "select id, payload from records where resource = ? and visible_from < ? "
                "and (visible_to is null or visible_to >= ?)", (resource, clock, clock))]

        labels = visible("shipstation/labels")
        out = {
            "voided": {i for i, lab in labels if lab["status"] == "voided"},
            "costed": {i for i, lab in labels if not lab["voided"]},
            "purged": {i for i, e in visible("docusign/envelopes") if e["purgeState"] == "documents_purged"},
        }
        for kind in ("contacts", "companies", "deals", "line_items"):
            out[kind] = {i for i, _ in visible(f"hubspot/{kind}:archived")}
    return out


@dataclass(frozen=True)
class Nights:
    """One case's two nights (reports, what night 1's streams said, the sandbox's stats), its world and data folder."""

    first: dict[str, StreamReport]
    said_first: list[str]
    first_stats: dict
    second: dict[str, StreamReport]
    second_stats: dict
    world_dir: Path
    data_dir: Path


def two_nights(seed: int, scale: str, world_dir: Path, data_dir: Path, dbt_lock: threading.Lock) -> Nights:
    """Night 1 with the hostile kinds, night 2 a week on, then the dbt build (one at a time: in this process)."""
    sandbox_options = dict(seed=seed, scale=scale, data_dir=world_dir, slow_seconds=0.05, retry_after="0", token_seconds=TOKEN_SECONDS, token_uses=TOKEN_USES,
                           version_date=VERSION_DAY, meta_max_rows=META_MAX_ROWS)
    with running_sandbox(as_of=FIRST, faults=f"{FAULTS},{HOSTILE}", **sandbox_options) as sb:
        first, said_first = night(sb.url, data_dir, FIRST, "night-1")
        first_stats = served(sb.url)
    with running_sandbox(as_of=SECOND, faults=FAULTS, **sandbox_options) as sb:
        second, _ = night(sb.url, data_dir, SECOND, "night-2")
        second_stats = served(sb.url)
    with dbt_lock:
        dbt([*BUILD, "--vars", f"{{as_of: '{SECOND.isoformat()}', reporting_currency: EUR}}"], data_dir)
    return Nights(first, said_first, first_stats, second, second_stats, world_dir, data_dir)


@pytest.fixture(scope="module")
def cases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[tuple[int, str], Future[Nights]]]:
    """The selected cases' nights, side by side: one's vendor waits and dbt build overlap another's nights."""
    selected = [case for case in CASES if any(
        getattr(item, "callspec", None) and item.callspec.id == case.id and item.module is request.module
        for item in request.session.items)]
    world_dir = tmp_path_factory.mktemp("hardest-worlds")
    dbt_lock = threading.Lock()
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(len(selected)) as pool:
        # Waits shortened, not skipped: every throttling answer asks for 0 s and the backoff floor starts
        # at 50 ms (pacing from the vendors' own signals is proven in test_connectors_retry/_hostile).
        patch.setattr(retry, "BACKOFF_BASE_SECONDS", 0.05)
        futures = {
            tuple(case.values): pool.submit(two_nights, *case.values, world_dir,
                                            tmp_path_factory.mktemp(f"hardest-{case.id}"), dbt_lock)
            for case in selected
        }
        yield futures


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "scale"), CASES)
def test_two_nights_against_the_hardest_vendors_end_with_marts_equal_to_the_truth(
    seed: int, scale: str, cases: dict[tuple[int, str], Future[Nights]]
) -> None:
    nights = cases[(seed, scale)].result()  # a case's failure is raised by its own test
    first, said_first, first_stats = nights.first, nights.said_first, nights.first_stats
    second, second_stats = nights.second, nights.second_stats
    tmp_path = nights.data_dir

    # The behaviours happened (else the equality below would prove little).
    issued = [stats["tokens_issued"] for stats in (first_stats, second_stats)]
    for vendor in ("hubspot", "google_ads"):  # their tokens ran out mid-night and were renewed
        assert max(night.get(vendor, 0) for night in issued) >= 2, (vendor, issued)
    assert all(night.get("docusign", 0) >= 1 for night in issued), issued  # the JWT grant (a few calls a night)
    assert any("Meta asked for less data" in m for m in said_first)
    assert sum(r.retries for r in first.values()) > 50 and sum(r.rate_limit_wait_seconds for r in first.values()) > 0
    assert sum(r.retries for r in second.values()) > 10
    assert any("tracking refused by the vendor" in m for m in said_first)  # quarantined, asked again on night 2
    assert first["shipstation__shipments"].quarantined > 0  # year 9229 or no id: held, loaded on night 2
    assert second["hubspot__contacts"].cursor_before is not None  # night 2 searched (lagging index)

    world = world_at(ensure_world(seed, scale, nights.world_dir), SECOND)
    assert all(world[k] for k in ("voided", "purged", "contacts")), {k: len(v) for k, v in world.items()}
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:  # dbt ran in this process: the same open database
        def ids(sql: str) -> set[str]:
            return {r[0] for r in con.execute(sql).fetchall()}

        # Tombstones in raw: each voided label, purged envelope and archived HubSpot object, and only those.
        assert ids("select _pk from raw.shipstation__labels where _record->>'status' = 'voided'") == world["voided"]
        assert ids("select _pk from raw.docusign__envelopes where _record->>'purgeState' = 'documents_purged'") \
            == world["purged"]
        for kind in ("contacts", "companies", "deals", "line_items"):
            assert ids(f"select _pk from raw.hubspot__{kind} where (_record->>'archived')::boolean") == world[kind], kind
        # A voided label costs nothing: shipping costs come from the living labels exactly.
        assert ids("select label_id from main.int_labels__converted") == world["costed"]
        # Every refused label was asked again on night 2 and answered: none waits any more.
        assert con.execute("select count(*) from raw._retries").fetchone()[0] == 0
    want = truth_rows(compute_truth(seed, scale, SECOND))
    assert want, "the truth has no rows: the comparison would prove nothing"
    assert differences(mart_rows(warehouse), want) == []
