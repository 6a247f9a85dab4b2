"""Model objects to the JSON each vendor API returns: the only place vendor field names live."""

import itertools
import random
import zlib
from collections.abc import Iterator
from decimal import Decimal

from sandbox.credentials import DOCUSIGN_ACCOUNT_ID
from sandbox.world import salesforce
from sandbox.world.catalog import CARRIERS
from sandbox.world.model import AdDay, Company, Contact, Deal, Envelope, FxRate, Label, Shipment
from sandbox.world.timefmt import DAY, day_str, iso_7, iso_ms, iso_s

# (resource, scope, id, visible_from, modified_at, event_date, payload dict)
Version = tuple[str, str, str, int, int, str | None, dict | None]  # a None payload ends the record (store._rows)

PIPELINE_STAGE_PROBABILITY = {"appointmentscheduled": "0.2", "qualifiedtobuy": "0.4", "presentationscheduled": "0.6",
                              "decisionmakerboughtin": "0.8", "contractsent": "0.9", "closedwon": "1.0",
                              "closedlost": "0.0"}
WAREHOUSE = {"name": "Hub Warehouse", "phone": "+49 30 1234567", "company_name": "Sales Hub GmbH",
             "address_line1": "Lagerstrasse 1", "address_line2": None, "address_line3": None,
             "city_locality": "Berlin", "state_province": "BE", "postal_code": "10115", "country_code": "DE",
             "address_residential_indicator": "no", "email": None, "instructions": None}


def _hubspot(id_: str, created: int, modified: int, properties: dict) -> dict:
    return {"id": id_, "properties": properties, "createdAt": iso_ms(created), "updatedAt": iso_ms(modified),
            "archived": False}


def fx_versions(r: FxRate) -> Iterator[Version]:
    """One ECB observation."""
    d = day_str(r.day)
    yield ("ecb/rates", "", f"{r.currency}:{d}", r.published, r.published, d,
           {"currency": r.currency, "date": d, "rate": r.rate})


def ad_versions(a: AdDay) -> Iterator[Version]:
    """Meta insights rows or Google Ads campaign-day rows, one per restatement."""
    c, d = a.campaign, day_str(a.day)
    for t, (spend, impressions, clicks, conversions) in a.versions:
        if c.platform == "meta":
            payload = {
                "account_id": c.scope.removeprefix("act_"), "account_name": f"Hub Ads {c.currency}",
                "account_currency": c.currency, "campaign_id": c.id, "campaign_name": c.name,
                "impressions": str(impressions), "clicks": str(clicks), "spend": f"{spend:.2f}",
                "cpc": f"{spend / clicks:.6f}" if clicks else "0", "ctr": f"{clicks * 100 / impressions:.6f}",
                "date_start": d, "date_stop": d,
            }
            yield ("meta/insights", c.scope, f"{c.id}:{d}", t, t, d, payload)
        else:
            payload = {
                "customer": {"resourceName": f"customers/{c.scope}", "id": c.scope, "currencyCode": c.currency,
                             "descriptiveName": f"Hub Ads {c.currency}", "timeZone": "Europe/Berlin"},
                "campaign": {"resourceName": f"customers/{c.scope}/campaigns/{c.id}", "id": c.id, "name": c.name,
                             "status": "ENABLED", "advertisingChannelType": "SEARCH"},
                "segments": {"date": d},
                "metrics": {"costMicros": str(int(spend * 1_000_000)), "impressions": str(impressions),
                            "clicks": str(clicks), "conversions": float(conversions),
                            "conversionsValue": float(round(conversions * 120, 2))},
            }
            yield ("google_ads/campaign_days", c.scope, f"{c.id}:{d}", t, t, d, payload)


# Store resources beside the live HubSpot objects: archived copies (`?archived=true`) and the
# ids merged away (v4 associations and reads by id resolve them to the survivor).
ARCHIVED = ":archived"
MERGED = ":merged"


