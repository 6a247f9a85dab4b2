"""Ground truth agrees with a brute-force recount over the store's vendor payloads."""

import json
import sqlite3
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from sandbox.truth import compute_truth
from sandbox_helpers import SEED

CHANNELS = {"facebook": "meta", "instagram": "meta", "google": "google_ads", "organic": "organic"}


def visible(db: sqlite3.Connection, resource: str, as_of: date) -> list[dict]:
    clock = f"{as_of}T00:00:00.000Z"
    rows = db.execute("select payload from records where resource = ? and visible_from < ? "
                      "and (visible_to is null or visible_to >= ?)", (resource, clock, clock))
    return [json.loads(p) for (p,) in rows]


def recount(path: Path, as_of: date, currency: str) -> dict:
    """CONTRACTS §5 read literally, one loop per figure, from vendor payloads only."""
    db = sqlite3.connect(path)
    fx: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for r in visible(db, "ecb/rates", as_of):
        fx[r["currency"]][r["date"]] = Decimal(r["rate"])

    def rate(cur: str, day: str) -> Decimal:
        if cur == "EUR":
            return Decimal(1)
        return fx[cur][max(d for d in fx[cur] if d <= day)]

    def convert(amount: Decimal, cur: str, day: str) -> Decimal:
        return (amount * rate(currency, day) / rate(cur, day)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    out: dict = defaultdict(lambda: defaultdict(Decimal))
    meta_rows = visible(db, "meta/insights", as_of)
    google_rows = visible(db, "google_ads/campaign_days", as_of)
    names = {"meta": {r["campaign_name"] for r in meta_rows}, "google_ads": {r["campaign"]["name"] for r in google_rows}}
    for r in meta_rows:
        out[(r["date_start"][:7], "meta")]["spend"] += convert(Decimal(r["spend"]), r["account_currency"], r["date_start"])
    for r in google_rows:
        day = r["segments"]["date"]
        cost = Decimal(r["metrics"]["costMicros"]) / 1_000_000
        out[(day[:7], "google_ads")]["spend"] += convert(cost, r["customer"]["currencyCode"], day)

    contacts = {c["id"]: c["properties"] for c in visible(db, "hubspot/contacts", as_of)}

    def contact_channel(p: dict) -> str:
        channel = CHANNELS.get(p["utm_source"] or "", "unattributed")
        if channel in names and p["utm_campaign"] not in names[channel]:
            return "unattributed"
        return channel

    for p in contacts.values():
        out[(p["createdate"][:7], contact_channel(p))]["leads"] += 1
    deals = {d["id"]: d for d in visible(db, "hubspot/deals", as_of)}  # deleted ones are not visible
    # a merged-away contact is its survivor; a deleted contact is no longer associated
    merged = {m["id"]: m["mergedInto"] for m in visible(db, "hubspot/contacts:merged", as_of)}
    deal_channel = {}
    for id_, d in deals.items():
        ids = {merged.get(a["id"], a["id"]) for a in d["associations"]["contacts"]["results"]}
        linked = [(contacts[i]["createdate"], int(i)) for i in ids if i in contacts]
        deal_channel[id_] = contact_channel(contacts[str(min(linked)[1])]) if linked else "unattributed"
        out[(d["properties"]["createdate"][:7], deal_channel[id_])]["deals"] += 1
    lines = {li["id"]: li["properties"] for li in visible(db, "hubspot/line_items", as_of)}

    contracts = {}
    for env in visible(db, "docusign/envelopes", as_of):
        if env["status"] != "completed":
            continue
        fields = {f["name"]: f["value"] for f in env["customFields"]["textCustomFields"]}
        deal = deals.get(fields["hubspot_deal_id"])
        signed = env["completedDateTime"][:10]
        channel = deal_channel.get(fields["hubspot_deal_id"], "unattributed")
        cur = deal["properties"]["deal_currency_code"] if deal else "EUR"
        items = {}
        for ref in (deal["associations"]["line_items"]["results"] if deal else []):
            li = lines[ref["id"]]
            items[li["hs_sku"]] = (int(li["quantity"]), Decimal(li["price"]))
        contracts[fields["contract_number"]] = (signed, channel, cur, items)
        out[(signed[:7], channel)]["contracts_signed"] += 1
        for qty, price in items.values():
            out[(signed[:7], channel)]["booked_value"] += convert(qty * price, cur, signed)

    # a voided label ships nothing: the shipment's delivery is its replacement's
    labels = {lab["shipment_id"]: lab for lab in visible(db, "shipstation/labels", as_of) if not lab["voided"]}
    tracking = {t_id: t for t_id, t in ((lab["label_id"], None) for lab in labels.values())}
    for row in db.execute("select id, payload from records where resource = 'shipstation/tracking' and "
                          "visible_from < ? and (visible_to is null or visible_to >= ?)",
                          (f"{as_of}T00:00:00.000Z",) * 2):
        tracking[row[0]] = json.loads(row[1])
    shipped: list[tuple[str, str, str, int]] = []  # contract, ship day, sku, qty
    for s in visible(db, "shipstation/shipments", as_of):
        if s["shipment_status"] != "label_purchased" or not s["ship_date"]:
            continue
        ship_day = s["ship_date"][:10]
        contract = contracts.get(s["external_order_id"])
        if contract is None:
            out[(ship_day[:7], "unattributed")]["orphan_shipments"] += 1
            continue
        signed, channel, cur, items = contract
        track = tracking.get(labels[s["shipment_id"]]["label_id"]) if s["shipment_id"] in labels else None
        for item in s["items"]:
            if item["sku"] not in items:
                continue
            shipped.append((s["external_order_id"], ship_day, item["sku"], item["quantity"]))
            value = convert(item["quantity"] * items[item["sku"]][1], cur, signed)
            out[(ship_day[:7], channel)]["shipped_value"] += value
            if track and track["status_code"] == "DE":
                out[(track["actual_delivery_date"][:7], channel)]["delivered_value"] += value
    month = date(2025, 11, 1)
    last = as_of - timedelta(days=1)
    months = []
    while month <= last:
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        months.append((month.isoformat()[:7], min(nxt - timedelta(days=1), last).isoformat()))
        month = nxt
    for number, (signed, channel, cur, items) in contracts.items():
        if not any(c == number for c, *_ in shipped):
            out[(signed[:7], channel)]["unshipped_contracts"] += 1
        for m, end in months:
            if signed > end:
                continue
            for sku, (qty, price) in items.items():
                done = sum(q for c, d, s, q in shipped if c == number and s == sku and d <= end)
                out[(m, channel)]["backlog_value"] += convert(max(qty - done, 0) * price, cur, signed)
    valid = {m for m, _ in months}
    return {k: {f: v for f, v in figs.items() if v} for k, figs in out.items() if k[0] in valid and any(figs.values())}


def as_figures(truth: dict) -> dict:
    figures = {}
    for r in truth["rows"]:
        figs = {k: (Decimal(v) if isinstance(v, str) else v) for k, v in r.items() if k not in ("month", "channel")}
        figures[(r["month"], r["channel"])] = {k: v for k, v in figs.items() if v}
    return figures


@pytest.mark.parametrize(("as_of", "currency"), [("2026-11-01", "EUR"), ("2026-03-17", "EUR"), ("2027-01-20", "USD")])
def test_truth_equals_brute_force_recount(world_file: Path, as_of: str, currency: str) -> None:
    truth = compute_truth(SEED, "tiny", as_of, currency)
    assert as_figures(truth) == recount(world_file, date.fromisoformat(as_of), currency)


def test_truth_holds_every_kind_of_figure(world_file: Path) -> None:
    totals = compute_truth(SEED, "tiny", "2026-11-01")["totals"]
    for key, value in totals.items():
        assert Decimal(str(value)) > 0, f"tiny world at the default clock has no {key}"
    channels = {r["channel"] for r in compute_truth(SEED, "tiny", "2026-11-01")["rows"]}
    assert channels == {"meta", "google_ads", "organic", "unattributed"}


def test_truth_cli_prints_compute_truth(world_dir: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "sandbox", "truth", "--seed", str(SEED), "--scale", "tiny",
                          "--as-of", "2026-10-01", "--currency", "GBP"], capture_output=True, check=True, text=True)
    assert json.loads(out.stdout) == json.loads(json.dumps(compute_truth(SEED, "tiny", "2026-10-01", "GBP")))
