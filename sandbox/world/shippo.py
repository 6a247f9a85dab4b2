"""The fulfilment side of the world in Shippo's shapes (https://docs.goshippo.com, spec
/work/shared/specs/shippo/public-api.yaml): orders with line items, shipments with the bought
rate, transactions (labels) and tracks.

One world shipment is one Shippo order: `order_number` is the contract number (ShipStation's
`external_order_id`; Shippo says it "doesn't need to be unique", so a split contract has several
orders). A bought label is a shipment (its `rates` hold the rate bought) and a transaction naming
the order (`order`, as the live API returns it beside `rate`, `parcel` and `metadata`:
https://docs.goshippo.com/docs/carriers/integration_guides/colissimo/purchase_label). A label
bought by mistake is refunded: its transaction turns REFUNDED (TransactionStatusEnum) when the
ShipStation world voids it. Tracks answer GET /tracks/{carrier}/{tracking_number}.
Store rows keep object_created (orders: placed_at) in `event_date`: Shippo lists newest first.
"""

import hashlib
import zlib
from collections.abc import Iterator

from sandbox.world.catalog import CARRIERS
from sandbox.world.model import Label, Shipment
from sandbox.world.payloads import VOID_AFTER, VOID_BOUGHT_BEFORE, VOIDED_ID_OFFSET, Version, replaces_a_voided_label
from sandbox.world.timefmt import DAY, iso_ms, iso_s

OWNER = "hub@sandbox.example"
# ShipStation's v2 status -> Shippo's OrderStatusEnum ("When you create a label ... and reference your
# order, it will transition the order's status ... to SHIPPED": https://docs.goshippo.com/docs/orders/orders/)
ORDER_STATUS = {"pending": "PAID", "label_purchased": "SHIPPED", "cancelled": "CANCELLED"}
SHOP_APPS = {"shopify": "Shopify", "amazon_us": "Amazon", "woo_commerce": "WooCommerce", "etsy": "Etsy"}
CARRIER_NAMES = {"ups": "UPS", "fedex": "FedEx", "dhl_express": "DHL Express"}
SERVICE_NAMES = {"ups_ground": "Ground", "fedex_ground": "FedEx Ground®", "dhl_express_worldwide": "Express Worldwide"}


def object_id(kind: str, key: str) -> str:
    """A Shippo-shaped object id (32 hex digits), the same every run."""
    return hashlib.md5(f"shippo:{kind}:{key}".encode()).hexdigest()  # noqa: S324 - an id, not a secret


def _address(name: str, street: str, city: str, state: str, postal: str, country: str, created: int) -> dict:
    return {"name": name, "company": "", "street1": street, "street2": "", "street3": "", "street_no": "",
            "city": city, "state": state, "zip": postal, "country": country, "phone": "+1 555 0100", "email": "",
            "is_residential": False, "metadata": "", "object_id": object_id("address", f"{name}:{street}:{created}"),
            "object_owner": OWNER, "object_created": iso_ms(created), "object_updated": iso_ms(created),
            "is_complete": True, "test": False}


def _warehouse(created: int) -> dict:
    return {**_address("Hub Warehouse", "Lagerstrasse 1", "Berlin", "BE", "10115", "DE", 0),
            "company": "Sales Hub GmbH", "phone": "+49 30 1234567",
            "object_created": iso_ms(created), "object_updated": iso_ms(created)}


def _carrier(s: Shipment) -> tuple[str, str]:
    return CARRIERS[int(s.id[3:]) % len(CARRIERS)]


def _rate(s: Shipment, lab: Label) -> dict:
    carrier, service = _carrier(s)
    return {"object_id": object_id("rate", lab.id), "object_created": iso_ms(lab.created - 60),
            "object_owner": OWNER, "shipment": object_id("shipment", lab.id), "amount": f"{lab.cost:.2f}",
            "currency": "USD", "amount_local": f"{lab.cost:.2f}", "currency_local": "USD",
            "provider": CARRIER_NAMES[carrier], "servicelevel": {"name": SERVICE_NAMES[service], "token": service},
            "carrier_account": object_id("carrier_account", carrier), "estimated_days": 4, "duration_terms": "",
            "attributes": [], "messages": [], "test": False, "zone": "1"}


