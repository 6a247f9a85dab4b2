"""Shippo in the sandbox: its pages validate against the spec, page and filter as Shippo documents,
refuse as Shippo does, hold its per-endpoint limits, and show the same business as ShipStation."""

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from sandbox.apis.shippo import TEST_PREFIX
from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.server import running_sandbox
from sandbox_helpers import AUTH, SEED
from spec_schemas import specs_dir, validate

TOKEN = SANDBOX_CREDENTIALS["shippo"]["api_token"]
LIVE = {"Authorization": f"ShippoToken {TOKEN}"}
TEST = {"Authorization": f"ShippoToken {TEST_PREFIX}{TOKEN.removeprefix('shippo_live_')}"}
SCHEMAS = {"orders": "OrderPaginatedList", "shipments": "ShipmentPaginatedList",
           "transactions": "TransactionPaginatedList"}


def shippo_pages(http: httpx.Client, resource: str, **params: object) -> Iterator[dict]:
    """Every page of a Shippo list, following `next` as it comes."""
    url: str | None = f"/shippo/{resource}"
    query: dict | None = {"results": 20, **params}
    while url:
        response = http.get(url, params=query, headers=LIVE)
        assert response.status_code == 200, response.text
        body = response.json()
        yield body
        url, query = body["next"], None


def every(http: httpx.Client, resource: str, **params: object) -> list[dict]:
    """Every record of a Shippo list."""
    return [r for page in shippo_pages(http, resource, **params) for r in page["results"]]


def all_shipments(http: httpx.Client) -> list[dict]:
    """Every Shippo shipment of the world, in 90-day slices (the most Shippo answers)."""
    out, day = [], "2025-10-01"
    for end in ("2025-12-30", "2026-03-30", "2026-06-28", "2026-09-26", "2026-12-25"):
        out += every(http, "shipments", object_created_gte=day, object_created_lt=end)
        day = end
    return out


@pytest.mark.parametrize("resource", ["orders", "transactions", "shipments"])
def test_shippo_lists_match_spec_and_page_newest_first(http: httpx.Client, resource: str) -> None:
    specs_dir()
    params = {"object_created_gte": "2026-08-01", "object_created_lt": "2026-10-30"} if resource == "shipments" else {}
    pages = list(shippo_pages(http, resource, **params))
    for body in pages:
        validate("shippo", SCHEMAS[resource], body)
    records = [r for body in pages for r in body["results"]]
    created = [r["placed_at" if resource == "orders" else "object_created"] for r in records]
    assert len(pages) > 1 and pages[0]["previous"] is None and pages[-1]["next"] is None
    assert created == sorted(created, reverse=True)
    assert len({r["object_id"] for r in records}) == len(records)


def test_shippo_tracks_match_spec_and_end_in_the_delivery(http: httpx.Client) -> None:
    specs_dir()
    carriers = {rate["object_id"]: rate["provider"].lower().replace(" ", "_")
                for shipment in all_shipments(http) for rate in shipment["rates"]}
    delivered = [t for t in every(http, "transactions") if t["tracking_status"] == "DELIVERED"]
    assert delivered
    for transaction in delivered[:8]:
        response = http.get(f"/shippo/tracks/{carriers[transaction['rate']]}/{transaction['tracking_number']}", headers=LIVE)
        assert response.status_code == 200, response.text
        track = response.json()
        validate("shippo", "Track", track)
        assert track["transaction"] == transaction["object_id"]
        assert track["tracking_status"]["status"] == "DELIVERED" == track["tracking_history"][-1]["status"]


