"""StepFreeStreets: a StreetNetwork on which walking means the wheelchair profile (no steps).

The journey planner asks the streets for ``mode="walk"`` access, egress, direct routes and
footpath geometry; plan(wheelchair=True) hands it this view instead, so every one of those
street searches runs on the "wheelchair" mode (profiles.py) without the planner knowing about
it. The legs keep saying "walk" (what the traveller does); the geometry is the step-free path.
Other modes (bike, car) pass through unchanged.
"""
from __future__ import annotations

from .route import StopReach, StreetNetwork, StreetRoute
from .snap import Snap

STEP_FREE_MODE = "wheelchair"


def step_free_mode(mode: str) -> str:
    """The street mode a wheelchair user's ``mode`` searches."""
    return STEP_FREE_MODE if mode == "walk" else mode


class StepFreeStreets:
    """The subset of StreetNetwork the planner uses, with "walk" searched step-free."""

    def __init__(self, streets: StreetNetwork):
        self.streets = streets
        self.graph = streets.graph

    def snap(self, lat: float, lon: float, mode: str = "walk", parameter: str = "point") -> Snap:
        return self.streets.snap(lat, lon, step_free_mode(mode), parameter)

    def route(self, from_lat: float, from_lon: float, to_lat: float, to_lon: float,
              mode: str = "walk") -> StreetRoute:
        return self.streets.route(from_lat, from_lon, to_lat, to_lon, step_free_mode(mode))

    def stops_within(self, lat: float, lon: float, mode: str = "walk", max_duration_s: int = 900,
                     reverse: bool = False, parameter: str = "point") -> StopReach:
        return self.streets.stops_within(lat, lon, step_free_mode(mode), max_duration_s, reverse, parameter)

    def path_between_stops(self, from_stop_idx: int, to_stop_idx: int, mode: str = "walk") -> StreetRoute:
        return self.streets.path_between_stops(from_stop_idx, to_stop_idx, step_free_mode(mode))

    def warmup(self) -> None:
        self.streets.warmup()