def _transactions(s: Shipment) -> list[tuple[Label, int | None]]:
    """The labels bought for `s`, each with the time it was refunded (None: kept), oldest first."""
    lab = s.label
    if lab is None:
        return []
    bought: list[tuple[Label, int | None]] = []
    if replaces_a_voided_label(lab):
        mistake_id = f"se-{int(lab.id[3:]) - VOIDED_ID_OFFSET}"
        at = lab.created - VOID_BOUGHT_BEFORE
        bought.append((Label(mistake_id, at, lab.cost, f"1Z{zlib.crc32(mistake_id.encode()):016X}", None), at + VOID_AFTER))
    bought.append((lab, None))
    return bought


def order_versions(s: Shipment) -> Iterator[Version]:
    """The Shippo order of one world shipment, a version per status and per label bought."""
    oid = object_id("order", s.id)
    name, street, city, state, postal, country = s.ship_to
    lines = [{"object_id": object_id("line_item", f"{s.id}:{n}"), "title": title, "sku": sku, "quantity": qty,
              "currency": "USD", "weight": f"{qty * 2:.1f}", "weight_unit": "lb", "variant_title": "",
              "manufacture_country": "DE", "max_ship_time": iso_s(s.ship_day * DAY),
              "max_delivery_time": iso_s((s.ship_day + 7) * DAY)}
             for n, (sku, title, qty) in enumerate(s.items)]
    events = sorted([(t, "status", status) for t, status in s.versions]
                    + [(lab.created, "label", object_id("transaction", lab.id)) for lab, _ in _transactions(s)])
    status, transactions = "pending", []
    for t, what, value in events:
        if what == "status":
            status = value
        else:
            transactions.append(value)
        payload = {
            "object_id": oid, "object_owner": OWNER, "order_number": s.external_order_id,
            "order_status": ORDER_STATUS[status], "placed_at": iso_s(s.created),
            "to_address": _address(name, street, city, state, postal, country, s.created),
            "from_address": _warehouse(s.created), "line_items": lines, "shop_app": SHOP_APPS.get(s.order_source, "Shippo"),
            "currency": "USD", "notes": "", "shipping_cost": "0.00", "shipping_cost_currency": "USD",
            "shipping_method": "", "subtotal_price": "0.00", "total_price": "0.00", "total_tax": "0.00",
            "weight": f"{sum(q for _, _, q in s.items) * 2:.1f}", "weight_unit": "lb",
            "transactions": list(transactions),
        }
        yield ("shippo/orders", "", oid, t, t, iso_ms(s.created), payload)