def _ended(resource: str, id_: str, at: int, last: dict, modified_key: str) -> Iterator[Version]:
    """A HubSpot object archived at `at`: its live versions end (a None payload, see store._rows)
    and an archived copy appears, as `GET /crm/v3/objects/{type}?archived=true` lists it."""
    yield (resource, "", id_, at, at, None, None)
    gone = {**last, "archived": True, "archivedAt": iso_ms(at), "updatedAt": iso_ms(at),
            "properties": {**last["properties"], modified_key: iso_ms(at)}}
    yield (resource + ARCHIVED, "", id_, at, at, None, gone)


def contact_versions(c: Contact) -> Iterator[Version]:
    """HubSpot contact versions: lifecycle stage changes, contacts merged into it (the survivor
    lists their ids in `hs_merged_object_ids`), its deletion or its merge into another."""
    events = sorted([(t, "stage", stage) for t, stage in c.versions] + [(t, "merge", id_) for t, id_ in c.absorbed])
    stage, merged = c.versions[0][1], []
    payload: dict = {}
    for t, what, value in events:
        if what == "stage":
            stage = value
        else:
            merged.append(value)
        props = {"createdate": iso_ms(c.created), "email": c.email, "firstname": c.firstname,
                 "hs_object_id": c.id, "lastmodifieddate": iso_ms(t), "lastname": c.lastname,
                 "lifecyclestage": stage, "utm_source": c.utm_source, "utm_campaign": c.utm_campaign}
        if merged:
            props["hs_merged_object_ids"] = ";".join(merged)
        payload = _hubspot(c.id, c.created, t, props)
        yield ("hubspot/contacts", "", c.id, t, t, None, payload)
    if c.archived is not None:
        yield from _ended("hubspot/contacts", c.id, c.archived, payload, "lastmodifieddate")
    elif c.merged_into is not None:
        at, survivor = c.merged_into
        yield ("hubspot/contacts", "", c.id, at, at, None, None)
        yield ("hubspot/contacts" + MERGED, "", c.id, at, at, None, {"id": c.id, "mergedInto": survivor})


def company_versions(c: Company) -> Iterator[Version]:
    """HubSpot company (one version, and its deletion)."""
    props = {"createdate": iso_ms(c.created), "domain": c.domain, "hs_lastmodifieddate": iso_ms(c.created),
             "hs_object_id": c.id, "name": c.name, "country": c.country, "industry": "MACHINERY"}
    payload = _hubspot(c.id, c.created, c.created, props)
    yield ("hubspot/companies", "", c.id, c.created, c.created, None, payload)
    if c.archived is not None:
        yield from _ended("hubspot/companies", c.id, c.archived, payload, "hs_lastmodifieddate")


def deal_versions(d: Deal) -> Iterator[Version]:
    """A deal's stage versions, its line items, envelopes, shipments, labels and tracking."""
    assoc = {
        "contacts": {"results": [{"id": cid, "type": "deal_to_contact"} for cid in sorted(d.contact_ids)]},
        "line_items": {"results": [{"id": li.id, "type": "deal_to_line_item"} for li in d.lines]},
    }
    if d.company_id:
        assoc["companies"] = {"results": [{"id": d.company_id, "type": "deal_to_company"}]}
    amount = d.amount
    for t, stage in d.versions:
        closed = stage in ("closedwon", "closedlost")
        props = {"amount": _plain(amount), "closedate": iso_ms(t) if closed else None,
                 "createdate": iso_ms(d.created), "deal_currency_code": d.currency, "dealname": d.name,
                 "dealstage": stage, "hs_deal_stage_probability": PIPELINE_STAGE_PROBABILITY[stage],
                 "hs_is_closed_won": "true" if stage == "closedwon" else "false",
                 "hs_lastmodifieddate": iso_ms(t), "hs_object_id": d.id, "pipeline": "default"}
        payload = _hubspot(d.id, d.created, t, props)
        payload["associations"] = assoc
        yield ("hubspot/deals", "", d.id, t, t, None, payload)
    if d.archived is not None:
        yield from _ended("hubspot/deals", d.id, d.archived, payload, "hs_lastmodifieddate")
    for li in d.lines:
        props = {"createdate": iso_ms(d.created), "hs_lastmodifieddate": iso_ms(d.created),
                 "hs_line_item_currency_code": d.currency, "hs_object_id": li.id, "hs_sku": li.sku,
                 "name": li.name, "price": f"{li.price:.2f}", "quantity": str(li.quantity),
                 "amount": f"{li.price * li.quantity:.2f}"}
        line = _hubspot(li.id, d.created, d.created, props)
        yield ("hubspot/line_items", "", li.id, d.created, d.created, None, line)
        if d.archived is not None:  # HubSpot deletes a deal's line items with it
            yield from _ended("hubspot/line_items", li.id, d.archived, line, "hs_lastmodifieddate")
    for env in d.envelopes:
        yield from envelope_versions(env)
    for s in d.shipments:
        yield from shipment_versions(s)


