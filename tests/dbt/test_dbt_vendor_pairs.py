"""The same business through every pair of vendors: the published marts equal the truth and each other.

One tiny sandbox (one seed and clock) serves every vendor. For each pair (CRM, fulfilment vendor) the
streams HUB_CRM and HUB_FULFILMENT enable are ingested over real HTTP, dbt builds with the vars the
pipelines pass for that pair (`dbt_vars`), and the marts are published: the nightly's three steps,
without Dagster (the ingest assets of a pair are checked on the definitions below). Each pair's
mart_sales_vs_fulfilment equals `compute_truth` to the cent, and every published table equals the
default pair's row for row once each vendor's own record ids are written as the default vendors
write the same records (vendor ids are the vendor's: the sandbox world says which is which).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from connectors.streams import configured_streams
from pipelines.privacy.pseudonyms import pseudonym
from pipelines.publish.assets import mart_relations, publish_all
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from pipelines.transform.project import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_vars
from sandbox.apis.limits import DEFAULT_TIME_SCALE
from sandbox.server import RunningSandbox, running_sandbox
from sandbox.truth import compute_truth
from sandbox.world.generator import iter_world
from sandbox.world.model import Company, Contact, Deal, Shipment
from sandbox.world.salesforce import sf_id
from sandbox.world.scales import get_scale
from sandbox.world.shippo import object_id
from support.dbt_harness import MART_COLUMNS, differences, truth_rows

SEED, SCALE, AS_OF = 4, "tiny", date(2026, 11, 1)
DEFAULT = ("hubspot", "shipstation")
PAIRS = [DEFAULT, ("hubspot", "shippo"), ("salesforce", "shipstation"), ("salesforce", "shippo")]
# Unit tests prove the SQL and data tests each vendor's staging (their own modules); here the figures.
BUILD = ["build", "--exclude", "test_type:data", "test_type:unit"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """One world served through every vendor for the module."""
    with running_sandbox(seed=SEED, scale=SCALE, as_of=AS_OF, data_dir=tmp_path_factory.mktemp("world")) as running:
        yield running


@pytest.fixture(scope="module")
def published(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Callable[[tuple[str, str]], Path]:
    """The data folder of a pair's published night, run once per pair for the module."""
    done: dict[tuple[str, str], Path] = {}

    def night(pair: tuple[str, str]) -> Path:
        if pair not in done:
            done[pair] = publish_night(sandbox.url, pair, tmp_path_factory.mktemp("-".join(pair)))
        return done[pair]

    return night


def pair_env(sandbox_url: str, pair: tuple[str, str], data_dir: Path) -> dict[str, str]:
    """The environment of a hub configured for `pair`, every system served by the sandbox."""
    crm, fulfilment = pair
    return {
        **sandbox_env(sandbox_url, list(SYSTEM_PREFIXES)),
        "HUB_CRM": crm, "HUB_FULFILMENT": fulfilment, "HUB_DATA_DIR": str(data_dir),
        "HUB_AS_OF": AS_OF.isoformat(), "HUB_END_DATE": (AS_OF - timedelta(days=1)).isoformat(),
        # the connectors pace at the sandbox's documented limits, at the sandbox's time scale
        "HUB_RATE_LIMIT_TIME_SCALE": str(DEFAULT_TIME_SCALE),
    }


def publish_night(sandbox_url: str, pair: tuple[str, str], data_dir: Path) -> Path:
    """Ingest the pair's streams, build the marts with its dbt vars (dbt in its own process, as the
    nightly runs it, so the warehouse is free for publishing) and publish them; the data folder."""
    env = pair_env(sandbox_url, pair, data_dir)
    config = HubConfig.from_env(env)
    for name in configured_streams(env):
        ingest_stream(name, config, f"pair-{'-'.join(pair)}")
    target = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
              "--target-path", str(data_dir / "dbt_target"), "--log-path", str(data_dir / "dbt_logs")]
    build = subprocess.run([str(DBT_EXECUTABLE), *BUILD, "--vars", json.dumps(dbt_vars(env)), *target],
                           env=env, capture_output=True, text=True, check=False)
    assert build.returncode == 0, f"dbt build for {pair} failed:\n{build.stdout[-4000:]}"
    # the marts are vendor-neutral: the default manifest names the same relations for every pair
    publish_all(data_dir, config.warehouse_path, [relation for _, relation in mart_relations()],
                run_id=f"pair-{'-'.join(pair)}", reporting_currency="EUR")
    return data_dir


def vendor_ids(pair: tuple[str, str]) -> dict[str, str]:
    """Each id (and vendor name) the pair's vendors publish, mapped to the one the default vendors
    publish for the same record of the world."""
    crm, fulfilment = pair
    ids: dict[str, str] = {}
    key = os.environ["HUB_PSEUDONYM_KEY"].encode()  # the suite's (tests/conftest.py), which publishing used
    for item in iter_world(SEED, get_scale(SCALE)):
        if crm == "salesforce":
            # a world contact is a HubSpot contact and a Salesforce lead, a company an account, a deal
            # an opportunity, a line an opportunity line item (sandbox/world/salesforce.py)
            if isinstance(item, Contact):
                ids[sf_id("Lead", int(item.id))] = item.id
            elif isinstance(item, Company):
                account = sf_id("Account", int(item.id))
                ids[account] = item.id
                # a customer id names its CRM, and is published as a pseudonym (pipelines/privacy)
                ids[pseudonym(key, f"salesforce:{account}")] = pseudonym(key, f"hubspot:{item.id}")
            elif isinstance(item, Deal):
                ids[sf_id("Opportunity", int(item.id))] = item.id
                ids.update({sf_id("OpportunityLineItem", int(line.id)): line.id for line in item.lines})
                # an envelope's deal id custom field, which may name no deal
                ids.update({sf_id("Opportunity", int(env.deal_id)): env.deal_id for env in item.envelopes})
        if fulfilment == "shippo":
            # a world shipment is a ShipStation shipment and a Shippo order (sandbox/world/shippo.py)
            shipments = item.shipments if isinstance(item, Deal) else [item] if isinstance(item, Shipment) else []
            ids.update({object_id("order", shipment.id): shipment.id for shipment in shipments})
    # what the marts say of a record's vendor (dq_unmatched_records, customer ids and match methods)
    if crm == "salesforce":
        ids.update({"salesforce": "hubspot", "salesforce_contact": "hubspot_contact", "salesforce_deal": "hubspot_deal",
                    "salesforce_deal_company": "hubspot_deal_company",
                    "salesforce_opportunity_id matches no deal": "hubspot_deal_id matches no deal"})
    if fulfilment == "shippo":
        ids.update({"shippo_shipment": "shipstation_shipment", "shippo_shipment_item": "shipstation_shipment_item"})
    return ids


