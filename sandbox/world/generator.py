"""The synthetic business, decided deterministically from (seed, scale) and streamed in a fixed order.

`iter_world` yields model objects (FX rates, campaigns, ad days, contacts, companies, deals with
their envelopes and shipments, orphan shipments). The store writer and the ground truth both
consume this one stream, so they can never disagree about what happened; memory stays bounded
by a few arrays of per-contact and per-company numbers.
"""

import math
import random
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sandbox.credentials import GOOGLE_ADS_CUSTOMERS, META_AD_ACCOUNTS
from sandbox.world import FX_START, WORLD_END, WORLD_START
from sandbox.world.catalog import (
    CAMPAIGN_THEMES, CITIES, COMPANY_SUFFIX, COMPANY_WORDS, COUNTRY_CURRENCY, FIRST_NAMES,
    FX_BASE, LAST_NAMES, ORDER_SOURCES, REGIONS, UNKNOWN_CAMPAIGNS, UNMAPPED_SOURCES, product_catalog,
)
from sandbox.world.model import (
    AdDay, Campaign, Company, Contact, Deal, Envelope, FxRate, Label, LineItem, Shipment,
)
from sandbox.world.scales import Scale
from sandbox.world.timefmt import DAY, day_number, day_str

WorldItem = FxRate | Campaign | AdDay | Contact | Company | Deal | Shipment

# Daily growth of new records: with 0.65% a day, one clock day near the default clock adds about 0.7%
# new records plus 0.3% updated ones.
GROWTH = 0.0065
CENT = Decimal("0.01")
START_DAY = day_number(WORLD_START)
END_DAY = day_number(WORLD_END)  # exclusive
HOUR = 3600

CONTACT_ID_BASE = 51_000_000
COMPANY_ID_BASE = 61_000_000
DEAL_ID_BASE = 71_000_000
LINE_ID_BASE = 81_000_000
SHIPMENT_ID_BASE = 2_000_000
LABEL_ID_BASE = 8_000_000

STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
          "contractsent"]
ENVELOPE_CYCLE = ["completed", "declined", "completed", "voided", "completed", "sent", "completed", "delivered"]
ORPHANED_CONTRACT = 2  # index among won deals (a completed one in ENVELOPE_CYCLE)
SCENARIO_CYCLE = ["full", "split", "partial", "late", "cancelled", "over", "pending", "unshipped"]
# Deletions and merges (HubSpot archives, contact merges): shares per record, and the first index
# each may touch, so the forced early cases above (attribution ties, envelope cycle) stay as they are.
CONTACT_MERGE_SHARE = 0.02
CONTACT_ARCHIVE_SHARE = 0.02
COMPANY_ARCHIVE_SHARE = 0.05
DEAL_ARCHIVE_SHARE = 0.08  # of deals that never reach an envelope (a signed contract is never deleted)
FIRST_FATED = 8
ECB_HOLIDAYS = {date(2025, 12, 25), date(2025, 12, 26), date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6),
                date(2026, 5, 1), date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}


def _rng(seed: int, section: str) -> random.Random:
    # One generator per section keeps sections independent: changing deals never moves contacts.
    return random.Random(f"{seed}:{section}")


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def spread_times(rng: random.Random, n: int, first_day: int, end_day: int) -> array:
    """`n` sorted epoch-second times over [first_day, end_day), density growing by GROWTH a day.

    Each time is an independent draw (inverse CDF of the exponential density), so daily counts
    vary with the seed like real arrivals do; the fraction of the day maps onto 07:00-20:00 UTC.
    """
    span = math.expm1(GROWTH * (end_day - first_day))
    times = array("q")
    for u in sorted(rng.random() for _ in range(n)):
        t = math.log1p(u * span) / GROWTH
        day = int(t)
        times.append((first_day + day) * DAY + 7 * HOUR + int((t - day) * 13 * HOUR))
    return times