def _plain(amount: Decimal) -> str:
    # HubSpot echoes numbers the way they were entered: "1250" or "1250.5", never trailing zeros.
    text = f"{amount:.2f}".rstrip("0").rstrip(".")
    return text or "0"


# DocuSign purges the documents of completed envelopes after the account's retention period: they
# wait 14 days in a purge queue, then go; "the envelope information for the document will remain"
# (https://developers.docusign.com/docs/esign-soap-api/reference/status-and-managing-group/purgedocuments,
# `purgeState` in the eSignature v2.1 spec's envelope). Some completed envelopes, and always the
# first contract, are queued RETENTION_DAYS after completion: two later versions (documents_queued,
# then documents_purged) with a new lastModifiedDateTime and the same status: still a contract.
PURGED_PERCENT = 15
RETENTION_DAYS = 30
PURGE_QUEUE_DAYS = 14


def _drawn(key: str, percent: int) -> bool:
    """True for about `percent`% of keys, the same every run (a string seed is hashed with SHA-512;
    crc32 of sequential ids clusters)."""
    return random.Random(key).random() * 100 < percent


def purged(e: Envelope) -> bool:
    """Whether the world purges this envelope's documents once completed (by id, the same every run)."""
    return e.contract_number.endswith("-000001") or _drawn(f"purge:{e.id}", PURGED_PERCENT)


def envelope_versions(e: Envelope) -> Iterator[Version]:
    """DocuSign envelope versions as listStatusChanges returns them with include=custom_fields,recipients;
    a completed envelope whose documents are purged gets two more (the purge queued, then done)."""
    stamps: dict[str, int] = {}
    payload: dict = {}
    for t, status in e.versions:
        stamps[status] = t
        sent = stamps["sent"]
        signer_status = {"completed": "completed", "declined": "declined", "delivered": "delivered"}.get(status, "sent")
        if status == "voided":
            signer_status = "delivered"
        signer = {
            "recipientId": "1", "recipientIdGuid": f"{e.id[:-12]}{e.id[-12:][::-1]}", "recipientType": "signer",
            "routingOrder": "1", "name": e.signer_name, "email": e.signer_email, "status": signer_status,
            "sentDateTime": iso_7(sent), "deliveredDateTime": iso_7(stamps["delivered"]) if "delivered" in stamps else None,
            "signedDateTime": iso_7(stamps["completed"]) if "completed" in stamps else None,
            "declinedDateTime": iso_7(stamps["declined"]) if "declined" in stamps else None,
            "declinedReason": "Terms changed" if "declined" in stamps else None,
        }
        signer = {k: v for k, v in signer.items() if v is not None}
        payload = {
            "envelopeId": e.id, "status": status, "emailSubject": f"Please sign contract {e.contract_number}",
            "envelopeUri": f"/envelopes/{e.id}", "createdDateTime": iso_7(sent), "sentDateTime": iso_7(sent),
            "statusChangedDateTime": iso_7(t), "lastModifiedDateTime": iso_7(t),
            "customFieldsUri": f"/envelopes/{e.id}/custom_fields", "recipientsUri": f"/envelopes/{e.id}/recipients",
            "customFields": {"textCustomFields": [
                {"fieldId": str(10_000 + k), "name": name, "show": "true", "required": "false", "value": value}
                # the deal's id in each CRM the world is served through (a firm fills the one it uses)
                for k, (name, value) in enumerate((("hubspot_deal_id", e.deal_id),
                                                   ("contract_number", e.contract_number),
                                                   ("promised_delivery_date", day_str(e.promised_delivery)),
                                                   ("salesforce_opportunity_id",
                                                    salesforce.sf_id("Opportunity", int(e.deal_id)))))
            ], "listCustomFields": []},
            "recipients": {"signers": [signer], "agents": [], "editors": [], "intermediaries": [],
                           "carbonCopies": [], "certifiedDeliveries": [], "inPersonSigners": [],
                           "seals": [], "witnesses": [], "notaries": [],
                           "recipientCount": "1", "currentRoutingOrder": "1"},
        }
        if "delivered" in stamps:
            payload["deliveredDateTime"] = iso_7(stamps["delivered"])
        if status == "completed":
            payload["completedDateTime"] = iso_7(t)
        elif status == "declined":
            payload["declinedDateTime"] = iso_7(t)
        elif status == "voided":
            payload["voidedDateTime"] = iso_7(t)
            payload["voidedReason"] = "Replaced by a corrected contract"
        payload["purgeState"] = "unpurged"
        yield ("docusign/envelopes", DOCUSIGN_ACCOUNT_ID, e.id, t, t, None, payload)
    if e.versions[-1][1] == "completed" and purged(e):
        queued = e.versions[-1][0] + RETENTION_DAYS * DAY
        for t, state in ((queued, "documents_queued"), (queued + PURGE_QUEUE_DAYS * DAY, "documents_purged")):
            payload = {**payload, "purgeState": state, "lastModifiedDateTime": iso_7(t)}
            yield ("docusign/envelopes", DOCUSIGN_ACCOUNT_ID, e.id, t, t, None, payload)


