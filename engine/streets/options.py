"""Street build options and mode constants shared by the street builder and the query side."""
from __future__ import annotations

from dataclasses import dataclass

from .._geo import WALK_SPEED_MPS

#: Travel modes on streets, in the order used for per-mode columns and bit masks. "wheelchair"
#: is walking without steps (profiles.py): the street side of plan(wheelchair=True).
MODES: tuple[str, ...] = ("walk", "bike", "car", "wheelchair")
#: Bit of each mode in ``streets/segments.modes`` (set when the segment is usable by the mode).
MODE_BIT = {"walk": 1, "bike": 2, "car": 4, "wheelchair": 8}
#: Modes that ignore oneway: one cost column for both directions, no reverse junction graph.
SYMMETRIC_MODES = ("walk", "wheelchair")


@dataclass(frozen=True, slots=True)
class StreetOptions:
    """How streets are turned into graphs, how points are linked and how far footpaths reach."""

    walk_speed_mps: float = WALK_SPEED_MPS  # walking speed; also the speed of the off-street connectors
    bike_speed_mps: float = 4.5        # cycling speed on rideable streets
    max_snap_m: float = 300.0          # farthest a point or stop may be from its street edge
    footpath_max_s: int = 900          # longest stop-to-stop walk generated at build time
    grid_cell_m: float = 100.0         # cell size of the edge grid used for snapping
    ch_modes: tuple[str, ...] = MODES  # modes given a contraction hierarchy (fast point-to-point)

    def __post_init__(self) -> None:
        from ..errors import BuildError

        for name in ("walk_speed_mps", "bike_speed_mps", "max_snap_m", "grid_cell_m"):
            value = getattr(self, name)
            if not value > 0:
                raise BuildError(f"StreetOptions.{name} must be > 0, got {value!r}")
        unknown = [m for m in self.ch_modes if m not in MODE_BIT]
        if unknown:
            raise BuildError(f"StreetOptions.ch_modes: unknown modes {unknown}")
        if self.footpath_max_s < 0:
            raise BuildError(f"StreetOptions.footpath_max_s must be >= 0, got {self.footpath_max_s!r}")


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is a street mode, else raise InvalidQueryError naming ``mode``."""
    from ..errors import InvalidQueryError

    if mode not in MODE_BIT:
        raise InvalidQueryError(f"mode must be one of {', '.join(MODES)}, got {mode!r}", "mode")
    return mode
