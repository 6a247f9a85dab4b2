"""Ground truth (CONTRACTS §5) computed in plain Python from the generator's own model, never from SQL.

One pass over the world gathers what it shows at the clock (`observe`); each figure is then its own
function of that (`FIGURES`), keyed by (month, channel), so a figure reads as its definition. The
world is one business whichever vendor serves it (HubSpot or Salesforce, ShipStation or Shippo), so
the truth reads the world's model, never a vendor's shape, and holds for every pair of vendors.
Deletions follow the CRM: a contact archived before the clock is no lead and leaves its deals; one
merged away before the clock is no lead either, its deals now belong to the survivor (counted once);
a deal archived before the clock counts nowhere (the world deletes only deals with no envelope).
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sandbox.world import WORLD_START
from sandbox.world.generator import iter_world
from sandbox.world.model import AdDay, Campaign, Company, Contact, Deal, FxRate, Shipment, state_at
from sandbox.world.scales import get_scale
from sandbox.world.timefmt import DAY, day_number, day_str, epoch

CHANNEL_MAP = {"facebook": "meta", "instagram": "meta", "google": "google_ads", "organic": "organic"}
MONEY = ("spend", "booked_value", "shipped_value", "delivered_value", "backlog_value")
COUNTS = ("leads", "deals", "contracts_signed", "orphan_shipments", "unshipped_contracts")
HEADLINE = ("spend", "leads", "deals", "contracts_signed", "booked_value", "shipped_value",
            "delivered_value", "backlog_value", "orphan_shipments", "unshipped_contracts")
# numerators and denominator of mart_sales_vs_fulfilment's on-time rates (not in the truth JSON)
ON_TIME = ("contracts_due", "contracts_shipped_on_time", "contracts_delivered_on_time")
CENT = Decimal("0.01")

Key = tuple[str, str]  # (YYYY-MM, channel)
Figure = dict[Key, Decimal | int]


@dataclass
class _Contract:
    signed_day: int
    promised_day: int
    channel: str
    currency: str
    lines: dict[str, tuple[int, Decimal]]  # sku -> (quantity, unit price)


@dataclass
class _Counted:
    """A shipment counted as shipped at the clock."""

    order_id: str
    ship_day: int
    items: list[tuple[str, str, int]]
    delivered_day: int | None


@dataclass
class _Rates:
    """Visible ECB rates per currency, for 'latest published on or before the day'."""

    days: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    rates: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list))

    def rate(self, currency: str, day: int) -> Decimal:
        if currency == "EUR":
            return Decimal(1)
        k = bisect_right(self.days[currency], day)
        if k == 0:
            raise ValueError(f"no {currency} rate on or before {day_str(day)}")
        return self.rates[currency][k - 1]


@dataclass
class World:
    """What the world shows at the clock, attributed to channels: every figure is computed from this."""

    clock: int
    currency: str
    months: list[tuple[str, int]]  # (YYYY-MM, its last day capped at the clock minus one day)
    fx: _Rates = field(default_factory=_Rates)
    ad_days: list[tuple[int, str, Decimal, str]] = field(default_factory=list)  # day, platform, amount, currency
    leads: list[tuple[int, str]] = field(default_factory=list)  # (created day, channel)
    deals: list[tuple[int, str]] = field(default_factory=list)
    contracts: dict[str, _Contract] = field(default_factory=dict)
    counted: list[_Counted] = field(default_factory=list)

    def convert(self, amount: Decimal, cur: str, day: int) -> Decimal:
        """CONTRACTS §5: at the latest rate on or before `day`, rounded half away from zero to the cent."""
        value = amount * self.fx.rate(self.currency, day) / self.fx.rate(cur, day)
        return value.quantize(CENT, rounding=ROUND_HALF_UP)

    def shipped_lines(self) -> Iterator[tuple[_Counted, str, _Contract, str, int]]:
        """(shipment, contract number, contract, sku, quantity) of each counted item matching a contract line."""
        for s in self.counted:
            contract = self.contracts.get(s.order_id)
            if contract is None:
                continue
            for sku, _name, qty in s.items:
                if sku in contract.lines:
                    yield s, s.order_id, contract, sku, qty


def _month(day: int) -> str:
    return day_str(day)[:7]


def observe(seed: int, scale: str, as_of: date | str, currency: str = "EUR") -> World:
    """One pass over the world at clock `as_of`: rates, ad days, attributed leads, deals and contracts."""
    as_of = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    clock = epoch(as_of)
    world = World(clock, currency, _months(WORLD_START, as_of - timedelta(days=1)))
    names: dict[str, set[str]] = {"meta": set(), "google_ads": set()}
    contact_key: dict[str, tuple[int, int, str]] = {}  # live contacts only
    merged: dict[str, str] = {}  # contact merged away -> the contact it was merged into

    def take_shipment(s: Shipment) -> None:
        if state_at(s.versions, clock) == "label_purchased":
            delivered = s.label.delivered if s.label else None
            world.counted.append(_Counted(s.external_order_id, s.ship_day, s.items,
                                          delivered // DAY if delivered is not None and delivered < clock else None))

    for item in iter_world(seed, get_scale(scale)):
        if isinstance(item, FxRate):
            if item.published < clock:
                world.fx.days[item.currency].append(item.day)
                world.fx.rates[item.currency].append(Decimal(item.rate))
        elif isinstance(item, AdDay):
            figures = state_at(item.versions, clock)
            if figures is not None:
                c = item.campaign
                names[c.platform].add(c.name)
                world.ad_days.append((item.day, c.platform, figures[0], c.currency))
        elif isinstance(item, Contact):
            if item.merged_into is not None and item.merged_into[0] < clock:
                merged[item.id] = item.merged_into[1]  # counted once, as the survivor
            elif item.created < clock and not (item.archived is not None and item.archived < clock):
                channel = CHANNEL_MAP.get(item.utm_source or "", "unattributed")
                if channel in names and item.utm_campaign not in names[channel]:
                    channel = "unattributed"
                contact_key[item.id] = (item.created, int(item.id), channel)
                world.leads.append((item.created // DAY, channel))
        elif isinstance(item, Deal):
            if item.created >= clock or (item.archived is not None and item.archived < clock):
                continue  # a deleted deal counts nowhere (the world deletes none with an envelope)
            resolved = (merged.get(c, c) for c in item.contact_ids)
            keys = [contact_key[c] for c in resolved if c in contact_key]
            channel = min(keys)[2] if keys else "unattributed"
            world.deals.append((item.created // DAY, channel))
            for env in item.envelopes:
                done = [t for t, status in env.versions if status == "completed" and t < clock]
                if not done or state_at(env.versions, clock) != "completed":
                    continue
                if env.deal_id == item.id:
                    world.contracts[env.contract_number] = _Contract(
                        done[0] // DAY, env.promised_delivery, channel, item.currency,
                        {li.sku: (li.quantity, li.price) for li in item.lines})
                else:  # its deal id custom field names no deal: no channel, no lines
                    world.contracts[env.contract_number] = _Contract(
                        done[0] // DAY, env.promised_delivery, "unattributed", "EUR", {})
            for s in item.shipments:
                take_shipment(s)
        elif isinstance(item, Shipment):
            take_shipment(item)
        elif not isinstance(item, (Campaign, Company)):
            raise TypeError(f"unexpected world item {type(item).__name__}")
    return world


def spend(w: World) -> Figure:
    """Ad spend converted at the ad day's rate, month of the ad day, channel = platform."""
    out: Figure = defaultdict(Decimal)
    for day, platform, amount, cur in w.ad_days:
        out[(_month(day), platform)] += w.convert(amount, cur, day)
    return out