def _address(to: tuple[str, str, str, str, str, str]) -> dict:
    name, street, city, state, postal, country = to
    return {"name": name, "phone": "+1 555 0100", "email": None, "company_name": None, "address_line1": street,
            "address_line2": None, "address_line3": None, "city_locality": city, "state_province": state,
            "postal_code": postal, "country_code": country, "address_residential_indicator": "unknown",
            "instructions": None}


def shipment_versions(s: Shipment) -> Iterator[Version]:
    """ShipStation v2 shipment versions plus its label and tracking versions."""
    carrier, service = CARRIERS[int(s.id[3:]) % len(CARRIERS)]
    carrier_id = f"se-{100 + int(s.id[3:]) % len(CARRIERS)}"
    items = [{"name": name, "sales_order_id": None, "sales_order_item_id": None, "quantity": qty, "sku": sku,
              "bundle_sku": None, "external_order_id": s.external_order_id,
              "external_order_item_id": f"{s.external_order_id}-{n + 1}", "asin": None,
              "order_source_code": s.order_source}
             for n, (sku, name, qty) in enumerate(s.items)]
    weight = {"value": float(sum(q for _, _, q in s.items) * 2), "unit": "pound"}
    ship_date = iso_s(s.ship_day * DAY)
    for t, status in s.versions:
        payload = {
            "shipment_id": s.id, "carrier_id": carrier_id, "service_code": service,
            "requested_shipment_service": None, "shipping_rule_id": None, "external_order_id": s.external_order_id,
            "hold_until_date": None, "ship_by_date": None, "retail_rate": None,
            "items": items, "tax_identifiers": None, "external_shipment_id": f"{s.external_order_id}/{s.id}",
            "shipment_number": None, "ship_date": ship_date, "created_at": iso_ms(s.created), "modified_at": iso_ms(t),
            "shipment_status": status, "ship_to": _address(s.ship_to), "ship_from": WAREHOUSE, "warehouse_id": None,
            "return_to": WAREHOUSE, "is_return": False, "confirmation": "none", "customs": None,
            "advanced_options": {"bill_to_account": None, "bill_to_country_code": None, "bill_to_party": None,
                                 "bill_to_postal_code": None, "contains_alcohol": False,
                                 "delivered_duty_paid": False, "non_machinable": False,
                                 "saturday_delivery": False, "dry_ice": False, "dry_ice_weight": None,
                                 "third_party_consignee": False,
                                 "custom_field1": None, "custom_field2": None, "custom_field3": None},
            "insurance_provider": "none", "tags": [], "order_source_code": s.order_source,
            "packages": [{"package_code": "package", "weight": weight, "dimensions": {"unit": "inch", "length": 12.0,
                                                                                     "width": 9.0, "height": 6.0},
                          "insured_value": {"currency": "usd", "amount": 0.0}, "label_messages": {
                              "reference1": None, "reference2": None, "reference3": None},
                          "content_description": None}],
            "total_weight": weight, "comparison_rate_type": None,
        }
        yield ("shipstation/shipments", "", s.id, t, t, None, payload)
    if s.label is not None:
        yield from _label_versions(s, carrier, service, carrier_id, ship_date)
    from sandbox.world.shippo import shippo_versions  # local: shippo.py builds on this module
    yield from shippo_versions(s)  # the same shipment in Shippo's shapes