def iter_fx(seed: int) -> Iterator[FxRate]:
    """ECB reference rates on TARGET business days from FX_START to the world end, as a random walk."""
    rng = _rng(seed, "fx")
    level = dict(FX_BASE)
    d = FX_START
    while d < WORLD_END:
        if d.weekday() < 5 and d not in ECB_HOLIDAYS:
            n = day_number(d)
            for cur in sorted(level):
                level[cur] *= math.exp(rng.gauss(0, 0.004))
                yield FxRate(cur, n, f"{level[cur]:.4f}", (n + 1) * DAY)
        d += timedelta(days=1)


def make_campaigns(seed: int, scale: Scale) -> list[Campaign]:
    """Campaigns on both platforms; the first per account runs all year so every month has spend."""
    rng = _rng(seed, "campaigns")
    out: list[Campaign] = []
    for platform, accounts, count, prefix, id_base in (
        ("meta", META_AD_ACCOUNTS, scale.meta_campaigns, "fb", 120_210_000_000_000_000),
        ("google_ads", GOOGLE_ADS_CUSTOMERS, scale.google_campaigns, "gads", 21_000_000_000),
    ):
        scopes = sorted(accounts)
        for k in range(count):
            scope = scopes[k % len(scopes)]
            theme = CAMPAIGN_THEMES[rng.randrange(len(CAMPAIGN_THEMES))]
            region = REGIONS[rng.randrange(len(REGIONS))]
            if k < len(scopes) or rng.random() < 0.5:
                first, last = START_DAY, END_DAY - 1
            else:
                first = rng.randrange(START_DAY, END_DAY - 60)
                last = min(END_DAY - 1, first + rng.randrange(60, 300))
            out.append(Campaign(platform, scope, accounts[scope], str(id_base + 1 + k * 7),
                                f"{prefix}_{theme}_{region}_{k + 1:03d}", first, last))
    return out


def iter_ad_days(seed: int, campaigns: list[Campaign]) -> Iterator[AdDay]:
    """Daily figures per campaign: Meta spend restates within 28 days, Google conversions within 14."""
    rng = _rng(seed, "ads")
    for c in campaigns:
        budget = rng.uniform(5, 60)
        cpm = rng.uniform(4, 25)
        ctr = rng.uniform(0.005, 0.04)
        for d in range(c.first_day, c.last_day + 1):
            spend = _money(budget * rng.uniform(0.6, 1.3) * (1 + GROWTH * (d - START_DAY) / 4))
            impressions = max(1, int(float(spend) / cpm * 1000))
            clicks = max(0, int(impressions * ctr * rng.uniform(0.7, 1.3)))
            conversions = round(clicks * rng.uniform(0.01, 0.08), 2)
            first_seen = (d + 1) * DAY + (3 if c.platform == "meta" else 6) * HOUR + rng.randrange(3 * HOUR)
            versions: list[tuple[int, tuple[Decimal, int, int, float]]] = []
            r = rng.random()
            if c.platform == "meta":
                if r < 0.35:  # early figure, later corrected (attribution and billing settle)
                    early = _money(spend * Decimal(str(round(rng.uniform(0.85, 0.99), 3))))
                    versions.append((first_seen, (early, int(impressions * 0.95), int(clicks * 0.95), conversions)))
                    if r < 0.12:
                        mid = _money((early + spend) / 2)
                        versions.append(((d + rng.randrange(2, 6)) * DAY + 5 * HOUR, (mid, impressions, clicks, conversions)))
                    versions.append(((d + rng.randrange(6, 29)) * DAY + 5 * HOUR, (spend, impressions, clicks, conversions)))
                else:
                    versions.append((first_seen, (spend, impressions, clicks, conversions)))
            else:
                if r < 0.4:  # conversions arrive late; cost is final from the first report
                    versions.append((first_seen, (spend, impressions, clicks, round(conversions * 0.6, 2))))
                    versions.append(((d + rng.randrange(3, 15)) * DAY + 7 * HOUR, (spend, impressions, clicks, conversions)))
                else:
                    versions.append((first_seen, (spend, impressions, clicks, conversions)))
            yield AdDay(c, d, versions)