def leads(w: World) -> Figure:
    """Live contacts by month of creation and attributed channel."""
    out: Figure = defaultdict(int)
    for day, channel in w.leads:
        out[(_month(day), channel)] += 1
    return out


def deals(w: World) -> Figure:
    """Live deals by month of creation and the channel of their earliest contact."""
    out: Figure = defaultdict(int)
    for day, channel in w.deals:
        out[(_month(day), channel)] += 1
    return out


def contracts_signed(w: World) -> Figure:
    """Completed envelopes by month of signing and contract channel."""
    out: Figure = defaultdict(int)
    for contract in w.contracts.values():
        out[(_month(contract.signed_day), contract.channel)] += 1
    return out


def booked_value(w: World) -> Figure:
    """Per contract line convert(quantity x price) at the signing day's rate, month of signing."""
    out: Figure = defaultdict(Decimal)
    for c in w.contracts.values():
        out[(_month(c.signed_day), c.channel)] += sum(
            (w.convert(q * p, c.currency, c.signed_day) for q, p in c.lines.values()), Decimal(0))
    return out


def shipped_value(w: World) -> Figure:
    """Per counted shipment and contract line, convert(quantity x line price) at the signing rate, month of ship."""
    out: Figure = defaultdict(Decimal)
    for s, _number, c, sku, qty in w.shipped_lines():
        out[(_month(s.ship_day), c.channel)] += w.convert(qty * c.lines[sku][1], c.currency, c.signed_day)
    return out


def delivered_value(w: World) -> Figure:
    """Shipped value of shipments delivered before the clock, month of delivery."""
    out: Figure = defaultdict(Decimal)
    for s, _number, c, sku, qty in w.shipped_lines():
        if s.delivered_day is not None:
            out[(_month(s.delivered_day), c.channel)] += w.convert(qty * c.lines[sku][1], c.currency, c.signed_day)
    return out


def backlog_value(w: World) -> Figure:
    """At each month end (the last month: the clock), per line signed by then, convert(unshipped x price)."""
    shipped_by = _shipped_by(w)
    out: Figure = defaultdict(Decimal)
    for number, c in w.contracts.items():
        for month, month_end in w.months:
            if c.signed_day > month_end:
                continue
            for sku, (qty, price) in c.lines.items():
                done = sum(q for d, s, q in shipped_by.get(number, ()) if s == sku and d <= month_end)
                if qty > done:
                    out[(month, c.channel)] += w.convert((qty - done) * price, c.currency, c.signed_day)
    return out


