"""The business as plain Python objects: what the generator decides, before any vendor shape.

Times are epoch seconds (UTC). A `versions` list holds (time, state) pairs in time order; the
state at clock D is the last version with time < D (see `state_at`).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

S = TypeVar("S")


def state_at(versions: "list[tuple[int, S]]", clock: int) -> "S | None":
    """The state in force just before `clock` (None when the record does not exist yet)."""
    current = None
    for t, state in versions:
        if t >= clock:
            break
        current = state
    return current


@dataclass(slots=True)
class FxRate:
    """One ECB reference rate: units of `currency` per 1 EUR on `day` (4 decimals)."""

    currency: str
    day: int  # day number
    rate: str
    published: int


@dataclass(slots=True)
class Campaign:
    """An ad campaign on one platform and account, running days first_day..last_day."""

    platform: str  # 'meta' | 'google_ads'
    scope: str  # ad account / customer id
    currency: str
    id: str
    name: str
    first_day: int
    last_day: int


@dataclass(slots=True)
class AdDay:
    """One campaign-day; versions restate it: (time, (spend as Decimal, impressions, clicks, conversions))."""

    campaign: Campaign
    day: int
    versions: list[tuple[int, tuple[Decimal, int, int, float]]]


@dataclass(slots=True)
class Contact:
    """A lead; versions carry its lifecycle stage."""

    index: int
    id: str
    created: int
    firstname: str
    lastname: str
    email: str
    utm_source: str | None
    utm_campaign: str | None
    versions: list[tuple[int, str]]
    archived: int | None = None  # deleted (archived) at this time
    merged_into: tuple[int, str] | None = None  # (time, survivor id): merged into another contact
    absorbed: list[tuple[int, str]] = field(default_factory=list)  # (time, id) of contacts merged into this one

    @property
    def ended(self) -> int | None:
        """When the contact stopped existing as itself (archived or merged away), or None."""
        return self.archived if self.merged_into is None else self.merged_into[0]


@dataclass(slots=True)
class Company:
    """A customer company."""

    id: str
    created: int
    name: str
    domain: str
    country: str
    archived: int | None = None  # deleted (archived) at this time


@dataclass(slots=True)
class LineItem:
    """A deal line: quantity of a SKU at a unit price in the deal's currency."""

    id: str
    sku: str
    name: str
    quantity: int
    price: Decimal


@dataclass(slots=True)
class Envelope:
    """A DocuSign envelope for a won deal; versions carry its status."""

    id: str
    deal_id: str
    contract_number: str
    promised_delivery: int  # day number
    signer_name: str
    signer_email: str
    versions: list[tuple[int, str]]


@dataclass(slots=True)
class Label:
    """The shipping label bought for a shipment; delivered at `delivered` (None: never)."""

    id: str
    created: int
    cost: Decimal
    tracking_number: str
    delivered: int | None


@dataclass(slots=True)
class Shipment:
    """A ShipStation shipment; versions carry its status ('pending', 'label_purchased', 'cancelled')."""

    id: str
    external_order_id: str
    items: list[tuple[str, str, int]]  # (sku, name, quantity)
    created: int
    ship_day: int  # planned ship date (day number), the label's ship date when bought
    versions: list[tuple[int, str]]
    label: Label | None
    order_source: str
    ship_to: tuple[str, str, str, str, str, str]  # name, street, city, state, postal code, country


@dataclass(slots=True)
class Deal:
    """A HubSpot deal with everything that hangs off it; versions carry its stage."""

    id: str
    created: int
    name: str
    currency: str
    company_id: str | None
    contact_ids: list[str]
    versions: list[tuple[int, str]]
    lines: list[LineItem]
    envelopes: list[Envelope] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    archived: int | None = None  # deleted (archived) at this time, its line items with it

    @property
    def amount(self) -> Decimal:
        """Deal amount: the sum of its lines, as HubSpot computes it from line items."""
        return sum((li.price * li.quantity for li in self.lines), Decimal(0))
