"""Data-quality thresholds, declared in pipelines/settings.py (`ThresholdSettings`), read when a check runs.

| variable | default | the check fails when |
|---|---|---|
| `HUB_MAX_QUARANTINE_RATE` | 0.01 | a load quarantines more than this share of the records it fetched |
| `HUB_MAX_ORPHAN_SHIPMENT_RATE` | 0.5 | more than this share of counted shipments match no contract |
| `HUB_MAX_UNATTRIBUTED_LEAD_RATE` | 0.5 | more than this share of leads have channel `unattributed` |

The rate defaults catch a join that broke (rates near 1), not ordinary business: the sandbox
worlds sit around 15% orphan shipments and 27% unattributed leads. Tighten them to your data.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from pipelines.settings import ThresholdSettings, settings_resource


@dataclass(frozen=True)
class Thresholds:
    """Upper bounds, as shares between 0 and 1, that our asset checks hold the data to."""

    max_quarantine_rate: float = 0.01
    max_orphan_shipment_rate: float = 0.5
    max_unattributed_lead_rate: float = 0.5

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Thresholds":
        """Each `HUB_MAX_*` variable that is set replaces its default; bad values raise SettingsError."""
        settings = ThresholdSettings.from_env(env)
        return cls(
            max_quarantine_rate=settings.max_quarantine_rate,
            max_orphan_shipment_rate=settings.max_orphan_shipment_rate,
            max_unattributed_lead_rate=settings.max_unattributed_lead_rate,
        )


_ThresholdFields = settings_resource(ThresholdSettings, "_ThresholdFields", "The data-quality thresholds.")


class ThresholdsResource(_ThresholdFields):  # type: ignore[misc, valid-type]
    """The thresholds (see the table above): fields override their `HUB_MAX_*` variables."""

    def load(self) -> Thresholds:
        """Validate the thresholds now, so a changed variable needs no reload of the code."""
        return Thresholds.from_env(self.settings_env())


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
