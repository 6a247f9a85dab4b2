"""The tiny world holds every business case the marts must handle, in the vendors' own spelling."""

import json
import sqlite3
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.world import DEFAULT_AS_OF

CLOCK = f"{DEFAULT_AS_OF}T00:00:00.000Z"


@pytest.fixture(scope="module")
def db(world_file: Path) -> sqlite3.Connection:
    return sqlite3.connect(world_file)


def current(db: sqlite3.Connection, resource: str) -> list[dict]:
    rows = db.execute("select payload from records where resource = ? and visible_from < ? and "
                      "(visible_to is null or visible_to >= ?)", (resource, CLOCK, CLOCK))
    return [json.loads(p) for (p,) in rows]


def test_contacts_cover_every_attribution_case(db: sqlite3.Connection) -> None:
    contacts = [c["properties"] for c in current(db, "hubspot/contacts")]
    meta = {r["campaign_name"] for r in current(db, "meta/insights")}
    google = {r["campaign"]["name"] for r in current(db, "google_ads/campaign_days")}
    kinds = set()
    for p in contacts:
        source, campaign = p["utm_source"], p["utm_campaign"]
        if source in ("facebook", "instagram"):
            kinds.add("meta" if campaign in meta else "meta source, unknown campaign")
        elif source == "google":
            kinds.add("google" if campaign in google else "google source, unknown campaign")
        else:
            kinds.add({"organic": "organic", None: "null source"}.get(source, "unmapped source"))
    assert kinds == {"meta", "google", "organic", "null source", "unmapped source",
                     "meta source, unknown campaign", "google source, unknown campaign"}
    assert any(p["utm_campaign"] in meta and p["utm_source"] == "google" for p in contacts) or \
        any(p["utm_campaign"] in google and p["utm_source"] in ("facebook", "instagram") for p in contacts)


def test_envelopes_cover_every_status_with_custom_fields(db: sqlite3.Connection) -> None:
    envelopes = current(db, "docusign/envelopes")
    assert {e["status"] for e in envelopes} == {"sent", "delivered", "completed", "declined", "voided"}
    for e in envelopes:
        names = [f["name"] for f in e["customFields"]["textCustomFields"]]
        assert names == ["hubspot_deal_id", "contract_number", "promised_delivery_date", "salesforce_opportunity_id"]
        assert e["recipients"]["signers"] and e["recipients"]["recipientCount"] == "1"
    assert 15 <= sum(e["status"] == "completed" for e in envelopes) <= 35


def test_shipments_cover_every_fulfilment_case(db: sqlite3.Connection) -> None:
    contracts = {}
    for e in current(db, "docusign/envelopes"):
        if e["status"] == "completed":
            fields = {f["name"]: f["value"] for f in e["customFields"]["textCustomFields"]}
            contracts[fields["contract_number"]] = (fields["hubspot_deal_id"], fields["promised_delivery_date"])
    deals = {d["id"]: d for d in current(db, "hubspot/deals")}
    lines = {li["id"]: li["properties"] for li in current(db, "hubspot/line_items")}
    shipments = current(db, "shipstation/shipments")
    cases = set()
    shipped = defaultdict(lambda: defaultdict(int))
    by_contract = defaultdict(list)
    for s in shipments:
        by_contract[s["external_order_id"]].append(s)
        if s["external_order_id"] not in contracts:
            cases.add("orphan")
        cases.add(s["shipment_status"])
        if s["shipment_status"] == "label_purchased":
            for item in s["items"]:
                shipped[s["external_order_id"]][item["sku"]] += item["quantity"]
            promised = contracts.get(s["external_order_id"], (None, "9999"))[1]
            if s["ship_date"][:10] > promised:
                cases.add("late")
    dealless = [number for number, (deal_id, _) in contracts.items() if deal_id not in deals]
    assert len(dealless) == 1 and not by_contract[dealless[0]], "one contract names a deal that does not exist"
    for number, (deal_id, _) in contracts.items():
        if deal_id not in deals:
            continue
        ordered = {lines[r["id"]]["hs_sku"]: int(lines[r["id"]]["quantity"])
                   for r in deals[deal_id]["associations"]["line_items"]["results"]}
        if not by_contract[number]:
            cases.add("unshipped")
        if sum(s["shipment_status"] == "label_purchased" for s in by_contract[number]) > 1:
            cases.add("split")
        if any(shipped[number][sku] > qty for sku, qty in ordered.items()):
            cases.add("over")
        if any(0 < shipped[number][sku] < qty for sku, qty in ordered.items()):
            cases.add("partial")
    assert {"orphan", "pending", "cancelled", "label_purchased", "late", "unshipped", "split", "over",
            "partial"} <= cases
    assert 20 <= len(shipments) <= 70


def test_labels_and_tracking_agree(db: sqlite3.Connection) -> None:
    labels = [lab for lab in current(db, "shipstation/labels") if lab["status"] != "voided"]
    tracks = {t["tracking_number"]: t for t in current(db, "shipstation/tracking")}
    assert {lab["tracking_status"] for lab in labels} == {"in_transit", "delivered"}
    for lab in labels:
        track = tracks[lab["tracking_number"]]
        assert (lab["tracking_status"] == "delivered") == (track["status_code"] == "DE")
        assert ("actual_delivery_date" in track) == (track["status_code"] == "DE")
        assert lab["shipment_cost"]["amount"] > 0 and lab["shipment_id"].startswith("se-")