def orphan_shipments(w: World) -> Figure:
    """Counted shipments whose order id matches no contract, month of ship, channel unattributed."""
    out: Figure = defaultdict(int)
    for s in w.counted:
        if s.order_id not in w.contracts:
            out[(_month(s.ship_day), "unattributed")] += 1
    return out


def unshipped_contracts(w: World) -> Figure:
    """Contracts none of whose lines a counted shipment matched, month of signing."""
    shipped_by = _shipped_by(w)
    out: Figure = defaultdict(int)
    for number, c in w.contracts.items():
        if not shipped_by.get(number):
            out[(_month(c.signed_day), c.channel)] += 1
    return out


def contracts_due(w: World) -> Figure:
    """Contracts whose promised delivery day is before the clock, month of signing."""
    out: Figure = defaultdict(int)
    for c in w.contracts.values():
        if c.promised_day < w.clock // DAY:
            out[(_month(c.signed_day), c.channel)] += 1
    return out


def contracts_shipped_on_time(w: World) -> Figure:
    """Due contracts whose every line was fully shipped on or before the promised day."""
    return _on_time(w, lambda s: s.ship_day)


def contracts_delivered_on_time(w: World) -> Figure:
    """Due contracts whose every line was fully delivered on or before the promised day."""
    return _on_time(w, lambda s: s.delivered_day)


FIGURES: dict[str, Callable[[World], Figure]] = {
    "spend": spend, "leads": leads, "deals": deals, "contracts_signed": contracts_signed,
    "booked_value": booked_value, "shipped_value": shipped_value, "delivered_value": delivered_value,
    "backlog_value": backlog_value, "orphan_shipments": orphan_shipments,
    "unshipped_contracts": unshipped_contracts, "contracts_due": contracts_due,
    "contracts_shipped_on_time": contracts_shipped_on_time,
    "contracts_delivered_on_time": contracts_delivered_on_time,
}


def _shipped_by(w: World) -> dict[str, list[tuple[int, str, int]]]:
    """Contract number -> (ship day, sku, quantity) of its matched counted items."""
    out: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for s, number, _c, sku, qty in w.shipped_lines():
        out[number].append((s.ship_day, sku, qty))
    return out


def _on_time(w: World, day_of: Callable[[_Counted], int | None]) -> Figure:
    """Due contracts with lines, each line's quantity reached (items ordered by `day_of`) by the promise."""
    reached: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for s, number, _c, sku, qty in w.shipped_lines():
        day = day_of(s)
        if day is not None:
            reached[number][sku].append((day, qty))
    out: Figure = defaultdict(int)
    for number, c in w.contracts.items():
        if c.promised_day >= w.clock // DAY:
            continue
        done = [_day_reached(sorted(reached[number][sku]), qty) for sku, (qty, _price) in c.lines.items()]
        if done and all(d is not None and d <= c.promised_day for d in done):
            out[(_month(c.signed_day), c.channel)] += 1
    return out


def _day_reached(items: list[tuple[int, int]], quantity: int) -> int | None:
    """The first day the running quantity of (day, quantity) items reached `quantity`, or None."""
    total = 0
    for day, qty in items:
        total += qty
        if total >= quantity:
            return day
    return None


def compute_truth(seed: int, scale: str, as_of: date | str, currency: str = "EUR",
                  figures: tuple[str, ...] = HEADLINE) -> dict:
    """The figures per month and channel the marts must show at clock `as_of` (the headline by default)."""
    as_of = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    world = observe(seed, scale, as_of, currency)
    computed = {name: FIGURES[name](world) for name in figures}
    valid = {m for m, _ in world.months}
    keys = sorted({key for figure in computed.values() for key in figure if key[0] in valid})
    out_rows = []
    for month, channel in keys:
        fig = {name: computed[name].get((month, channel), 0) for name in figures}
        if any(fig.values()):
            out_rows.append({"month": month, "channel": channel, **_render(fig)})
    totals = {name: sum((Decimal(r[name]) if name in MONEY else r[name] for r in out_rows),
                        Decimal(0) if name in MONEY else 0) for name in figures}
    return {"seed": seed, "scale": scale, "as_of": as_of.isoformat(),
            "reporting_currency": currency, "rows": out_rows, "totals": _render(totals)}


def _render(fig: dict) -> dict:
    return {k: (f"{Decimal(v):.2f}" if k in MONEY else v) for k, v in fig.items()}


def _months(first: date, last: date) -> list[tuple[str, int]]:
    """(YYYY-MM, day number of the month's last day, capped at `last`) from `first` to `last`."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append((f"{y:04d}-{m:02d}", day_number(min(nxt - timedelta(days=1), last))))
        y, m = nxt.year, nxt.month
    return out
