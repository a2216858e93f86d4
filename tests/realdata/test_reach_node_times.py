"""The node-times kernel of reach and isochrones (engine._isochrone.run_node_times: seeds swept
along their chains, a bounded search over the junctions, every reached chain swept from both
ends) equals a plain multi-source Dijkstra over EVERY node (scipy.sparse.csgraph), exactly, on
every real OSM extract of the shared data, walking and cycling (one-ways), for random sets of
timed sources like the ones reach uses (a snapped origin at 0, stops at their arrival times).

Skipped when the shared data is absent.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine import _isochrone
from engine.accessibility.graph import views
from engine.bundle.writer import write_bundle
from engine.streets import StreetNetwork, StreetOptions, build_street_tables
from engine.testing.data import shared_data_dir
from engine.timetable.staging import BuildReport

from tests.unit.accessibility._reach_reference import node_ms

pytestmark = pytest.mark.realdata
DATA = shared_data_dir()
EXTRACTS = sorted(DATA.glob("osm-*/*.pbf")) if DATA.is_dir() else []
TRIALS = 6


@pytest.fixture(scope="module", params=EXTRACTS or [None], ids=lambda p: p.parent.name if p else "none")
def graph(request, tmp_path_factory):
    if request.param is None:
        pytest.skip(f"no OSM extracts under {DATA} (set BRIQUE_DATA)")
    tables, _ = build_street_tables(request.param, BuildReport(), np.zeros(0), np.zeros(0), StreetOptions())
    path = write_bundle(tmp_path_factory.mktemp("iso-nodes") / "b", tables, {})
    return StreetNetwork.open(path).graph


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_node_times_equal_plain_dijkstra(graph, mode):
    g = graph
    v = views(g)
    view, ws = v.mode(mode), v.workspace(mode)
    mg = g.mode(mode)
    usable = np.flatnonzero((mg.c_fwd >= 0) | (mg.c_bwd >= 0))
    rng = np.random.default_rng(len(usable) + (mode == "bike"))
    out = np.empty(g.n_nodes, dtype=np.int64)
    reached = 0
    for trial in range(TRIALS):
        # one origin at 0, then up to 60 "stops" reached later (as after a RAPTOR run)
        n = 1 if trial % 3 == 0 else int(rng.integers(2, 60))
        seg = rng.choice(usable, n).astype(np.int32)
        t = rng.random(n)
        start = np.r_[0, rng.integers(60_000, 3_000_000, n - 1)].astype(np.int64)
        limit = int(rng.choice([600_000, 1_800_000, 3_600_000]))
        _isochrone.run_node_times(view.iso, ws, seg, t, start, limit, out)
        ref = node_ms(g, mode, seg, t, start, limit)
        got = np.where(out < _isochrone.INF, out.astype(np.float64), np.inf)
        bad = np.flatnonzero(got != ref)
        assert not len(bad), (mode, trial, bad[:5], got[bad[:5]], ref[bad[:5]])
        reached += int(np.isfinite(ref).sum())
    assert reached > TRIALS * 10, "the sources reached almost nothing: the test checks little"
    assert (ws.jdist == _isochrone.INF).all() and not ws.mark.any()