def label_versions(s: Shipment) -> Iterator[Version]:
    """Per label bought: its shipment (with the rate bought), its transaction and its track versions."""
    carrier, service = _carrier(s)
    name, street, city, state, postal, country = s.ship_to
    order_id = object_id("order", s.id)
    for lab, refunded in _transactions(s):
        sid, tid = object_id("shipment", lab.id), object_id("transaction", lab.id)
        created = lab.created - 60  # rates are asked for a minute before the label is bought
        shipment = {
            "object_id": sid, "object_owner": OWNER, "object_created": iso_ms(created), "object_updated": iso_ms(created),
            "status": "SUCCESS", "test": False, "metadata": f"Order {s.external_order_id}",
            "shipment_date": iso_s(s.ship_day * DAY), "address_from": _warehouse(created),
            "address_to": _address(name, street, city, state, postal, country, s.created),
            "address_return": _warehouse(created), "carrier_accounts": [], "messages": [],
            "parcels": [{"object_id": object_id("parcel", lab.id), "object_owner": OWNER, "object_state": "VALID",
                         "object_created": iso_ms(created), "object_updated": iso_ms(created), "length": "12",
                         "width": "9", "height": "6", "distance_unit": "in", "mass_unit": "lb", "test": False,
                         "weight": f"{sum(q for _, _, q in s.items) * 2:.1f}", "metadata": "", "extra": {}}],
            "rates": [_rate(s, lab)], "extra": {},
        }
        yield ("shippo/shipments", "", sid, created, created, iso_ms(created), shipment)
        states = [(lab.created, "SUCCESS", "UNKNOWN" if refunded else "TRANSIT")]
        if refunded is not None:
            states.append((refunded, "REFUNDED", "UNKNOWN"))
        elif lab.delivered is not None:
            states.append((lab.delivered, "SUCCESS", "DELIVERED"))
        for t, status, tracking in states:
            transaction = {
                "object_id": tid, "object_owner": OWNER, "object_state": "VALID", "status": status, "test": False,
                "object_created": iso_ms(lab.created), "object_updated": iso_ms(t), "rate": object_id("rate", lab.id),
                "order": order_id, "parcel": object_id("parcel", lab.id), "metadata": f"Order {s.external_order_id}",
                "tracking_number": lab.tracking_number, "tracking_status": tracking,
                "eta": iso_s(lab.created + 4 * DAY), "tracking_url_provider":
                    f"https://www.{carrier.split('_')[0]}.com/track?tracknum={lab.tracking_number}",
                "label_url": f"https://deliver.goshippo.com/{tid}.pdf", "label_file_type": "PDF",
                "commercial_invoice_url": None, "qr_code_url": None, "messages": [], "billing": {"payments": []},
            }
            yield ("shippo/transactions", "", tid, t, t, iso_ms(lab.created), transaction)
            if refunded is None:
                track = _track(s, lab, tid, carrier, service, delivered=tracking == "DELIVERED")
                yield ("shippo/tracks", "", f"{carrier}/{lab.tracking_number}", t, t, iso_ms(lab.created), track)


def _status(oid: str, status: str, details: str, at: int, location: dict, code: str, text: str) -> dict:
    return {"object_id": oid, "object_created": iso_ms(at), "object_updated": iso_ms(at), "status": status,
            "status_details": details, "status_date": iso_s(at), "location": location,
            "substatus": {"code": code, "text": text, "action_required": False}}


def _track(s: Shipment, lab: Label, tid: str, carrier: str, service: str, delivered: bool) -> dict:
    """GET /tracks/{carrier}/{tracking_number}: tracking_history oldest first, tracking_status the newest."""
    origin = {"city": "Berlin", "state": "BE", "zip": "10115", "country": "DE"}
    _, _, city, state, postal, country = s.ship_to
    destination = {"city": city, "state": state, "zip": postal, "country": country}
    history = [_status(object_id("status", f"{lab.id}:0"), "PRE_TRANSIT", "Label created, package not yet scanned.",
                       lab.created, origin, "information_received", "Information about the package received."),
               _status(object_id("status", f"{lab.id}:1"), "TRANSIT", "Shipment picked up.", lab.created + 3600,
                       origin, "package_accepted", "Package has been accepted into the carrier network.")]
    if delivered:
        assert lab.delivered is not None
        history.append(_status(object_id("status", f"{lab.id}:2"), "DELIVERED", "Your shipment has been delivered.",
                               lab.delivered, destination, "delivered", "Package has been delivered."))
    return {"carrier": carrier, "tracking_number": lab.tracking_number, "address_from": origin,
            "address_to": destination, "eta": iso_s(lab.created + 4 * DAY), "original_eta": iso_s(lab.created + 4 * DAY),
            "servicelevel": {"token": service, "name": SERVICE_NAMES[service]}, "metadata": f"Order {s.external_order_id}",
            "messages": [], "transaction": tid, "tracking_status": history[-1], "tracking_history": history}


def shippo_versions(s: Shipment) -> Iterator[Version]:
    """Every Shippo store version of one world shipment."""
    yield from order_versions(s)
    yield from label_versions(s)