def test_a_voided_label_comes_before_its_replacement_and_is_never_tracked(db: sqlite3.Connection) -> None:
    labels = current(db, "shipstation/labels")
    voided = [lab for lab in labels if lab["voided"]]
    live = {lab["shipment_id"]: lab for lab in labels if not lab["voided"]}
    tracked = {t_id for (t_id,) in db.execute("select distinct id from records where resource = 'shipstation/tracking'")}
    assert voided and len(voided) < len(labels) * 0.15, "about 6% of labels (and always the first) replace a voided one"
    assert "se-7000001" in {lab["label_id"] for lab in voided}  # the first label's
    for lab in voided:
        assert lab["status"] == "voided" and lab["tracking_status"] == "unknown"
        bought = datetime.fromisoformat(lab["created_at"])
        assert datetime.fromisoformat(lab["voided_at"]) == bought + timedelta(minutes=30)
        replacement = live[lab["shipment_id"]]  # the shipment was labelled again, later
        assert datetime.fromisoformat(replacement["created_at"]) > bought
        assert lab["label_id"] not in tracked and lab["tracking_number"] != replacement["tracking_number"]


def test_purged_envelopes_stay_completed_contracts(db: sqlite3.Connection) -> None:
    rows = db.execute("select id, payload from records where resource = 'docusign/envelopes' and visible_from < ? "
                      "order by id, visible_from", (CLOCK,)).fetchall()
    history: dict[str, list[dict]] = defaultdict(list)
    for id_, payload in rows:
        history[id_].append(json.loads(payload))
    purged = {id_: versions for id_, versions in history.items() if versions[-1]["purgeState"] == "documents_purged"}
    assert purged, "no envelope of the tiny world was purged before the clock"
    first = next(e for e in current(db, "docusign/envelopes")
                 if any(f["value"].endswith("-000001") for f in e["customFields"]["textCustomFields"]))
    assert first["envelopeId"] in purged  # always the first contract
    for versions in purged.values():
        signed, queued, done = versions[-3:]
        assert [v["purgeState"] for v in (signed, queued, done)] == ["unpurged", "documents_queued", "documents_purged"]
        assert signed["status"] == queued["status"] == done["status"] == "completed"
        # only the purge state and the modified time change: status, signing and custom fields stay
        assert {k: v for k, v in done.items() if k not in ("purgeState", "lastModifiedDateTime")} == \
            {k: v for k, v in signed.items() if k not in ("purgeState", "lastModifiedDateTime")}
        assert done["lastModifiedDateTime"] > queued["lastModifiedDateTime"] > signed["statusChangedDateTime"]


def test_deals_and_line_items_use_hubspot_strings(db: sqlite3.Connection) -> None:
    lines = {li["id"]: li["properties"] for li in current(db, "hubspot/line_items")}
    stages = set()
    for deal in current(db, "hubspot/deals"):
        p = deal["properties"]
        stages.add(p["dealstage"])
        assert isinstance(p["amount"], str) and p["deal_currency_code"] in {"EUR", "USD", "GBP", "SEK", "CHF"}
        skus = [lines[r["id"]]["hs_sku"] for r in deal["associations"]["line_items"]["results"]]
        assert len(skus) == len(set(skus)), f"deal {deal['id']} repeats a sku"
        for r in deal["associations"]["line_items"]["results"]:
            li = lines[r["id"]]
            assert li["quantity"].isdigit() and float(li["price"]) > 0 and li["hs_sku"].startswith("SKU-")
    assert {"closedwon", "closedlost"} <= stages and len(stages) >= 4


def test_ecb_rates_only_on_business_days_with_four_decimals(db: sqlite3.Connection) -> None:
    rates = current(db, "ecb/rates")
    assert {r["currency"] for r in rates} == {"USD", "GBP", "SEK", "CHF"}
    for r in rates:
        assert date.fromisoformat(r["date"]).weekday() < 5
        assert len(r["rate"].split(".")[1]) == 4
    assert date(2025, 12, 25).isoformat() not in {r["date"] for r in rates}


def test_meta_spend_restates_within_28_days_and_google_only_conversions(db: sqlite3.Connection) -> None:
    meta = defaultdict(list)
    for rid, vf, payload in db.execute("select id, visible_from, payload from records where resource = 'meta/insights' "
                                       "order by id, visible_from"):
        meta[rid].append((vf, json.loads(payload)))
    restated = {k: v for k, v in meta.items() if len(v) > 1}
    assert len(restated) > len(meta) // 10
    for versions in restated.values():
        day = date.fromisoformat(versions[0][1]["date_start"])
        assert versions[-1][0] <= (day + timedelta(days=29)).isoformat()
        assert versions[0][1]["spend"] != versions[-1][1]["spend"]
    google = defaultdict(list)
    for rid, payload in db.execute("select id, payload from records where resource = 'google_ads/campaign_days' "
                                   "order by id, visible_from"):
        google[rid].append(json.loads(payload)["metrics"])
    changed = [v for v in google.values() if len(v) > 1]
    assert changed and all(v[0]["costMicros"] == v[-1]["costMicros"] != "" for v in changed)
    assert all(v[0]["conversions"] != v[-1]["conversions"] for v in changed if v[-1]["conversions"])
