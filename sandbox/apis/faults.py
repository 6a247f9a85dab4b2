"""Deterministic fault injection, switchable per vendor: `--faults hubspot:rate_limit,all:5xx@0.2`.

Each (vendor, kind) has its own random stream seeded from the world seed, so the same request
sequence meets the same faults. A 5xx burst fails one to three requests in a row on a vendor path;
the request after any fault or burst is never faulted, so a client that retries always gets through.
`@always` instead of a rate makes a fault persistent: every request of the vendor's paths meets it,
which is how tests prove that a client fails clearly instead of looping or losing data.
"""

import random
import threading
from dataclasses import dataclass, field

VENDORS = ("hubspot", "meta", "google_ads", "docusign", "shipstation", "ecb", "shippo", "salesforce")
# Faults decided before the handler runs (the request fails) ...
REQUEST_FAULTS = ("rate_limit", "5xx", "drop", "slow")
# ... after it (the response body is damaged: unparseable, or a 200 page without its records key) ...
BODY_FAULTS = ("malformed", "truncated", "missing_key")
# ... or inside list handlers (the page content is perturbed, data is never lost).
PAGE_FAULTS = ("duplicate", "shift")
KINDS = REQUEST_FAULTS + BODY_FAULTS + PAGE_FAULTS
# Hostile answers, only when named (never in `all`): a retrying client cannot get the data through
# them, it must quarantine (missing_id) or refuse them clearly (next links and cursors, Meta only
# for links; repeat_cursor also on HubSpot lists).
RECORD_FAULTS = ("missing_id",)
LINK_FAULTS = ("link_off_path", "link_userinfo", "link_other_host", "repeat_cursor")
# Decided inside list handlers: the newest record of a listing claims a modified time in year 9229.
CURSOR_FAULTS = ("future_cursor",)
# Decided per record, not per request: the same labels fail `/track` every time while it is on.
KEYED_FAULTS = ("track_error",)
HOSTILE_KINDS = RECORD_FAULTS + LINK_FAULTS + CURSOR_FAULTS + KEYED_FAULTS
ALIASES = {"throttle": "rate_limit", "429": "rate_limit", "500": "5xx", "timeout": "slow", "dup": "duplicate",
           "changing": "shift", "google-ads": "google_ads"}
ALWAYS = "always"
DEFAULT_RATE = 0.2
MAX_BURST = 3  # a 5xx burst fails up to three requests in a row, then the path answers again

HELP = (
    "comma-separated VENDOR:KIND[@RATE] (VENDOR in " + ", ".join(VENDORS) + " or all; KIND in "
    + ", ".join(KINDS + HOSTILE_KINDS) + "; RATE is the share of requests hit, default " + str(DEFAULT_RATE)
    + ", or 'always' for a persistent fault). "
    "rate_limit: the vendor's 429/throttle response with its headers; 5xx: a burst of 1-3 server errors; drop: the "
    "connection closes mid-body; slow: the response waits --slow-seconds first; malformed/truncated: a 200 "
    "whose JSON does not parse; missing_key: a 200 page without its records key (ECB: without its CSV header); "
    "duplicate (records repeated across pages) and shift (a record moves while the "
    "client pages): the page starts one record early, repeating the previous page's last record (cursor APIs: "
    "HubSpot lists, Meta; offset APIs: HubSpot search, DocuSign, ShipStation; nothing is ever lost). After a "
    "fault (or a 5xx burst) the next request on the same vendor path succeeds. Only when named, never in 'all': "
    "missing_id (the first record of a page loses its id), link_off_path / link_userinfo / link_other_host "
    "(Meta's paging.next leaves the base path, carries user:pw@, or names another host), repeat_cursor (Meta's "
    "next link or a HubSpot list cursor repeats the request just answered), future_cursor (ShipStation shipments: "
    "the last record of the last page, the newest, says it was modified in year 9229), track_error (ShipStation "
    "`/track` answers 404 or 400 for the share RATE of labels, the same labels every time, while it is on)."
)


@dataclass
class FaultPlan:
    """Which fault kinds are on for which vendor, and the per-(vendor, kind) random streams."""

    seed: int
    rates: dict[tuple[str, str], float] = field(default_factory=dict)
    persistent: set[tuple[str, str]] = field(default_factory=set)
    _streams: dict[tuple[str, str], random.Random] = field(default_factory=dict)
    _last_faulted: dict[tuple[str, str], bool] = field(default_factory=dict)
    _bursts: dict[tuple[str, str], tuple[str, int] | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def decide(self, vendor: str, path: str, kinds: tuple[str, ...]) -> str | None:
        """The fault (one of `kinds`) this request meets, or None; advances the random streams."""
        if not self.rates:
            return None
        with self._lock:
            key = (vendor, path)
            burst = self._bursts.get(key)
            if burst:  # inside a 5xx burst: keep failing the same way
                kind, left = burst
                self._bursts[key] = (kind, left - 1) if left > 1 else None
                self._last_faulted[key] = True
                return kind
            chosen = None
            for kind in kinds:
                rate = self.rates.get((vendor, kind))
                if rate is None:
                    continue
                stream = self._streams.setdefault((vendor, kind), random.Random(f"{self.seed}:{vendor}:{kind}"))
                if stream.random() < rate and chosen is None:
                    chosen = kind
                    if kind == "5xx":
                        extra = stream.randrange(MAX_BURST)  # 0..2 more failures after this one
                        if extra:
                            self._bursts[key] = (kind, extra)
            if chosen and self._last_faulted.get(key) and (vendor, chosen) not in self.persistent:
                chosen = None
                self._bursts[key] = None
            self._last_faulted[key] = chosen is not None
            return chosen

    def hits(self, vendor: str, kind: str, key: str) -> bool:
        """Whether a keyed fault (KEYED_FAULTS) is on for record `key`: the same answer for every
        request, so a client's retries meet it until the switch is off."""
        rate = self.rates.get((vendor, kind))
        return rate is not None and random.Random(f"{self.seed}:{vendor}:{kind}:{key}").random() < rate


def parse_faults(spec: str | None, seed: int) -> FaultPlan:
    """A FaultPlan from the CLI spec; ValueError naming the bad part and the valid choices."""
    plan = FaultPlan(seed)
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        vendor, sep, rest = part.partition(":")
        if not sep:
            raise ValueError(f"fault {part!r}: expected VENDOR:KIND[@RATE], e.g. hubspot:rate_limit")
        kind, _, rate_text = rest.partition("@")
        vendor = ALIASES.get(vendor, vendor)
        kind = ALIASES.get(kind, kind)
        if vendor != "all" and vendor not in VENDORS:
            raise ValueError(f"fault {part!r}: unknown vendor {vendor!r}; use one of {', '.join(VENDORS)} or all")
        if kind != "all" and kind not in KINDS + HOSTILE_KINDS:
            raise ValueError(f"fault {part!r}: unknown kind {kind!r}; use one of {', '.join(KINDS + HOSTILE_KINDS)} or all")
        always = rate_text == ALWAYS
        try:
            rate = 1.0 if always else float(rate_text) if rate_text else DEFAULT_RATE
        except ValueError:
            rate = -1.0
        if not always and not 0 < rate <= 0.5:
            raise ValueError(f"fault {part!r}: rate must be in (0, 0.5] so retries get through, or {ALWAYS!r} "
                             f"for a persistent fault")
        for v in VENDORS if vendor == "all" else (vendor,):
            for k in KINDS if kind == "all" else (kind,):
                plan.rates[(v, k)] = rate
                if always:
                    plan.persistent.add((v, k))
    return plan
