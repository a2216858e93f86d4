"""engine._core.run_raptor resets only the stops the previous query touched (its dirty list), so a
reused workspace must give exactly what a fresh one gives, whatever ran in it before: other
origins and targets, fewer or more rounds, with or without the walks at both ends.

Compared per query, rows 0..max_rounds: every label array the Python side reads, target_arr and
rounds_run; back-pointers wherever the label they explain is set (they are never reset).
"""
from __future__ import annotations

import numpy as np
import pytest

from engine._core import RaptorWorkspace, run_raptor
from engine._types import UNREACHED
from engine.testing.data import shared_data_dir

LABELS = ("arrival_np", "ready_np", "ready_src_np", "veh_arr_np", "walk_arr_np")
VEHICLE_POINTERS = ("veh_trip_np", "veh_day_np", "veh_board_pos_np", "veh_alight_pos_np")
REAL_FEEDS = ("gtfs-us-nyc-subway/nyc_subway.zip", "gtfs-us-caltrain/caltrain.zip")
MAX_ROUNDS = 8


@pytest.fixture(scope="module")
def merged_real_network(tmp_path_factory):
    paths = [shared_data_dir() / p for p in REAL_FEEDS]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"real feeds not found: {REAL_FEEDS} (set BRIQUE_DATA)")
    import engine

    out = tmp_path_factory.mktemp("reuse") / "merged.bundle"
    return engine.open(engine.build(out, gtfs=[(p.parent.name, p) for p in paths]).path)


def _random_queries(tt, n: int, seed: int):
    rng = np.random.default_rng(seed)
    served = np.flatnonzero(np.diff(np.asarray(tt.stop_patterns_offsets)) > 0).astype(np.int32)
    days = [d for d in range(tt.n_days) if tt.active_services(d).any()]
    for _ in range(n):
        n_origins = int(rng.integers(1, 4))
        origins = rng.choice(served, n_origins).astype(np.int32)       # duplicates allowed
        times = rng.integers(4 * 3600, 24 * 3600, n_origins).astype(np.int32)
        n_targets = int(rng.integers(0, 4))                               # 0: one-to-all
        targets = rng.choice(served, n_targets).astype(np.int32)
        egress = rng.integers(0, 900, n_targets).astype(np.int32)
        yield (origins, times, targets, egress, days[int(rng.integers(len(days)))],
               int(rng.integers(0, MAX_ROUNDS + 1)), int(rng.integers(0, 301)),
               bool(rng.integers(2)), bool(rng.integers(2)))


def _run(tt, ws, query) -> None:
    origins, times, targets, egress, day, max_rounds, change, walk_first, walk_last = query
    run_raptor(tt.view, ws, origins, times, targets, egress, tt.next_active(day), tt.max_day_offset,
               max_rounds, change, walk_first, walk_last)


def _check_reuse(net, n: int, seed: int) -> None:
    tt = net.timetable
    shared = RaptorWorkspace(tt.n_stops, tt.n_patterns, MAX_ROUNDS)
    for i, query in enumerate(_random_queries(tt, n, seed)):
        fresh = RaptorWorkspace(tt.n_stops, tt.n_patterns, MAX_ROUNDS)
        _run(tt, shared, query)
        _run(tt, fresh, query)
        rows = query[5] + 1
        assert shared.rounds_run == fresh.rounds_run, i
        assert np.array_equal(shared.target_arr_np[:rows], fresh.target_arr_np[:rows]), i
        for name in LABELS:
            assert np.array_equal(getattr(shared, name)[:rows], getattr(fresh, name)[:rows]), (i, name)
        by_vehicle = fresh.veh_arr_np[:rows] < UNREACHED
        for name in VEHICLE_POINTERS:
            assert np.array_equal(getattr(shared, name)[:rows][by_vehicle],
                                  getattr(fresh, name)[:rows][by_vehicle]), (i, name)
        on_foot = fresh.walk_arr_np[:rows] < UNREACHED
        assert np.array_equal(shared.walk_from_np[:rows][on_foot], fresh.walk_from_np[:rows][on_foot]), i


def test_reused_workspace_matches_fresh_on_sample(sample_network):
    _check_reuse(sample_network, 300, seed=31)


@pytest.mark.realdata
def test_reused_workspace_matches_fresh_on_merged_feeds(merged_real_network):
    _check_reuse(merged_real_network, 150, seed=32)
