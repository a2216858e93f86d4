"""Street-level reach on the Briqueville sample (streets + timetable, no shared data needed).

- the node-times kernel (engine._isochrone.run_node_times: junction search + chain sweeps)
  equals a plain multi-source Dijkstra over every node (scipy), walk and bike, random sources;
- ``reach`` (streets + RAPTOR + streets) equals the reference composition, node by node and
  stop by stop; with a window, the percentile over single-minute runs (R5's nearest rank);
- bad input raises InvalidQueryError naming the parameter.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from engine import _isochrone
from engine._types import UNREACHED
from engine.accessibility import reach
from engine.accessibility.graph import views
from engine.errors import BundleError, InvalidQueryError

from ._reach_reference import node_ms, percentile, reach_reference

DATE = "2026-03-03"


def _random_sources(graph, mode: str, rng, n: int):
    mg = graph.mode(mode)
    usable = np.flatnonzero((mg.c_fwd >= 0) | (mg.c_bwd >= 0))
    seg = rng.choice(usable, n).astype(np.int32)
    t = rng.random(n)
    t[rng.random(n) < 0.2] = 0.0             # exactly on a node
    t[rng.random(n) < 0.1] = 1.0
    start = rng.integers(0, 400_000, n).astype(np.int64)
    return seg, t, start


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_node_times_equal_plain_dijkstra(sample_network, mode):
    g = sample_network.streets.graph
    v = views(g)
    view, ws = v.mode(mode), v.workspace(mode)
    rng = np.random.default_rng({"walk": 5, "bike": 6}[mode])
    out = np.empty(g.n_nodes, dtype=np.int64)
    for trial in range(60):
        seg, t, start = _random_sources(g, mode, rng, int(rng.integers(1, 40)))
        limit = int(rng.choice([0, 1, 60_000, 300_000, 900_000, 10_000_000]))
        _isochrone.run_node_times(view.iso, ws, seg, t, start, limit, out)
        ref = node_ms(g, mode, seg, t, start, limit)
        got = np.where(out < _isochrone.INF, out.astype(np.float64), np.inf)
        assert np.array_equal(got, ref), (mode, trial, np.flatnonzero(got != ref)[:5])
    # the workspace is left clean for the next call
    assert (ws.jdist == _isochrone.INF).all() and not ws.mark.any()


def test_node_times_refuse_a_segment_out_of_range(sample_network):
    """The kernels index segments unchecked: an out-of-range source is refused, not read."""
    g = sample_network.streets.graph
    v = views(g)
    view, ws = v.mode("walk"), v.workspace("walk")
    out = np.empty(g.n_nodes, dtype=np.int64)
    bad = np.array([0, 2**31 - 1], dtype=np.int32)
    with pytest.raises(ValueError, match="src_seg: segment 2147483647 at index 1 out of range"):
        _isochrone.run_node_times(view.iso, ws, bad, np.zeros(2), np.zeros(2, dtype=np.int64),
                                  60_000, out)


def _origins(net, n: int, rng) -> list[tuple[float, float]]:
    """Points near linked stops (so that transit is used) and near random nodes."""
    g = net.streets.graph
    linked = np.flatnonzero(g.stop_links["walk"][0] >= 0)
    out = []
    for i in range(n):
        if i % 2 == 0:
            s = int(rng.choice(linked))
            lat, lon = float(g.stop_lat[s]), float(g.stop_lon[s])
        else:
            x = int(rng.integers(g.n_nodes))
            lat, lon = float(g.node_lat[x]), float(g.node_lon[x])
        out.append((lat + rng.normal(0, 5e-4), lon + rng.normal(0, 5e-4)))
    return out


def _as_arrays(net, table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    g = net.streets.graph
    kind = table["kind"].to_pylist()
    idx = table["idx"].to_numpy()
    secs = table["travel_time_s"].to_numpy()
    nodes = np.full(g.n_nodes, UNREACHED, dtype=np.int64)
    stops = np.full(g.n_stops, UNREACHED, dtype=np.int64)
    is_node = np.asarray([k == "node" for k in kind], dtype=bool)
    nodes[idx[is_node]] = secs[is_node]
    stops[idx[~is_node]] = secs[~is_node]
    return nodes, stops


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_reach_equals_reference(sample_network, mode):
    net = sample_network
    rng = np.random.default_rng({"walk": 11, "bike": 12}[mode])
    transit_used = 0
    for origin in _origins(net, 8, rng):
        for start, max_time in (("07:58", 1800), ("08:13:20", 3600), ("23:40", 2400)):
            got = reach(net, origin, date=DATE, time=start, mode=mode, max_time_s=max_time)
            h, m, *s = (int(p) for p in start.split(":"))
            start_s = h * 3600 + m * 60 + (s[0] if s else 0)
            ref_nodes, ref_stops = reach_reference(net, origin, dt.date.fromisoformat(DATE), start_s, mode,
                                                   max_time)
            nodes, stops = _as_arrays(net, got)
            ref_nodes[ref_nodes > max_time] = UNREACHED
            assert np.array_equal(nodes, ref_nodes), (origin, start, np.flatnonzero(nodes != ref_nodes)[:5])
            assert np.array_equal(stops, ref_stops), (origin, start, np.flatnonzero(stops != ref_stops)[:5])
            street = reach(net, origin, date=DATE, time=start, mode=mode, max_time_s=max_time, transit=False)
            walk_nodes, _ = _as_arrays(net, street)
            assert (nodes <= walk_nodes).all()
            transit_used += int((nodes < walk_nodes).sum() > 0)
    assert transit_used >= 3, "transit never shortened a node's time: the test checks little"


def test_reach_table_columns(sample_network):
    net = sample_network
    g = net.streets.graph
    s = int(np.flatnonzero(g.stop_links["walk"][0] >= 0)[0])
    origin = (float(g.stop_lat[s]), float(g.stop_lon[s]))
    table = reach(net, origin, date=DATE, time="08:00", max_time_s=900)
    assert table.column_names == ["kind", "idx", "stop_id", "lat", "lon", "travel_time_s"]
    assert table.schema.field("travel_time_s").type == pa.int32()
    kinds = table["kind"].to_pylist()
    assert kinds == sorted(kinds, key=["node", "stop"].index)
    assert (table["travel_time_s"].to_numpy() <= 900).all()
    stops = table.filter(pa.compute.equal(table["kind"].cast(pa.string()), "stop"))
    assert stops.num_rows and all(s.startswith("briqueville:") for s in stops["stop_id"].to_pylist())
    nodes = table.filter(pa.compute.equal(table["kind"].cast(pa.string()), "node"))
    assert nodes["stop_id"].null_count == nodes.num_rows
    meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
    assert meta["mode"] == "walk" and meta["date"] == DATE and meta["time"] == "08:00:00"
    # a stop origin: its platforms at time 0
    by_stop = reach(net, "briqueville:GARE", date=DATE, time="08:00", max_time_s=900)
    gare = by_stop.filter(pa.compute.equal(by_stop["stop_id"], "briqueville:GARE"))
    assert gare["travel_time_s"].to_pylist() == [0]


@pytest.mark.parametrize("p", [10, 50, 90, 100])
def test_window_percentile_equals_single_minute_runs(sample_network, p):
    """window_s: the percentile over minutes of independent one-departure runs (R5's rule)."""
    net = sample_network
    rng = np.random.default_rng(p)
    for origin in _origins(net, 3, rng):
        got_nodes, got_stops = _as_arrays(net, reach(net, origin, date=DATE, time="08:00", max_time_s=1800,
                                                     window_s=600, percentile=p))
        per_minute = [_as_arrays(net, reach(net, origin, date=DATE, time=f"08:{m:02d}", max_time_s=1800))
                      for m in range(10)]
        ref_nodes = percentile(np.stack([n for n, _ in per_minute]), p)
        ref_stops = percentile(np.stack([s for _, s in per_minute]), p)
        assert np.array_equal(got_nodes, ref_nodes), (origin, p)
        assert np.array_equal(got_stops, ref_stops), (origin, p)


def test_street_only_window_is_one_departure(sample_network):
    """Without transit every minute of a window gives the same times: the window's percentile
    equals the single departure (computed once, not per minute)."""
    origin = (47.2025181, 1.5244541)
    one = reach(sample_network, origin, transit=False, time="08:00", max_time_s=900)
    for p in (1, 50, 100):
        window = reach(sample_network, origin, transit=False, time="08:00", max_time_s=900,
                       window_s=3600, percentile=p)
        assert window.num_rows == one.num_rows > 0
        assert window.select(["kind", "idx", "travel_time_s"]).equals(
            one.select(["kind", "idx", "travel_time_s"]))
        assert window.schema.metadata[b"window_s"] == b"3600"


def test_percentile_index_is_r5s():
    # R5 computes ceil(P / 100.0 * n) - 1 in doubles: 7 / 100 * 100 = 7.000000000000001 -> 7
    assert _isochrone.percentile_index(100, 7) == 7
    assert _isochrone.percentile_index(60, 50) == 29
    assert _isochrone.percentile_index(1, 50) == 0
    assert _isochrone.percentile_index(10, 99) == 9


@pytest.mark.parametrize("kwargs, parameter", [
    ({"origin": (91.0, 1.5)}, "origin"),
    ({"origin": "nowhere-stop"}, "origin"),
    ({"origin": (47.2, 170.0)}, "origin"),          # valid coordinates, no street near
    ({"origin": 12}, "origin"),
    ({"mode": "car"}, "mode"),
    ({"mode": "boat"}, "mode"),
    ({"max_time_s": 0}, "max_time_s"),
    ({"max_time_s": 10 ** 6}, "max_time_s"),
    ({"max_time_s": 60.5}, "max_time_s"),
    ({"window_s": -1}, "window_s"),
    ({"window_s": 3 * 3600}, "window_s"),
    ({"percentile": 0}, "percentile"),
    ({"percentile": 101}, "percentile"),
    ({"date": "2026-13-01"}, "date"),
    ({"date": "1999-01-01"}, "date"),               # outside the service period
    ({"date": None}, "date"),
    ({"time": "25:99"}, "time"),
    ({"time": None}, "time"),
    ({"max_transfers": -1}, "max_transfers"),
    ({"min_change_time": -5}, "min_change_time"),
    ({"max_access_s": 10 ** 5}, "max_access_s"),
    ({"transit": "yes"}, "transit"),
    ({"transit": False, "date": "2026-13-01"}, "date"),   # not needed without transit, still checked
])
def test_bad_input_names_the_parameter(sample_network, kwargs, parameter):
    args = {"origin": (47.2025181, 1.5244541), "date": DATE, "time": "08:00"}
    args.update(kwargs)
    origin = args.pop("origin")
    with pytest.raises(InvalidQueryError) as info:
        reach(sample_network, origin, **args)
    assert info.value.parameter == parameter, info.value


def test_street_only_bundle_and_no_streets(tmp_path, sample_paths):
    import engine

    streets_only = engine.open(engine.build(tmp_path / "streets.bundle", osm=sample_paths.osm).path)
    origin = (47.2025181, 1.5244541)
    table = reach(streets_only, origin, max_time_s=600)           # no date needed without transit
    assert table.num_rows and set(table["kind"].to_pylist()) == {"node"}
    with pytest.raises(InvalidQueryError) as info:
        reach(streets_only, origin, max_time_s=600, transit=True)
    assert info.value.parameter == "transit"
    no_streets = engine.open(engine.build(tmp_path / "gtfs.bundle", [sample_paths.gtfs]).path)
    with pytest.raises(BundleError):
        reach(no_streets, origin, date=DATE, time="08:00")
