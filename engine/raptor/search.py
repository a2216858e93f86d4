"""RAPTOR runs: one query (stop indices and seconds) through the compiled kernel (engine._core)
on a per-thread workspace, and the Pareto set at its targets as raw legs. No inner loops here.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .._core import RaptorWorkspace, reverse_footpaths, run_raptor, vehicles_to_targets
from .._types import UNREACHED
from ..timetable.model import Timetable
from .reconstruct import RawLeg, reconstruct
from .request import DEFAULT_MIN_CHANGE_S


@dataclass(frozen=True, slots=True)
class RaptorQuery:
    """A validated RAPTOR run: origins/targets as stop indices with times/egress seconds."""

    origin_stop: np.ndarray      # int32
    origin_time: np.ndarray      # int32, seconds on the query date's axis
    target_stop: np.ndarray      # int32 (may be empty: one-to-all)
    target_egress: np.ndarray    # int32 seconds
    day: int                     # day index in the bundle period
    max_rounds: int
    min_change_s: int = DEFAULT_MIN_CHANGE_S
    walk_before_first: bool = True
    walk_after_last: bool = True
    overlay: object | None = None  # engine.realtime Overlay snapshot (None: the schedule only)


class RaptorRunner:
    """Runs RAPTOR queries on one timetable with a per-thread reusable workspace."""

    #: Vehicles-to-target pruning (``prune``) from this many stops: on a city or a region the
    #: backward search covers about all that a query labels anyway and only adds its cost
    #: (Strasbourg: p50 +8 %); on a national network it skips most of it (30 million stop_times,
    #: 318k stops: p50 73 -> 13 ms).
    prune_min_stops: int = 50_000

    def __init__(self, timetable: Timetable):
        self.tt = timetable
        self._local = threading.local()
        self._reversed: tuple[np.ndarray, np.ndarray] | None = None

    def workspace(self, max_rounds: int) -> RaptorWorkspace:
        ws = getattr(self._local, "ws", None)
        if ws is None or ws.max_rounds < max_rounds:
            ws = RaptorWorkspace(self.tt.n_stops, self.tt.n_patterns, max(max_rounds, 6))
            self._local.ws = ws
        return ws

    def run(self, q: RaptorQuery, reuse: bool = False, per_round: bool = False,
            lower: np.ndarray | None = None) -> RaptorWorkspace:
        """Run q on this thread's workspace. Range RAPTOR: ``per_round`` on every run of the
        range, ``reuse`` on all but the first (q is the previous query leaving earlier: start
        from its labels instead of resetting them). ``lower``: lower bounds on the time to q's
        targets (run_raptor ``lower``; the schedule only): the target arrivals are the same, found
        with fewer labels."""
        if lower is not None and q.overlay is not None:
            raise ValueError("lower: the schedule's bounds do not hold with a real-time overlay")
        ws = self.workspace(q.max_rounds)
        extra = {}
        if q.overlay is None:
            next_active = self.tt.next_active(q.day)
        else:
            # the overlay's copy of next_active has its changed trips struck out; its own trips
            # are scanned as extra patterns (engine/realtime/overlay.py)
            next_active = q.overlay.next_active(q.day)
            extra = q.overlay.kernel_args(q.day)
            if extra:
                ws.reserve_overlay(q.overlay.n_patterns)
        run_raptor(self.tt.view, ws, q.origin_stop, q.origin_time, q.target_stop, q.target_egress,
                   next_active, self.tt.max_day_offset, q.max_rounds, q.min_change_s,
                   q.walk_before_first, q.walk_after_last, reuse, per_round or reuse,
                   prune=self.prune(q), lower=lower, **extra)
        return ws

    def prune(self, q: RaptorQuery) -> np.ndarray | None:
        """Lower bounds on the vehicles from each stop to q's targets (``vehicles_to_targets``):
        the kernel skips boardings that cannot reach a target in the rounds left. Why: on a
        national network most of a query's one-to-all labels lie outside that cone. None
        without targets (one-to-all) or with a real-time overlay (its added trips are not in
        the static pattern graph). The last targets of each thread are kept: arrive-by and
        range queries rerun the same targets."""
        if q.overlay is not None or len(q.target_stop) == 0 or self.tt.n_stops < self.prune_min_stops:
            return None
        key = (np.asarray(q.target_stop, np.int32).tobytes(), q.max_rounds)
        last = getattr(self._local, "prune", None)
        if last is not None and last[0] == key:
            return last[1]
        if self._reversed is None:
            self._reversed = reverse_footpaths(np.ascontiguousarray(self.tt.footpath_offsets, np.int32),
                                               np.ascontiguousarray(self.tt.footpath_to, np.int32),
                                               self.tt.n_stops)
        # Searching one level less than max_rounds (the rest get that bound) costs less than
        # it loses: national network of 30 million stop_times, p50 19 -> 13 ms.
        depth = q.max_rounds - 1 if q.max_rounds >= 3 else q.max_rounds
        level = vehicles_to_targets(self.tt.view, self._reversed[0], self._reversed[1],
                                    np.ascontiguousarray(q.target_stop, np.int32), depth)
        self._local.prune = (key, level)
        return level

    def pareto(self, q: RaptorQuery, ws: RaptorWorkspace) -> list[tuple[int, int, list[RawLeg], int]]:
        """[(n_vehicles, arrival_s, raw legs, target stop)] non-dominated, by arrival."""
        out = []
        prev = UNREACHED
        for k in range(q.max_rounds + 1):
            value = int(ws.target_arr_np[k])
            if value >= prev:
                continue
            # Round 0 ends at an origin (or one walk from it); later rounds end with the k-th
            # vehicle, followed by one footpath only when walk_after_last allows it.
            by_vehicle = k > 0 and not q.walk_after_last
            labels = ws.veh_arr_np[k] if by_vehicle else ws.arrival_np[k]
            totals = labels[q.target_stop].astype(np.int64) + q.target_egress
            target = int(q.target_stop[int(np.argmin(totals))])
            legs = reconstruct(self.tt, ws, k, target, by_vehicle,
                               None if q.overlay is None else (q.overlay, q.day))
            out.append((k, value, legs, target))
            prev = value
        out.reverse()   # fastest first: the last round improving is the earliest arrival
        return out
