"""The vehicles-to-target pruning of national networks (engine.raptor.search.RaptorRunner.prune,
engine/_core.pyx vehicles_to_targets) on the sample: forced on, plans equal the unpruned ones;
its kernel entry points refuse inputs that would read out of bounds or cut real-time trips."""
from __future__ import annotations

import numpy as np
import pytest

from engine._core import RaptorWorkspace, reverse_footpaths, run_raptor, vehicles_to_targets
from engine.raptor.search import RaptorRunner
from engine.sample import DEMO
from engine.timetable.model import _ArrowRows

TIMES = ["05:30", "07:00", "08:00", "08:17", "12:45", "17:30", "22:50"]


def _legs(plan):
    return [(it.departure, it.arrival, it.n_vehicles,
             [(leg.mode, leg.trip_id, leg.departure, leg.arrival) for leg in it.legs]) for it in plan.itineraries]


@pytest.fixture(scope="module")
def transit_only(sample_paths, tmp_path_factory):
    """The sample's timetable without streets: with the street footpaths every sample stop walks
    to every other (all bounds 0, nothing to prune), without them the bounds go up to 4."""
    import engine

    return engine.open(engine.build(tmp_path_factory.mktemp("prune") / "tt.bundle", gtfs=[sample_paths.gtfs]).path)


def test_pruned_plans_equal_unpruned_plans_on_the_sample(transit_only, monkeypatch):
    net = transit_only
    pairs = [(DEMO["origin"], DEMO["destination"]), (DEMO["destination"], DEMO["origin"])]
    monkeypatch.setattr(RaptorRunner, "prune_min_stops", 0)
    runs = [(a, b, t, arrive_by) for a, b in pairs for t in TIMES for arrive_by in (False, True)]
    pruned = [_legs(net.plan(a, b, date=DEMO["date"], time=t, arrive_by=by)) for a, b, t, by in runs]
    bound = net._runner._local.prune[1]              # the pruning did run, with finite levels
    assert bound.shape == (net.timetable.n_stops,) and (bound == 0).any() and (bound >= 2).any()
    monkeypatch.setattr(RaptorRunner, "prune", lambda self, q: None)
    assert [_legs(net.plan(a, b, date=DEMO["date"], time=t, arrive_by=by)) for a, b, t, by in runs] == pruned
    assert any(pruned)


def test_vehicle_bounds_refuse_bad_inputs(sample_network):
    tt = sample_network.timetable
    off, src = reverse_footpaths(np.asarray(tt.footpath_offsets, np.int32), np.asarray(tt.footpath_to, np.int32),
                                 tt.n_stops)
    target = np.array([0], np.int32)
    assert vehicles_to_targets(tt.view, off, src, target, 3)[0] == 0
    with pytest.raises(ValueError, match="target stop"):
        vehicles_to_targets(tt.view, off, src, np.array([tt.n_stops], np.int32), 3)
    with pytest.raises(ValueError, match="max_vehicles"):
        vehicles_to_targets(tt.view, off, src, target, 255)
    with pytest.raises(ValueError, match="reversed footpaths"):
        vehicles_to_targets(tt.view, off[:-1], src, target, 3)
    if len(src):
        with pytest.raises(ValueError, match="reversed footpaths"):
            vehicles_to_targets(tt.view, off, src[:-1], target, 3)
    with pytest.raises(ValueError, match="offsets"):
        reverse_footpaths(np.asarray(tt.footpath_offsets, np.int32)[:-1], np.asarray(tt.footpath_to, np.int32),
                          tt.n_stops)


def test_run_raptor_refuses_a_prune_of_the_wrong_size(sample_network):
    tt = sample_network.timetable
    ws = RaptorWorkspace(tt.n_stops, tt.n_patterns, 6)
    day = tt.day_index(__import__("datetime").date.fromisoformat(DEMO["date"]))
    one = np.array([0], np.int32)
    with pytest.raises(ValueError, match="one value per stop"):
        run_raptor(tt.view, ws, one, np.array([8 * 3600], np.int32), one, np.zeros(1, np.int32),
                   tt.next_active(day), tt.max_day_offset, 3, 60, True, True,
                   prune=np.zeros(tt.n_stops + 1, np.uint8))


def test_arrow_rows_refuse_negative_rows():
    import pyarrow as pa

    rows = _ArrowRows(pa.array(["a", None]))
    assert [rows[0], rows[1]] == ["a", None]
    with pytest.raises(IndexError):
        rows[-1]