def test_shippo_shows_the_business_shipstation_shows(http: httpx.Client) -> None:
    def shipstation(resource: str, key: str) -> list[dict]:
        out, page = [], 1
        while True:
            body = http.get(f"/shipstation/v2/{resource}", params={"page_size": 500, "page": page},
                            headers=AUTH["shipstation"]).json()
            out += body[key]
            if page >= body["pages"]:
                return out
            page += 1

    status = {"pending": "PAID", "label_purchased": "SHIPPED", "cancelled": "CANCELLED"}
    shipments = shipstation("shipments", "shipments")
    orders = every(http, "orders")
    assert Counter((s["external_order_id"], status[s["shipment_status"]],
                    tuple(sorted((i["sku"], i["quantity"]) for i in s["items"]))) for s in shipments) == \
        Counter((o["order_number"], o["order_status"], tuple(sorted((li["sku"], li["quantity"]) for li in o["line_items"])))
                for o in orders)
    labels = shipstation("labels", "labels")
    transactions = every(http, "transactions")
    kept = [t for t in transactions if t["status"] == "SUCCESS"]
    assert sorted(t["tracking_number"] for t in kept) == sorted(lab["tracking_number"] for lab in labels if not lab["voided"])
    assert sum(t["status"] == "REFUNDED" for t in transactions) == sum(lab["voided"] for lab in labels) > 0
    cost = {rate["object_id"]: rate["amount"] for shipment in all_shipments(http) for rate in shipment["rates"]}
    assert sorted(cost[t["rate"]] for t in kept) == \
        sorted(f"{lab['shipment_cost']['amount']:.2f}" for lab in labels if not lab["voided"])
    by_order = {o["object_id"]: o for o in orders}
    assert all(t["object_id"] in by_order[t["order"]]["transactions"] for t in transactions)


def test_shippo_filters_shipments_by_creation_within_90_days(http: httpx.Client) -> None:
    both = every(http, "shipments", object_created_gte="2026-06-01", object_created_lt="2026-08-30")
    first = every(http, "shipments", object_created_gte="2026-06-01", object_created_lt="2026-07-15")
    second = every(http, "shipments", object_created_gt="2026-07-14T23:59:59", object_created_lte="2026-08-29T23:59:59")
    assert both and [s["object_id"] for s in both] == [s["object_id"] for s in second + first]
    assert all("2026-06-01" <= s["object_created"] < "2026-08-30" for s in both)
    too_wide = http.get("/shippo/shipments", params={"object_created_gte": "2026-01-01", "object_created_lt": "2026-06-01"},
                        headers=LIVE)
    assert too_wide.status_code == 400 and "90 days" in too_wide.json()["detail"]


@pytest.mark.parametrize(("headers", "detail"), [
    ({}, "Authentication credentials were not provided."),
    ({"Authorization": "ShippoToken shippo_live_not-a-token"}, "Token does not exist"),
    ({"Authorization": f"Bearer {TOKEN}"}, "Token does not exist"),
])
def test_shippo_refuses_a_missing_or_unknown_token(http: httpx.Client, headers: dict, detail: str) -> None:
    response = http.get("/shippo/orders", headers=headers)
    assert (response.status_code, response.json()) == (401, {"detail": detail})


def test_shippo_refuses_a_bad_page_and_an_unknown_track(http: httpx.Client) -> None:
    assert http.get("/shippo/orders", params={"page": 0}, headers=LIVE).status_code == 400
    assert http.get("/shippo/orders", params={"results": "x"}, headers=LIVE).status_code == 400
    unknown = http.get("/shippo/tracks/ups/1ZNOTATRACKINGNUMBER", headers=LIVE)
    assert unknown.status_code == 404 and "detail" in unknown.json()


def test_shippo_holds_its_per_endpoint_limits_live_and_test(world_dir) -> None:  # noqa: ANN001
    # a vendor minute lasts 60,000 real seconds here: the counts cannot roll over mid-test
    with running_sandbox(seed=SEED, scale="tiny", data_dir=world_dir, time_scale=0.001) as sb, \
            httpx.Client(base_url=sb.url + "/shippo", timeout=30) as client:
        def statuses(path: str, headers: dict, n: int) -> list[int]:
            return [client.get(path, params={"results": 1}, headers=headers).status_code for _ in range(n)]

        live = statuses("/transactions", LIVE, 51)
        assert live[:50] == [200] * 50 and live[50] == 429
        assert statuses("/shipments", LIVE, 1) == [200]  # each endpoint has its own count
        assert statuses("/orders", LIVE, 60) == [200] * 60  # orders are not in Shippo's table
        test = statuses("/transactions", TEST, 11)
        assert test[:10] == [200] * 10 and test[10] == 429  # a test key's own, lower limit
        refused = client.get("/transactions", headers=TEST)
        assert refused.json() == {"detail": "Request was throttled. You have made too many requests to the Shippo API."}