def _active_by_day(campaigns: list[Campaign], platform: str) -> dict[int, list[Campaign]]:
    # A contact can only name a campaign that started at least two days earlier, so the campaign's
    # first reported day is always visible whenever the contact is.
    active: dict[int, list[Campaign]] = {}
    for c in campaigns:
        if c.platform == platform:
            for d in range(c.first_day + 2, c.last_day + 1):
                active.setdefault(d, []).append(c)
    return active


def _utm(rng: random.Random, day: int, meta_active: dict[int, list[Campaign]],
         google_active: dict[int, list[Campaign]]) -> tuple[str | None, str | None]:
    r = rng.random()
    if r < 0.36:
        source = "facebook" if rng.random() < 0.7 else "instagram"
        pool = meta_active.get(day)
    elif r < 0.62:
        source, pool = "google", google_active.get(day)
    elif r < 0.82:
        return "organic", None
    elif r < 0.94:
        return None, None
    else:
        return UNMAPPED_SOURCES[rng.randrange(len(UNMAPPED_SOURCES))], None
    u = rng.random()
    if not pool or u < 0.04:  # a campaign name no platform knows
        return source, UNKNOWN_CAMPAIGNS[rng.randrange(len(UNKNOWN_CAMPAIGNS))]
    if u < 0.06:
        return source, None
    return source, pool[rng.randrange(len(pool))].name


FORCED_UTM = [("facebook", None), ("organic", None), ("google", "legacy_promo_2024"), (None, None),
              ("newsletter", None)]


def iter_contacts(seed: int, scale: Scale, campaigns: list[Campaign], times: array) -> Iterator[Contact]:
    """Leads with UTM attribution; the first few force every attribution case into every scale."""
    rng = _rng(seed, "contacts")
    meta_active = _active_by_day(campaigns, "meta")
    google_active = _active_by_day(campaigns, "google_ads")
    meta_names = [c.name for c in campaigns if c.platform == "meta"]
    google_names = [c.name for c in campaigns if c.platform == "google_ads"]
    fates = _rng(seed, "contact-fates")  # its own stream: deletions never move anything else
    absorbing: tuple[int, str] | None = None
    for i, t in enumerate(times):
        day = t // DAY
        if i < len(FORCED_UTM):
            source, campaign = FORCED_UTM[i]
        else:
            source, campaign = _utm(rng, day, meta_active, google_active)
            if campaign and rng.random() < 0.03:
                # Cross-platform name: a Google source naming a Meta campaign (or vice versa).
                others = meta_names if source == "google" else google_names
                campaign = others[rng.randrange(len(others))]
        first = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
        last = LAST_NAMES[rng.randrange(len(LAST_NAMES))]
        cid = CONTACT_ID_BASE + i
        versions = [(t, "lead")]
        if rng.random() < 0.3:
            versions.append((t + rng.randrange(DAY, 40 * DAY), "marketingqualifiedlead"))
        contact = Contact(i, str(cid), t, first, last, f"{first.lower()}.{last.lower()}.{cid}@example.com",
                          source, campaign, versions)
        absorbing = _contact_fate(fates, contact, times, absorbing)
        yield contact


def _contact_fate(rng: random.Random, c: Contact, times: array, absorbing: tuple[int, str] | None,
                  ) -> tuple[int, str] | None:
    """Archive `c`, or merge it into the next contact (returned so that one records it), or neither.

    A contact that absorbs another is neither archived nor merged itself, so merges never chain.
    Versions after the end are dropped: nothing changes a record that no longer exists.
    """
    if absorbing is not None:
        c.absorbed.append(absorbing)
        return None
    r = rng.random()
    if c.index < FIRST_FATED or c.index + 1 >= len(times):
        return None
    if r < CONTACT_MERGE_SHARE:
        at = max(times[c.index + 1], c.created) + rng.randrange(HOUR, 20 * DAY)
        c.merged_into = (at, str(CONTACT_ID_BASE + c.index + 1))
        c.versions = [v for v in c.versions if v[0] < at]
        return (at, c.id)
    if r < CONTACT_MERGE_SHARE + CONTACT_ARCHIVE_SHARE:
        c.archived = c.created + rng.randrange(2 * DAY, 60 * DAY)
        c.versions = [v for v in c.versions if v[0] < c.archived]
    return None


