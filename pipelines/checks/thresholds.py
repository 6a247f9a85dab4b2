"""Data-quality thresholds from the environment, read when a check runs.

| variable | default | the check fails when |
|---|---|---|
| `HUB_MAX_QUARANTINE_RATE` | 0.01 | a load quarantines more than this share of the records it fetched |
| `HUB_MAX_ORPHAN_SHIPMENT_RATE` | 0.5 | more than this share of counted shipments match no contract |
| `HUB_MAX_UNATTRIBUTED_LEAD_RATE` | 0.5 | more than this share of leads have channel `unattributed` |

The rate defaults catch a join that broke (rates near 1), not ordinary business: the sandbox
worlds sit around 15% orphan shipments and 27% unattributed leads. Tighten them to your data.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from connectors.errors import ConfigError


@dataclass(frozen=True)
class Thresholds:
    """Upper bounds, as shares between 0 and 1, that our asset checks hold the data to."""

    max_quarantine_rate: float = 0.01
    max_orphan_shipment_rate: float = 0.5
    max_unattributed_lead_rate: float = 0.5

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Thresholds":
        """Each `HUB_MAX_*` variable that is set replaces its default; bad values raise ConfigError."""
        defaults = cls()
        return cls(
            max_quarantine_rate=_share(env, "HUB_MAX_QUARANTINE_RATE", defaults.max_quarantine_rate),
            max_orphan_shipment_rate=_share(env, "HUB_MAX_ORPHAN_SHIPMENT_RATE", defaults.max_orphan_shipment_rate),
            max_unattributed_lead_rate=_share(
                env, "HUB_MAX_UNATTRIBUTED_LEAD_RATE", defaults.max_unattributed_lead_rate
            ),
        )


class ThresholdsResource(dg.ConfigurableResource):
    """The thresholds, read from the environment when a run asks (see the table above)."""

    def load(self) -> Thresholds:
        """Read the environment now, so a changed variable needs no reload of the code."""
        return Thresholds.from_env(os.environ)


def rate_check_result(
    check_name: str, what: str, count: int, total: int, max_rate: float, variable: str
) -> dg.AssetCheckResult:
    """Pass when `count / total` is at most `max_rate`; the metadata says the numbers either way."""
    rate = count / total if total else 0.0
    passed = rate <= max_rate
    verdict = "within" if passed else "above"
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{count} of {total} {what} ({rate:.2%}), {verdict} the limit {max_rate:.2%} ({variable})",
        metadata={
            "count": dg.MetadataValue.int(count),
            "total": dg.MetadataValue.int(total),
            "rate": dg.MetadataValue.float(round(rate, 6)),
            "max_rate": dg.MetadataValue.float(max_rate),
        },
    )


def quarantine_check_result(check_name: str, records: int, quarantined: int, thresholds: Thresholds) -> dg.AssetCheckResult:
    """The ingest asset's own check: this load's quarantined share of the records it fetched."""
    return rate_check_result(
        check_name, "records quarantined", quarantined, records, thresholds.max_quarantine_rate, "HUB_MAX_QUARANTINE_RATE"
    )


def _share(env: Mapping[str, str], variable: str, default: float) -> float:
    raw = env.get(variable)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{variable}={raw!r} is not a number: use a share between 0 and 1, e.g. 0.05") from None
    if not 0 <= value <= 1:
        raise ConfigError(f"{variable}={raw!r} is outside 0..1: use a share, e.g. 0.05 for 5%")
    return value
