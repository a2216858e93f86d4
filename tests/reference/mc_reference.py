"""Reference for three criteria (arrival, vehicles, walking seconds): round-layered exhaustive
Pareto sets over trip instances, for the McRAPTOR tests (tests/differential/test_mcraptor_*).

Same transfer model as ``csa.ReferenceSolver`` (whose arrays it reads): in round k every trip
instance running on the query's axis is ridden from each position where some label of round k-1
can board it (a vehicle label after the stop's change time, an origin or footpath label at once);
riding one instance, every later drop-off position is reached at the instance's time with the
least walking among the labels boarded before it. Then one footpath from every vehicle label.
Per stop and round, vehicle labels and footpath/origin labels are two plain Pareto sets over
(arrival, walking); nothing is pruned across rounds or by the target. Slow and obvious.
"""
from __future__ import annotations

import numpy as np

from engine._types import NO_VALUE

INF = 1 << 60


def _add(bags: dict, stop: int, label: tuple[int, int]) -> None:
    bag = bags.setdefault(stop, [])
    a, w = label
    if any(x <= a and y <= w for x, y in bag):
        return
    bag[:] = [(x, y) for x, y in bag if not (a <= x and w <= y)] + [label]


def pareto3(items):
    """Non-dominated (arrival, vehicles, walking) triples (a set)."""
    items = sorted(set(items))
    kept = []
    for t in items:
        if not any(a <= t[0] and v <= t[1] and w <= t[2] for a, v, w in kept):
            kept.append(t)
    return set(kept)


def mc_reference(ref, origins, times, date, targets, max_rounds: int, min_change_time: int = 60,
                 walk_before_first: bool = True, walk_after_last: bool = True) -> set[tuple[int, int, int]]:
    """Pareto set of (arrival s, vehicles, walking s) from stops ``origins`` (at ``times``, no
    walking yet) to any of ``targets`` (stop indices)."""
    inst_trip, inst_shift = ref.trip_instances(date)
    change = np.where(ref.stop_change != NO_VALUE, ref.stop_change, int(min_change_time))
    fp_off, fp_to, fp_dur = ref.fp_offsets, ref.fp_to, ref.fp_duration
    targets = set(int(t) for t in targets)
    direct: dict = {}
    for s, t in zip(origins, times):
        _add(direct, int(s), (int(t), 0))
    if walk_before_first:
        for s, labels in list(direct.items()):
            for a, w in list(labels):
                for e in range(fp_off[s], fp_off[s + 1]):
                    _add(direct, int(fp_to[e]), (a + int(fp_dur[e]), w + int(fp_dur[e])))
    found = [(a, 0, w) for s in targets for a, w in direct.get(s, [])]
    prev_vehicle: dict = {}
    prev_direct = direct
    rows = ref.trip_offsets
    for k in range(1, max_rounds + 1):
        vehicle: dict = {}
        for trip, shift in zip(inst_trip.tolist(), inst_shift.tolist()):
            best = INF
            for i in range(rows[trip], rows[trip + 1]):
                stop = int(ref.st_stop[i])
                if best < INF and ref.st_dropoff[i] != 1:
                    _add(vehicle, stop, (int(ref.st_arr[i]) + shift, best))
                if ref.st_pickup[i] != 1:
                    dep = int(ref.st_dep[i]) + shift
                    for a, w in prev_vehicle.get(stop, ()):
                        if a + int(change[stop]) <= dep and w < best:
                            best = w
                    for a, w in prev_direct.get(stop, ()):
                        if a <= dep and w < best:
                            best = w
        walked: dict = {}
        for s, labels in vehicle.items():
            for a, w in labels:
                for e in range(fp_off[s], fp_off[s + 1]):
                    _add(walked, int(fp_to[e]), (a + int(fp_dur[e]), w + int(fp_dur[e])))
        found += [(a, k, w) for s in targets for a, w in vehicle.get(s, [])]
        if walk_after_last:
            found += [(a, k, w) for s in targets for a, w in walked.get(s, [])]
        if not vehicle:
            break
        prev_vehicle, prev_direct = vehicle, walked
    return pareto3(found)
