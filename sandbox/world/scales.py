"""How big each named world is; every scale holds every business case, only volumes differ."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """Volumes of one named world size."""

    name: str
    contacts: int
    companies: int
    deals: int
    meta_campaigns: int
    google_campaigns: int
    orphan_shipments: int
    max_lines: int  # line items per deal are uniform in 1..max_lines
    split_weight: float  # relative weight of the "split" shipment scenario (more shipments)


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("tiny", 450, 40, 120, 7, 5, 8, 3, 4.0),
        Scale("small", 5_000, 500, 800, 20, 12, 40, 4, 2.0),
        Scale("medium", 100_000, 8_000, 10_000, 120, 80, 500, 5, 4.0),
        Scale("large", 1_000_000, 60_000, 102_000, 820, 540, 50_000, 5, 16.0),
    )
}


def get_scale(name: str) -> Scale:
    """The scale called `name`, or a ValueError listing the valid names."""
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}: use one of {', '.join(SCALES)}") from None