def contact_times(seed: int, scale: Scale) -> array:
    """Creation times of all contacts, sorted; contacts 1 and 2 share a second (a tie for deal channels)."""
    times = spread_times(_rng(seed, "contact-times"), scale.contacts, START_DAY, END_DAY)
    times[2] = times[1]
    return times


def iter_companies(seed: int, scale: Scale, times: array, countries: list[str],
                   archived: list[int | None] | None = None) -> Iterator[Company]:
    """Customer companies; `countries` (and `archived`, when given) receive each company's country and
    deletion time (the deals need them)."""
    rng = _rng(seed, "companies")
    fates = _rng(seed, "company-fates")
    country_list = sorted(CITIES)
    for i, t in enumerate(times):
        country = country_list[rng.randrange(len(country_list))]
        countries.append(country)
        word = COMPANY_WORDS[rng.randrange(len(COMPANY_WORDS))]
        name = f"{word} {LAST_NAMES[rng.randrange(len(LAST_NAMES))]} {COMPANY_SUFFIX[rng.randrange(len(COMPANY_SUFFIX))]}"
        company = Company(str(COMPANY_ID_BASE + i), t, name, f"{word.lower()}{i}.example.{country.lower()}", country)
        if fates.random() < COMPANY_ARCHIVE_SHARE or i == FIRST_FATED // 2:  # i: every scale holds one
            company.archived = t + fates.randrange(DAY, 120 * DAY)
        if archived is not None:
            archived.append(company.archived)
        yield company


def _after(t: int, rng: random.Random, lo_hours: float, hi_hours: float) -> int:
    return t + int(rng.uniform(lo_hours, hi_hours) * HOUR)


def _feasible(scenario: str, lines: list[LineItem]) -> bool:
    # Splitting or shipping part of an order needs more than a single unit to divide.
    return scenario not in ("split", "partial") or any(li.quantity >= 2 for li in lines)


def _scenario(rng: random.Random, scale: Scale, lines: list[LineItem], forced: list[str]) -> str:
    """The fulfilment scenario of a contract: every scenario once first (`forced`), then by weight."""
    for scenario in forced:
        if _feasible(scenario, lines):
            forced.remove(scenario)
            return scenario
    weights = [0.45, 0.08 * scale.split_weight, 0.07, 0.1, 0.05, 0.04, 0.04, 0.05]
    scenario = rng.choices(SCENARIO_CYCLE, weights)[0]
    return scenario if _feasible(scenario, lines) else "full"


def _envelope_outcome(rng: random.Random, won_index: int) -> str:
    if won_index < len(ENVELOPE_CYCLE):
        return ENVELOPE_CYCLE[won_index]
    return rng.choices(["completed", "declined", "voided", "sent", "delivered"], [0.78, 0.06, 0.06, 0.04, 0.06])[0]


