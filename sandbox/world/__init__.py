"""The sandbox's synthetic business: a deterministic world written once to a SQLite store.

Public constants are the world's fixed calendar; `ensure_world` is the one way to get a store.
"""

from datetime import date

from sandbox.world.scales import SCALES, Scale

DEFAULT_SEED: int = 1
WORLD_START: date = date(2025, 11, 1)
# Exclusive: the last day with new records is 2027-01-31, so the clock can move past the default.
WORLD_END: date = date(2027, 2, 1)
DEFAULT_AS_OF: date = date(2026, 11, 1)
# ECB history starts before the world so every world day has a "latest rate on or before".
FX_START: date = date(2025, 10, 1)

__all__ = ["DEFAULT_AS_OF", "DEFAULT_SEED", "FX_START", "SCALES", "Scale", "WORLD_END", "WORLD_START"]