# A label bought by mistake is voided for a refund and a new one bought for the shipment: "Labels
# cannot be un-voided ... you can create a new label for that shipment"
# (https://docs.shipstation.com/void-labels, PUT /v2/labels/{label_id}/void:
# https://docs.shipstation.com/apis/openapi/labels/void_label; the label's `status: voided`,
# `voided`, `voided_at` in the v2 spec). About VOIDED_PERCENT of labels, and always the first,
# follow one voided 30 minutes after it was bought: it never ships, is never tracked, costs nothing.
VOIDED_PERCENT = 6
VOIDED_ID_OFFSET = 1_000_000  # se-7xxxxxx: the voided label of se-8xxxxxx, never another label's id
VOID_BOUGHT_BEFORE = 40 * 60  # the voided label is bought 40 minutes before the real one ...
VOID_AFTER = 30 * 60  # ... and voided 30 minutes later


def replaces_a_voided_label(lab: Label) -> bool:
    """Whether a voided label was bought for the shipment before `lab` (by id, the same every run)."""
    return lab.id == "se-8000001" or _drawn(f"void:{lab.id}", VOIDED_PERCENT)


def _label(s: Shipment, lab: Label, carrier: str, service: str, carrier_id: str, ship_date: str) -> dict:
    """A label as GET /v2/labels lists it, bought and not yet delivered."""
    href = f"https://api.shipstation.com/v2/downloads/10/{lab.id}/label-{lab.id}"
    return {
        "label_id": lab.id, "status": "completed", "shipment_id": s.id, "external_shipment_id": None,
        "external_order_id": s.external_order_id, "ship_date": ship_date, "created_at": iso_ms(lab.created),
        "shipment_cost": {"currency": "usd", "amount": float(lab.cost)},
        "insurance_cost": {"currency": "usd", "amount": 0.0}, "tracking_number": lab.tracking_number,
        "is_return_label": False, "rma_number": None, "is_international": s.ship_to[5] != "DE",
        "carrier_id": carrier_id, "charge_event": "carrier_default", "service_code": service,
        "package_code": "package", "voided": False, "voided_at": None, "label_format": "pdf",
        "display_scheme": "label", "label_layout": "4x6", "trackable": True, "label_image_id": None,
        "carrier_code": carrier, "tracking_status": "in_transit",
        "label_download": {"pdf": f"{href}.pdf", "png": f"{href}.png", "zpl": f"{href}.zpl", "href": f"{href}.pdf"},
        "form_download": None, "insurance_claim": None, "packages": [],
    }


def _voided_label_versions(s: Shipment, carrier: str, service: str, carrier_id: str,
                           ship_date: str) -> Iterator[Version]:
    """The label bought before the real one and voided: bought (nothing scanned yet), then voided."""
    lab = s.label
    assert lab is not None
    bought = lab.created - VOID_BOUGHT_BEFORE
    voided_id = f"se-{int(lab.id[3:]) - VOIDED_ID_OFFSET}"
    mistake = Label(voided_id, bought, lab.cost, f"1Z{zlib.crc32(voided_id.encode()):016X}", None)
    label = {**_label(s, mistake, carrier, service, carrier_id, ship_date), "tracking_status": "unknown"}
    yield ("shipstation/labels", "", voided_id, bought, bought, None, label)
    at = bought + VOID_AFTER
    label = {**label, "status": "voided", "voided": True, "voided_at": iso_ms(at)}
    yield ("shipstation/labels", "", voided_id, at, at, None, label)


