"""Follow RAPTOR back-pointers from a label at the destination to the origin, giving raw legs.

Raw legs are plain tuples on the query's time axis (seconds since the query date's noon-minus-12h);
engine.raptor.search turns them into Leg objects with names, datetimes and geometry.
"""
from __future__ import annotations

from dataclasses import dataclass

from .._core import SENTINELS, RaptorWorkspace
from ..timetable.model import Timetable

SRC_ORIGIN = SENTINELS["SRC_ORIGIN"]
SRC_VEHICLE = SENTINELS["SRC_VEHICLE"]
SRC_WALK = SENTINELS["SRC_WALK"]


@dataclass(frozen=True, slots=True)
class RawLeg:
    kind: str              # "transit" or "walk"
    from_stop: int
    to_stop: int
    dep: int               # seconds on the query's time axis
    arr: int
    trip_idx: int = -1
    day: int = 0           # service day offset of the trip
    board_pos: int = -1
    alight_pos: int = -1


class ReconstructionError(RuntimeError):
    """Back-pointers are inconsistent (a bug, never a user error)."""


def _ready_round(ws: RaptorWorkspace, k: int, stop: int) -> int:
    """The round <= k in which ready[., stop] took its current value."""
    ready = ws.ready_np
    while k > 0 and ready[k, stop] >= ready[k - 1, stop]:
        k -= 1
    return k


def _vehicle_leg(tt: Timetable, ws: RaptorWorkspace, k: int, stop: int) -> RawLeg:
    trip = int(ws.veh_trip_np[k, stop])
    pattern = int(tt.trip_pattern[trip])
    board_pos = int(ws.veh_board_pos_np[k, stop])
    alight_pos = int(ws.veh_alight_pos_np[k, stop])
    day = int(ws.veh_day_np[k, stop])
    n = int(tt.pattern_n_trips[pattern])
    i = trip - int(tt.pattern_first_trip[pattern])
    base = int(tt.pattern_st_offset[pattern])
    start = int(tt.pattern_stops_offsets[pattern])
    dep = int(tt.st_dep[base + board_pos * n + i]) + day * 86_400
    arr = int(tt.st_arr[base + alight_pos * n + i]) + day * 86_400
    if arr != int(ws.veh_arr_np[k, stop]):
        raise ReconstructionError("vehicle label does not match its trip")
    return RawLeg("transit", int(tt.pattern_stops[start + board_pos]), stop, dep, arr, trip, day,
                  board_pos, alight_pos)


def _legs_to_ready(tt: Timetable, ws: RaptorWorkspace, k: int, stop: int, legs: list[RawLeg]) -> None:
    """Prepend the legs that make one ready to board at `stop` with <= k vehicles."""
    while True:
        k = _ready_round(ws, k, stop)
        src = int(ws.ready_src_np[k, stop])
        if src == SRC_ORIGIN:
            return
        if src == SRC_WALK:
            x = int(ws.walk_from_np[k, stop])
            t = int(ws.ready_np[k, stop])
            if k == 0:
                start = int(ws.ready_np[0, x])
                legs.append(RawLeg("walk", x, stop, start, t))
                return
            legs.append(RawLeg("walk", x, stop, int(ws.veh_arr_np[k, x]), t))
            stop = x
        elif src != SRC_VEHICLE:
            raise ReconstructionError(f"no source for ready label (round {k}, stop {stop})")
        leg = _vehicle_leg(tt, ws, k, stop)
        legs.append(leg)
        stop, k = leg.from_stop, k - 1


def reconstruct(tt: Timetable, ws: RaptorWorkspace, k: int, target: int, by_vehicle: bool) -> list[RawLeg]:
    """Legs (in travel order) of the journey whose last label is at `target` in round k.

    by_vehicle: the journey ends with the k-th vehicle at `target`, else with the arrival label
    (which may be a final footpath).
    """
    legs: list[RawLeg] = []
    if not by_vehicle:
        arrival = ws.arrival_np
        while k > 0 and arrival[k, target] >= arrival[k - 1, target]:
            k -= 1
        value = int(arrival[k, target])
        if k == 0:
            if int(ws.ready_src_np[0, target]) == SRC_WALK and int(ws.walk_arr_np[0, target]) == value:
                x = int(ws.walk_from_np[0, target])
                legs.append(RawLeg("walk", x, target, int(ws.ready_np[0, x]), value))
            return legs[::-1]
        if int(ws.veh_arr_np[k, target]) != value:
            x = int(ws.walk_from_np[k, target])
            if int(ws.walk_arr_np[k, target]) != value or x < 0:
                raise ReconstructionError("arrival label has no source")
            legs.append(RawLeg("walk", x, target, int(ws.veh_arr_np[k, x]), value))
            target = x
    leg = _vehicle_leg(tt, ws, k, target)
    legs.append(leg)
    _legs_to_ready(tt, ws, k - 1, leg.from_stop, legs)
    return legs[::-1]
