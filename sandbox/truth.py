"""Ground truth (CONTRACTS §5) computed in plain Python from the generator's own model, never from SQL.

Deletions follow HubSpot: a contact archived before the clock is no lead and leaves its deals; one
merged away before the clock is no lead either, its deals now belong to the survivor (counted once);
a deal archived before the clock counts nowhere (the world deletes only deals with no envelope).
"""

from bisect import bisect_right
from collections import defaultdict
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
CENT = Decimal("0.01")


@dataclass
class _Contract:
    signed_day: int
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


def _month(day: int) -> str:
    return day_str(day)[:7]


def compute_truth(seed: int, scale: str, as_of: date | str, currency: str = "EUR") -> dict:
    """The headline figures per month and channel the marts must show at clock `as_of`."""
    as_of = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    clock = epoch(as_of)
    fx = _Rates()

    def convert(amount: Decimal, cur: str, day: int) -> Decimal:
        value = amount * fx.rate(currency, day) / fx.rate(cur, day)
        return value.quantize(CENT, rounding=ROUND_HALF_UP)

    rows: dict[tuple[str, str], dict] = defaultdict(lambda: {k: Decimal(0) for k in MONEY} | {k: 0 for k in COUNTS})
    names: dict[str, set[str]] = {"meta": set(), "google_ads": set()}
    contact_key: dict[str, tuple[int, int, str]] = {}  # live contacts only
    merged: dict[str, str] = {}  # contact merged away -> the contact it was merged into
    contracts: dict[str, _Contract] = {}
    counted: list[_Counted] = []

    def take_shipment(s: Shipment) -> None:
        if state_at(s.versions, clock) == "label_purchased":
            delivered = s.label.delivered if s.label else None
            counted.append(_Counted(s.external_order_id, s.ship_day, s.items,
                                    delivered // DAY if delivered is not None and delivered < clock else None))

    for item in iter_world(seed, get_scale(scale)):
        if isinstance(item, FxRate):
            if item.published < clock:
                fx.days[item.currency].append(item.day)
                fx.rates[item.currency].append(Decimal(item.rate))
        elif isinstance(item, AdDay):
            figures = state_at(item.versions, clock)
            if figures is not None:
                c = item.campaign
                names[c.platform].add(c.name)
                rows[(_month(item.day), c.platform)]["spend"] += convert(figures[0], c.currency, item.day)
        elif isinstance(item, Contact):
            if item.merged_into is not None and item.merged_into[0] < clock:
                merged[item.id] = item.merged_into[1]  # counted once, as the survivor
            elif item.created < clock and not (item.archived is not None and item.archived < clock):
                channel = CHANNEL_MAP.get(item.utm_source or "", "unattributed")
                if channel in names and item.utm_campaign not in names[channel]:
                    channel = "unattributed"
                contact_key[item.id] = (item.created, int(item.id), channel)
                rows[(_month(item.created // DAY), channel)]["leads"] += 1
        elif isinstance(item, Deal):
            if item.created >= clock or (item.archived is not None and item.archived < clock):
                continue  # a deleted deal counts nowhere (the world deletes none with an envelope)
            resolved = (merged.get(c, c) for c in item.contact_ids)
            keys = [contact_key[c] for c in resolved if c in contact_key]
            channel = min(keys)[2] if keys else "unattributed"
            rows[(_month(item.created // DAY), channel)]["deals"] += 1
            for env in item.envelopes:
                done = [t for t, status in env.versions if status == "completed" and t < clock]
                if not done or state_at(env.versions, clock) != "completed":
                    continue
                if env.deal_id == item.id:
                    contracts[env.contract_number] = _Contract(
                        done[0] // DAY, channel, item.currency, {li.sku: (li.quantity, li.price) for li in item.lines})
                else:  # its hubspot_deal_id names no deal: no channel, no lines
                    contracts[env.contract_number] = _Contract(done[0] // DAY, "unattributed", "EUR", {})
            for s in item.shipments:
                take_shipment(s)
        elif isinstance(item, Shipment):
            take_shipment(item)
        elif not isinstance(item, (Campaign, Company)):
            raise TypeError(f"unexpected world item {type(item).__name__}")

    months = _months(WORLD_START, as_of - timedelta(days=1))
    shipped_by: dict[str, list[tuple[int, str, int]]] = defaultdict(list)  # contract -> (day, sku, qty)
    for s in counted:
        contract = contracts.get(s.order_id)
        if contract is None:
            rows[(_month(s.ship_day), "unattributed")]["orphan_shipments"] += 1
            continue
        for sku, _name, qty in s.items:
            if sku not in contract.lines:
                continue
            shipped_by[s.order_id].append((s.ship_day, sku, qty))
            value = convert(qty * contract.lines[sku][1], contract.currency, contract.signed_day)
            rows[(_month(s.ship_day), contract.channel)]["shipped_value"] += value
            if s.delivered_day is not None:
                rows[(_month(s.delivered_day), contract.channel)]["delivered_value"] += value
    for number, contract in contracts.items():
        key = (_month(contract.signed_day), contract.channel)
        rows[key]["contracts_signed"] += 1
        rows[key]["booked_value"] += sum((convert(q * p, contract.currency, contract.signed_day)
                                          for q, p in contract.lines.values()), Decimal(0))
        if not shipped_by.get(number):
            rows[key]["unshipped_contracts"] += 1
        for month, month_end in months:
            if contract.signed_day > month_end:
                continue
            for sku, (qty, price) in contract.lines.items():
                done = sum(q for d, s, q in shipped_by.get(number, ()) if s == sku and d <= month_end)
                if qty > done:
                    rows[(month, contract.channel)]["backlog_value"] += convert(
                        (qty - done) * price, contract.currency, contract.signed_day)
    valid = {m for m, _ in months}
    out_rows = []
    for (month, channel), fig in sorted(rows.items()):
        if month not in valid or not any(fig.values()):
            continue
        out_rows.append({"month": month, "channel": channel, **_render(fig)})
    totals = {k: Decimal(0) for k in MONEY} | {k: 0 for k in COUNTS}
    for r in out_rows:
        for k in MONEY:
            totals[k] += Decimal(r[k])
        for k in COUNTS:
            totals[k] += r[k]
    return {"seed": seed, "scale": scale, "as_of": as_of.isoformat(), "reporting_currency": currency,
            "rows": out_rows, "totals": _render(totals)}


def _render(fig: dict) -> dict:
    return {k: (f"{fig[k]:.2f}" if k in MONEY else fig[k]) for k in ("spend", "leads", "deals", "contracts_signed",
                                                                      "booked_value", "shipped_value",
                                                                      "delivered_value", "backlog_value",
                                                                      "orphan_shipments", "unshipped_contracts")}


def _months(first: date, last: date) -> list[tuple[str, int]]:
    """(YYYY-MM, day number of the month's last day, capped at `last`) from `first` to `last`."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append((f"{y:04d}-{m:02d}", day_number(min(nxt - timedelta(days=1), last))))
        y, m = nxt.year, nxt.month
    return out
