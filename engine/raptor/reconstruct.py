"""Follow RAPTOR back-pointers from a label at the destination to the origin, giving raw legs.

Raw legs are plain tuples on the query's time axis (seconds since the query date's noon-minus-12h);
engine.raptor.legs turns them into Leg objects with names, datetimes and geometry.
"""
from __future__ import annotations

from typing import NamedTuple

from .._core import SENTINELS, RaptorWorkspace
from .._types import SECONDS_PER_DAY
from ..timetable.model import Timetable

NO_IDX = SENTINELS["NO_IDX"]
SRC_ORIGIN = SENTINELS["SRC_ORIGIN"]
SRC_VEHICLE = SENTINELS["SRC_VEHICLE"]
SRC_WALK = SENTINELS["SRC_WALK"]


class RawLeg(NamedTuple):
    """One ride or footpath of a journey (a named tuple: built and hashed by the thousand per
    three-criteria query, as dict keys of its shared legs)."""

    kind: str              # "transit" or "walk"
    from_stop: int
    to_stop: int
    dep: int               # seconds on the query's time axis
    arr: int
    trip_idx: int = NO_IDX
    day: int = 0           # service day offset of the trip
    board_pos: int = NO_IDX
    alight_pos: int = NO_IDX


class ReconstructionError(RuntimeError):
    """Back-pointers are inconsistent (a bug, never a user error)."""


def _ready_round(ws: RaptorWorkspace, k: int, stop: int) -> int:
    """The round <= k in which ready[., stop] took its current value."""
    ready = ws.ready_np
    while k > 0 and ready[k, stop] >= ready[k - 1, stop]:
        k -= 1
    return k


def _vehicle_leg(tt: Timetable, ws: RaptorWorkspace, k: int, stop: int, rt=None) -> RawLeg:
    trip = int(ws.veh_trip_np[k, stop])
    if trip >= tt.n_trips:
        return _overlay_leg(ws, k, stop, trip, rt)
    pattern = int(tt.trip_pattern[trip])
    board_pos = int(ws.veh_board_pos_np[k, stop])
    alight_pos = int(ws.veh_alight_pos_np[k, stop])
    day = int(ws.veh_day_np[k, stop])
    n = int(tt.pattern_n_trips[pattern])
    i = trip - int(tt.pattern_first_trip[pattern])
    base = int(tt.pattern_st_offset[pattern])
    start = int(tt.pattern_stops_offsets[pattern])
    dep = int(tt.st_dep[base + board_pos * n + i]) + day * SECONDS_PER_DAY
    arr = int(tt.st_arr[base + alight_pos * n + i]) + day * SECONDS_PER_DAY
    if arr != int(ws.veh_arr_np[k, stop]):
        raise ReconstructionError("vehicle label does not match its trip")
    return RawLeg("transit", int(tt.pattern_stops[start + board_pos]), stop, dep, arr, trip, day,
                  board_pos, alight_pos)


def _overlay_leg(ws: RaptorWorkspace, k: int, stop: int, trip: int, rt) -> RawLeg:
    """A ride on a real-time overlay trip (trip >= n_trips, see engine/_core.pyx); ``rt`` is
    (overlay, query day)."""
    if rt is None:
        raise ReconstructionError("overlay trip label without an overlay")
    overlay, day = rt
    board_pos = int(ws.veh_board_pos_np[k, stop])
    alight_pos = int(ws.veh_alight_pos_np[k, stop])
    dep = overlay.times(trip, day, board_pos)[1]
    arr = overlay.times(trip, day, alight_pos)[0]
    if arr != int(ws.veh_arr_np[k, stop]):
        raise ReconstructionError("vehicle label does not match its overlay trip")
    record = overlay.record(trip)
    return RawLeg("transit", int(record.stops[board_pos]), stop, dep, arr, trip, 0, board_pos, alight_pos)


def _legs_to_ready(tt: Timetable, ws: RaptorWorkspace, k: int, stop: int, legs: list[RawLeg],
                   rt=None) -> None:
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
        leg = _vehicle_leg(tt, ws, k, stop, rt)
        legs.append(leg)
        stop, k = leg.from_stop, k - 1


def reconstruct(tt: Timetable, ws: RaptorWorkspace, k: int, target: int, by_vehicle: bool,
                rt=None) -> list[RawLeg]:
    """Legs (in travel order) of the journey whose last label is at `target` in round k.

    by_vehicle: the journey ends with the k-th vehicle at `target`, else with the arrival label
    (which may be a final footpath). rt: (real-time overlay, query day) when the run used one.
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
    leg = _vehicle_leg(tt, ws, k, target, rt)
    legs.append(leg)
    _legs_to_ready(tt, ws, k - 1, leg.from_stop, legs, rt)
    return legs[::-1]