def _plan_shipments(rng: random.Random, scenario: str, lines: list[LineItem], signed: int,
                    promised_day: int) -> list[tuple[list[tuple[str, str, int]], int, str]]:
    """(items, ship day offset from signing in days, final status) per shipment of one contract."""
    everything = [(li.sku, li.name, li.quantity) for li in lines]
    lead = max(2, promised_day - signed // DAY - 1)

    def on_time() -> int:
        return rng.randint(1, lead)

    if scenario == "unshipped":
        return []
    if scenario == "pending":
        return [(everything, on_time(), "pending")]
    if scenario == "late":
        return [(everything, lead + rng.randint(2, 12), "label_purchased")]
    if scenario == "cancelled":
        first = on_time()
        return [(everything, first, "cancelled"), (everything, first + rng.randint(1, 5), "label_purchased")]
    if scenario == "over":
        sku, name, qty = everything[0]
        return [([(sku, name, qty + rng.randint(1, 2))] + everything[1:], on_time(), "label_purchased")]
    if scenario == "partial":  # one line ships half its quantity; the rest never ships
        k = max(range(len(everything)), key=lambda n: everything[n][2])
        sku, name, qty = everything[k]
        items = everything[:k] + [(sku, name, qty // 2)] + everything[k + 1:]
        return [(items, on_time(), "label_purchased")]
    if scenario == "split":  # a shipment per line, and the largest line in two parts
        plan = []
        day = 0
        largest = max(range(len(everything)), key=lambda n: everything[n][2])
        for n, (sku, name, qty) in enumerate(everything):
            parts = [qty // 2, qty - qty // 2] if qty >= 2 and (n == largest or rng.random() < 0.6) else [qty]
            for part in parts:
                day += rng.randint(1, max(1, lead // 3))
                plan.append(([(sku, name, part)], day, "label_purchased"))
        return plan
    return [(everything, on_time(), "label_purchased")]


class _Ids:
    """Sequential vendor ids for the objects born inside deals (line items, envelopes, shipments, labels)."""

    def __init__(self) -> None:
        self.line = LINE_ID_BASE
        self.envelope = 0
        self.shipment = SHIPMENT_ID_BASE
        self.label = LABEL_ID_BASE

    def next_line(self) -> str:
        self.line += 1
        return str(self.line)

    def next_shipment(self) -> str:
        self.shipment += 1
        return f"se-{self.shipment}"

    def next_label(self) -> str:
        self.label += 1
        return f"se-{self.label}"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def _ship_to(rng: random.Random, name: str, country: str) -> tuple[str, str, str, str, str, str]:
    city, state, postal = CITIES[country][rng.randrange(len(CITIES[country]))]
    return (name, f"{rng.randint(1, 250)} {LAST_NAMES[rng.randrange(len(LAST_NAMES))]} Street", city, state, postal,
            country)


def _make_shipment(rng: random.Random, ids: _Ids, order_id: str, items: list[tuple[str, str, int]],
                   created: int, ship_day: int, status: str, order_source: str,
                   ship_to: tuple[str, str, str, str, str, str], lost: bool = False) -> Shipment:
    versions = [(created, "pending")]
    label = None
    if status == "label_purchased":
        ship_day = max(ship_day, (created + HOUR) // DAY)
        bought = max(ship_day * DAY + 9 * HOUR + rng.randrange(8 * HOUR), created + HOUR)
        versions.append((bought, "label_purchased"))
        delivered = bought + rng.randrange(DAY, 7 * DAY) if rng.random() < 0.92 and not lost else None
        label = Label(ids.next_label(), bought, _money(rng.uniform(6, 60)),
                      f"1Z{rng.getrandbits(64):016X}", delivered)
    elif status == "cancelled":
        versions.append((created + rng.randrange(2 * HOUR, DAY), "cancelled"))
    return Shipment(ids.next_shipment(), order_id, items, created, ship_day, versions, label, order_source, ship_to)


def iter_deals(seed: int, scale: Scale, contact_t: array, company_t: array,
               company_country: list[str], company_archived: list[int | None] | None = None) -> Iterator[Deal]:
    """Deals with their line items, envelopes (won deals) and shipments (completed contracts).

    A deal is not associated with a company deleted before it was created; some deals that never
    reach an envelope are deleted later (with their line items)."""
    rng = _rng(seed, "deals")
    fates = _rng(seed, "deal-fates")
    archived_one = False
    catalog = product_catalog()
    currencies = sorted(set(COUNTRY_CURRENCY.values()))
    deal_t = spread_times(_rng(seed, "deal-times"), scale.deals, START_DAY + 3, END_DAY)
    window = max(3, scale.contacts * 60 // (END_DAY - START_DAY))
    ids = _Ids()
    won_seen = 0
    scenario_queue = list(SCENARIO_CYCLE)  # each scenario once, as early as a contract allows it
    for i, t in enumerate(deal_t):
        hi = bisect_left(contact_t, t - HOUR)
        if hi == 0:
            t, hi = contact_t[0] + DAY, 1
        if i == 3 and hi > 2:
            picked = [1, 2]  # the two contacts created in the same second: the lower id decides
        else:
            j = rng.randrange(max(0, hi - window), hi)
            picked = [j]
            if rng.random() < 0.3 and hi - j > 1:
                picked.insert(0, rng.randrange(j + 1, hi))
        hc = bisect_left(company_t, t - HOUR)
        company = rng.randrange(hc) if hc and rng.random() < 0.92 else None
        currency = (COUNTRY_CURRENCY[company_country[company]] if company is not None
                    else currencies[rng.randrange(len(currencies))])
        factor = Decimal(str(FX_BASE.get(currency, 1.0)))
        lines = []
        for k in sorted(rng.sample(range(len(catalog)), rng.randint(1, scale.max_lines))):
            sku, name, eur = catalog[k]
            price = _money(eur * factor * Decimal(str(round(rng.uniform(0.85, 1.0), 2))))
            lines.append(LineItem(ids.next_line(), sku, name, rng.choice((1, 1, 2, 3, 4, 5, 8, 10, 12, 20)), price))
        versions = [(t, "appointmentscheduled")]
        outcome = rng.choices(["won", "lost", "open"], [0.62, 0.22, 0.16])[0]
        steps = len(STAGES) - 1 if outcome == "won" else rng.randrange(len(STAGES) - 1)
        cursor = t
        for stage in STAGES[1:steps + 1]:
            cursor = _after(cursor, rng, 12, 6 * 24)
            versions.append((cursor, stage))
        if outcome != "open":
            cursor = _after(cursor, rng, 12, 8 * 24)
            versions.append((cursor, "closedwon" if outcome == "won" else "closedlost"))
        gone = company_archived[company] if company is not None and company_archived else None
        if gone is not None and gone <= t:
            company = None  # gone before the deal: the deal keeps its currency, not the company
        deal = Deal(str(DEAL_ID_BASE + i), t, "", currency,
                    None if company is None else str(COMPANY_ID_BASE + company),
                    [str(CONTACT_ID_BASE + p) for p in picked], versions, lines)
        deal.name = f"{LAST_NAMES[rng.randrange(len(LAST_NAMES))]} - {lines[0].name} x{len(lines)}"
        if outcome == "won":
            _add_contract(rng, scale, ids, deal, cursor, won_seen, scenario_queue, company_country, company)
            won_seen += 1
        elif i >= FIRST_FATED and (fates.random() < DEAL_ARCHIVE_SHARE or not archived_one):
            deal.archived = versions[-1][0] + fates.randrange(HOUR, 30 * DAY)
            archived_one = True
        yield deal


def _add_contract(rng: random.Random, scale: Scale, ids: _Ids, deal: Deal, won: int, won_index: int,
                  scenario_queue: list[str], company_country: list[str], company: int | None) -> None:
    outcome = _envelope_outcome(rng, won_index)
    sent = _after(won, rng, 1, 48)
    delivered = _after(sent, rng, 1, 48)
    versions = [(sent, "sent")]
    if outcome != "sent":
        versions.append((delivered, "delivered"))
    if outcome in ("completed", "declined", "voided"):
        versions.append((_after(delivered, rng, 2, 8 * 24), outcome))
    ids.envelope += 1
    final = versions[-1][0]
    promised_day = final // DAY + rng.randint(14, 45)
    signer = f"{FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]} {LAST_NAMES[rng.randrange(len(LAST_NAMES))]}"
    number = f"CN-{day_str(final // DAY)[:4]}-{ids.envelope:06d}"
    # One early contract names a deal id that does not exist (a deal merged away in HubSpot):
    # its channel is unattributed and it has no lines, so nothing ships against it.
    orphaned = won_index == ORPHANED_CONTRACT
    env = Envelope(_uuid(rng), str(DEAL_ID_BASE - 1 - won_index) if orphaned else deal.id, number, promised_day,
                   signer, f"{signer.lower().replace(' ', '.')}@example.com", versions)
    deal.envelopes.append(env)
    if outcome != "completed" or orphaned:
        return
    country = company_country[company] if company is not None else "DE"
    ship_to = _ship_to(rng, signer, country)
    created = _after(final, rng, 2, 36)
    first_late = scenario_queue and "late" in scenario_queue
    scenario = _scenario(rng, scale, deal.lines, scenario_queue)
    # The first late contract's parcel never arrives, so every world has a label stuck in transit.
    lost = bool(first_late) and scenario == "late"
    for items, offset, status in _plan_shipments(rng, scenario, deal.lines, final, promised_day):
        ship_day = final // DAY + offset
        shipment = _make_shipment(rng, ids, number, items, created, ship_day, status, "shopify", ship_to, lost)
        deal.shipments.append(shipment)
        if status == "cancelled":
            created = shipment.versions[-1][0] + HOUR


def iter_orphans(seed: int, scale: Scale, ids_start: int, label_start: int) -> Iterator[Shipment]:
    """Channel orders shipped from the same warehouse: their external_order_id matches no contract."""
    rng = _rng(seed, "orphans")
    catalog = product_catalog()
    ids = _Ids()
    ids.shipment, ids.label = ids_start, label_start
    times = spread_times(rng, scale.orphan_shipments, START_DAY, END_DAY)
    for n, t in enumerate(times):
        source = ORDER_SOURCES[rng.randrange(len(ORDER_SOURCES))]
        order = f"{source.split('_')[0].upper()}-{100_000 + n * 7 + rng.randrange(7)}"
        sku, name, _ = catalog[rng.randrange(len(catalog))]
        status = "pending" if n % 5 == 4 else "label_purchased"
        country = sorted(CITIES)[rng.randrange(len(CITIES))]
        name_to = f"{FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]} {LAST_NAMES[rng.randrange(len(LAST_NAMES))]}"
        yield _make_shipment(rng, ids, order, [(sku, name, rng.randint(1, 3))], t, t // DAY + rng.randint(0, 2),
                             status, source, _ship_to(rng, name_to, country))


PARTS = ("market", "orders")


def iter_part(seed: int, scale: Scale, part: str) -> Iterator[WorldItem]:
    """One independent half of the world, so two processes can generate them at once.

    'market': FX, campaigns, ad days, contacts, companies. 'orders': deals (with line items,
    envelopes, shipments) and orphan shipments; it recomputes the contact and company times it needs.
    """
    company_t = spread_times(_rng(seed, "company-times"), scale.companies, START_DAY, END_DAY)
    contact_t = contact_times(seed, scale)
    if part == "market":
        yield from iter_fx(seed)
        campaigns = make_campaigns(seed, scale)
        yield from campaigns
        yield from iter_ad_days(seed, campaigns)
        yield from iter_contacts(seed, scale, campaigns, contact_t)
        yield from iter_companies(seed, scale, company_t, [])
        return
    if part != "orders":
        raise ValueError(f"unknown world part {part!r}: use one of {PARTS}")
    countries: list[str] = []
    archived: list[int | None] = []
    for _ in iter_companies(seed, scale, company_t, countries, archived):
        pass  # only countries and deletions: deals are priced in their company's currency
    last_shipment = last_label = 0
    for deal in iter_deals(seed, scale, contact_t, company_t, countries, archived):
        for s in deal.shipments:
            last_shipment = max(last_shipment, int(s.id[3:]))
            if s.label:
                last_label = max(last_label, int(s.label.id[3:]))
        yield deal
    yield from iter_orphans(seed, scale, max(last_shipment, SHIPMENT_ID_BASE) + 1_000,
                            max(last_label, LABEL_ID_BASE) + 1_000)


def iter_world(seed: int, scale: Scale) -> Iterator[WorldItem]:
    """Every object of the world in a fixed order: the market part, then the orders part."""
    for part in PARTS:
        yield from iter_part(seed, scale, part)