def left_out(pair: tuple[str, str]) -> dict[str, tuple[str, ...]]:
    """Published columns that hold a vendor's own bookkeeping, not the business, by table: left out
    of the comparison with the default pair."""
    columns: dict[str, tuple[str, ...]] = {}
    if pair[1] == "shippo":
        # when the vendor last changed the shipment: ShipStation moves modified_at when one is cancelled;
        # a Shippo order has no object_updated (its Order schema in /work/shared/specs/shippo/public-api.yaml),
        # so a cancelled order's is its last label's or its creation (stg_shippo__shipments)
        columns["fct_shipments"] = ("modified_at",)
    return columns


def published_tables(marts_file: Path, ids: Mapping[str, str],
                     leave_out: Mapping[str, tuple[str, ...]]) -> dict[str, list[tuple]]:
    """Every published table's rows (without `_published`, the run's columns and `leave_out`'s), each
    text value's ':'-separated parts mapped through `ids`, in a stable order."""

    def named(value: object) -> object:
        return ":".join(ids.get(part, part) for part in value.split(":")) if isinstance(value, str) else value

    with duckdb.connect(str(marts_file), read_only=True) as con:
        tables = [row[0] for row in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
        out = {}
        for table in (t for t in tables if t != "_published"):
            dropped = ", ".join(f"'{c}'" for c in ("_loaded_at", "_run_id", *leave_out.get(table, ())))
            rows = con.execute(f'select columns(lambda c: c not in ({dropped})) from "{table}"').fetchall()
            out[table] = sorted((tuple(named(v) for v in row) for row in rows), key=repr)
        return out


def published_mart(marts_file: Path) -> dict[tuple[str, str], dict]:
    """The published mart_sales_vs_fulfilment keyed like `truth_rows`, money as Decimal."""
    with duckdb.connect(str(marts_file), read_only=True) as con:
        rows = con.execute(f"select {', '.join(MART_COLUMNS)} from mart_sales_vs_fulfilment").fetchall()
    out = {}
    for row in rows:
        values = dict(zip(MART_COLUMNS, row))
        key = (values.pop("month").strftime("%Y-%m"), values.pop("channel"))
        out[key] = {k: Decimal(v) if isinstance(v, Decimal) else v for k, v in values.items()}
    return out


@pytest.mark.parametrize("pair", PAIRS, ids="+".join)
def test_each_pair_publishes_the_truth(pair: tuple[str, str], published: Callable[[tuple[str, str]], Path]) -> None:
    want = truth_rows(compute_truth(SEED, SCALE, AS_OF))
    assert want, "the truth has no rows: the comparison would prove nothing"
    assert differences(published_mart(published(pair) / "marts.duckdb"), want) == []


@pytest.mark.parametrize("pair", [pair for pair in PAIRS if pair != DEFAULT], ids="+".join)
def test_each_pair_publishes_what_the_default_pair_publishes(
    pair: tuple[str, str], published: Callable[[tuple[str, str]], Path]
) -> None:
    """Every published table, every row and column but the vendors' bookkeeping (`left_out`); the
    vendors' own ids are renamed first."""
    want = published_tables(published(DEFAULT) / "marts.duckdb", {}, left_out(pair))
    got = published_tables(published(pair) / "marts.duckdb", vendor_ids(pair), left_out(pair))
    assert set(got) == set(want)
    assert sum(len(rows) for rows in want.values()) > 1000, "too little published: the comparison would prove little"
    # a table at a time, so a failure names the table
    for table in sorted(want):
        assert got[table] == want[table], table
    # the vendor ids were really there and really renamed: the vendor's ids appear in what it published
    raw = published_tables(published(pair) / "marts.duckdb", {}, left_out(pair))
    assert raw != got, "no vendor id was renamed: the pair published the default vendors' ids"


@pytest.mark.parametrize("pair", [pair for pair in PAIRS if pair != DEFAULT], ids="+".join)
def test_each_pair_ingests_its_own_vendors_streams(pair: tuple[str, str]) -> None:
    """The pipelines build ingest assets for the configured vendors only, and dbt gets their vars."""
    from pipelines.ingest.assets import build_ingest_assets

    env = {"HUB_CRM": pair[0], "HUB_FULFILMENT": pair[1]}
    systems = {key.path[0] for asset in build_ingest_assets(env) for key in asset.keys}
    assert set(pair) <= systems and not (set(DEFAULT) - set(pair)) & systems
    assert {k: v for k, v in dbt_vars(env).items() if k in ("crm", "fulfilment")} == {
        kind: vendor for kind, vendor, default in zip(("crm", "fulfilment"), pair, DEFAULT) if vendor != default
    }