def _label_versions(s: Shipment, carrier: str, service: str, carrier_id: str, ship_date: str) -> Iterator[Version]:
    lab = s.label
    assert lab is not None
    if replaces_a_voided_label(lab):
        yield from _voided_label_versions(s, carrier, service, carrier_id, ship_date)
    states = [(lab.created, False)] + ([(lab.delivered, True)] if lab.delivered is not None else [])
    for t, delivered in states:
        label = _label(s, lab, carrier, service, carrier_id, ship_date)
        if delivered:
            label["tracking_status"] = "delivered"
        yield ("shipstation/labels", "", lab.id, t, t, None, label)
        events = [{"occurred_at": iso_s(lab.created + 3600), "carrier_occurred_at": iso_s(lab.created + 3600),
                   "description": "Shipment picked up", "city_locality": "Berlin", "state_province": "BE",
                   "postal_code": "10115", "country_code": "DE", "event_code": "PU", "carrier_detail_code": "PU", "status_code": "IT",
                   "status_detail_code": "COLLECTION_MADE", "status_description": "In Transit",
                   "status_detail_description": "The shipment was collected.", "carrier_status_code": "PU",
                   "carrier_status_description": "Picked up"}]
        if delivered:
            events.insert(0, {**events[0], "occurred_at": iso_s(t), "carrier_occurred_at": iso_s(t),
                              "description": "Delivered", "city_locality": s.ship_to[2], "state_province": s.ship_to[3],
                              "postal_code": s.ship_to[4], "country_code": s.ship_to[5], "event_code": "DL",
                              "carrier_detail_code": "DL",
                              "status_code": "DE", "status_detail_code": "DELIVERED",
                              "status_description": "Delivered",
                              "status_detail_description": "Your shipment has been delivered.",
                              "carrier_status_code": "D", "carrier_status_description": "Delivered"})
        track = {
            "tracking_number": lab.tracking_number,
            "tracking_url": f"https://www.{carrier.split('_')[0]}.com/track?tracknum={lab.tracking_number}",
            "status_code": "DE" if delivered else "IT",
            "status_detail_code": "DELIVERED" if delivered else "COLLECTION_MADE",
            "carrier_code": carrier, "carrier_id": 100 + int(s.id[3:]) % len(CARRIERS),
            "status_description": "Delivered" if delivered else "In Transit",
            "status_detail_description": "Your shipment has been delivered." if delivered else "The shipment was collected.",
            "carrier_status_code": "D" if delivered else "PU",
            "carrier_status_description": "Delivered" if delivered else "Picked up",
            "ship_date": ship_date, "estimated_delivery_date": iso_s(lab.created + 4 * DAY),
            "events": events,
        }
        if delivered:  # the spec has no null here: the field is absent until delivery
            track["actual_delivery_date"] = iso_s(t)
        yield ("shipstation/tracking", "", lab.id, t, t, None, track)


def versions_of(item: object) -> Iterator[Version]:
    """All store versions of one world object: its HubSpot-and-the-rest shapes, then its Salesforce ones."""
    return itertools.chain(_versions_of(item), salesforce.versions(item))


def _versions_of(item: object) -> Iterator[Version]:
    from sandbox.world import model as m  # local: keeps the dispatch table next to its use
    if isinstance(item, m.AdDay):
        return ad_versions(item)
    if isinstance(item, m.Contact):
        return contact_versions(item)
    if isinstance(item, m.Deal):
        return deal_versions(item)
    if isinstance(item, m.Shipment):
        return shipment_versions(item)
    if isinstance(item, m.Company):
        return company_versions(item)
    if isinstance(item, m.FxRate):
        return fx_versions(item)
    return iter(())  # campaigns have no record of their own: they live in the ad rows
