"""Step-free streets on Heidelberg (issue 14): the OSM extract has ~1,500 highway=steps ways, a
few dozen wheelchair=no ways, 282 others with an incline steeper than 1:12 and 265 with a
smoothness of bad or worse; the VRN cut carries no accessibility flags, so its trips are marked
wheelchair-accessible here (a copy of the zip with wheelchair_accessible=1) to get journeys with
transit legs under wheelchair=True.

Checked against a plain scipy Dijkstra on the walk costs minus the steps, wheelchair=no, steep
and rough ways (tests/unit/streets/_step_free.py: the tags are read from the OSM file, not from
the build), and on the routes' geometry (a piece running along a steps segment fails the test).
"""
from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from scipy.sparse.csgraph import connected_components, dijkstra

from engine.errors import InvalidQueryError
from engine.streets.locations import arrive, direct, leave
from engine.testing.data import shared_data_dir
from tests.unit.streets._step_free import (
    oracle_costs,
    oracle_matrix,
    oracle_ms,
    steps_on_geometry,
    steps_segments,
    too_steep_ways,
)

pytestmark = pytest.mark.realdata
DATA = shared_data_dir()
OSM = DATA / "osm-de-heidelberg" / "heidelberg.test.pbf"
FEED = DATA / "gtfs-de-rhein-neckar-vrn" / "vrn_gtfs_cut.zip"
N_PAIRS = 25


def accessible_copy(src, dst):
    """The feed with wheelchair_accessible=1 on every trip (the VRN cut has no such column)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "trips.txt":
                trips = pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in ("route_id", "trip_id", "service_id", "block_id")}))
                trips = trips.append_column("wheelchair_accessible", pa.array(np.ones(trips.num_rows, np.int8)))
                out = io.BytesIO()
                pacsv.write_csv(trips, out, pacsv.WriteOptions(quoting_style="needed"))
                data = out.getvalue()
            zout.writestr(name, data)
    return dst


@pytest.fixture(scope="module")
def heidelberg(tmp_path_factory):
    if not (OSM.is_file() and FEED.is_file()):
        pytest.skip(f"Heidelberg OSM or VRN GTFS not under {DATA} (set BRIQUE_DATA)")
    import engine

    folder = tmp_path_factory.mktemp("heidelberg_wheelchair")
    feed = accessible_copy(FEED, folder / "vrn.zip")
    built = engine.build(folder / "b.bundle", gtfs=[("vrn", feed)], osm=OSM)
    net = engine.open(built.path)
    g = net.streets.graph
    cost = oracle_costs(g, OSM)
    return net, built, cost, oracle_matrix(g, cost)


def _largest_component(g, matrix) -> np.ndarray:
    used = np.zeros(g.n_nodes, bool)
    used[matrix.indices] = True
    _, labels = connected_components(matrix, directed=False)
    sizes = np.bincount(labels[used])
    return used & (labels == int(np.argmax(sizes)))


def test_costs_are_walk_without_steps_restricted_to_the_largest_component(heidelberg):
    net, built, cost, matrix = heidelberg
    g = net.streets.graph
    assert len(steps_segments(g)) > 1000
    lcc = _largest_component(g, matrix)
    want = np.where((cost >= 0) & lcc[g.seg_u] & lcc[g.seg_v], cost, -1)
    np.testing.assert_array_equal(np.asarray(g.mode("wheelchair").c_fwd, np.int64), want)
    np.testing.assert_array_equal(np.asarray(g.mode("wheelchair").c_bwd, np.int64), want)
    assert built.report.counts["streets.wheelchair.segments"] == int(np.count_nonzero(want >= 0))


def _near(g, rng, segments):
    s = int(rng.choice(segments))
    t = rng.random()
    lat = g.node_lat[g.seg_u[s]] * (1 - t) + g.node_lat[g.seg_v[s]] * t + rng.normal(0, 5e-5)
    lon = g.node_lon[g.seg_u[s]] * (1 - t) + g.node_lon[g.seg_v[s]] * t + rng.normal(0, 5e-5)
    return float(lat), float(lon)


def test_step_free_routes_equal_plain_dijkstra(heidelberg):
    net, _, cost, matrix = heidelberg
    g = net.streets.graph
    rng = np.random.default_rng(14)
    usable = np.flatnonzero(cost >= 0)
    steps = steps_segments(g)
    checked = 0
    for _ in range(N_PAIRS):
        a = _near(g, rng, usable)         # b within ~2 km: a walk, not a crossing of the county
        close = usable[np.hypot(g.node_lat[g.seg_u[usable]] - a[0], (g.node_lon[g.seg_u[usable]] - a[1]) * 0.66)
                       < 0.018]
        b = _near(g, rng, close)
        sa, sb = net.streets.snap(*a, "wheelchair"), net.streets.snap(*b, "wheelchair")
        route = net.route(*a, *b, mode="wheelchair")
        assert route.duration_ms == oracle_ms(g, matrix, cost, (sa.segment, sa.t, sa.conn_ms),
                                              (sb.segment, sb.t, sb.conn_ms), limit=route.duration_ms + 1)
        assert steps_on_geometry(g, route.geometry, steps) == []
        checked += 1
    assert checked == N_PAIRS


def _detours(heidelberg, closed: np.ndarray, n: int, seed: int, by_segment: bool) -> int:
    """Of ``n`` random segments of ``closed`` (to wheelchairs) with both ends in the largest
    component, how many a walker crosses while the wheelchair route goes around: longer, equal to
    the oracle's, never along a closed segment. ``by_segment``: the walk must cross that very
    segment (else any of ``closed``)."""
    net, _, cost, matrix = heidelberg
    g = net.streets.graph
    lcc = _largest_component(g, matrix)
    ends_ok = closed[lcc[g.seg_u[closed]] & lcc[g.seg_v[closed]]]
    rng = np.random.default_rng(seed)
    longer = 0
    for s in rng.choice(ends_ok, min(n, len(ends_ok)), replace=False):
        a = (float(g.node_lat[g.seg_u[s]]), float(g.node_lon[g.seg_u[s]]))
        b = (float(g.node_lat[g.seg_v[s]]), float(g.node_lon[g.seg_v[s]]))
        walk = net.route(*a, *b, mode="walk")
        if not steps_on_geometry(g, walk.geometry, np.array([s]) if by_segment else closed):
            continue          # a walk that does not need it (a parallel path)
        chair = net.route(*a, *b, mode="wheelchair")
        sa, sb = net.streets.snap(*a, "wheelchair"), net.streets.snap(*b, "wheelchair")
        assert chair.duration_ms == oracle_ms(g, matrix, cost, (sa.segment, sa.t, sa.conn_ms),
                                              (sb.segment, sb.t, sb.conn_ms), limit=chair.duration_ms + 1)
        assert chair.duration_ms > walk.duration_ms
        assert steps_on_geometry(g, chair.geometry, closed) == []
        longer += 1
    return longer


def test_pairs_linked_by_steps_get_a_longer_step_free_route(heidelberg):
    """Points at both ends of a flight of steps: walkers take it, wheelchair users go around."""
    longer = _detours(heidelberg, steps_segments(heidelberg[0].streets.graph), 30, 5, by_segment=False)
    assert longer >= 10


def test_pairs_linked_by_a_steep_or_rough_way_get_a_longer_route(heidelberg):
    """Points at both ends of a way tagged steeper than 1:12 (incline=10%, -15%, 6°...: 282
    ways of the extract besides steps) or rougher than smoothness=intermediate (bad ... impassable:
    265 ways): walkers take it, wheelchair users go around, as the oracle (which reads the tags
    from the OSM file itself) says."""
    net, _, cost, _ = heidelberg
    g = net.streets.graph
    steps = steps_segments(g)
    walk_ok = np.asarray(g.mode("walk").c_fwd, np.int64) >= 0
    closed = np.flatnonzero((cost < 0) & walk_ok & ~np.isin(np.arange(len(cost)), steps))
    osm_ids = g.bundle.table("streets/ways").column("osm_id").to_numpy()
    steep = closed[np.isin(osm_ids[g.seg_way[closed]], np.fromiter(too_steep_ways(OSM), np.int64))]
    assert len(steep) > 100
    longer = _detours(heidelberg, steep, 40, 8, by_segment=True)
    assert longer >= 10, longer


def _stop_loc(g, seg, t, dist, s):
    return int(seg[s]), float(t[s]), math.ceil(dist[s] * 1000 / g.walk_speed_mps)


def test_step_free_footpaths_equal_the_oracle_and_never_climb_steps(heidelberg):
    net, built, cost, matrix = heidelberg
    g, tt = net.streets.graph, net.timetable
    off, to = tt.bundle.csr("timetable/footpaths_step_free", "to")
    _, dur = tt.bundle.csr("timetable/footpaths_step_free", "duration")
    w_off, w_to = tt.bundle.csr("timetable/footpaths", "to")
    _, w_dur = tt.bundle.csr("timetable/footpaths", "duration")
    src = np.repeat(np.arange(tt.n_stops), np.diff(off))
    assert len(to) > 300
    seg, t, dist = g.stop_links["wheelchair"]
    steps = steps_segments(g)
    rng = np.random.default_rng(8)
    for k in rng.choice(len(to), 25, replace=False):
        a, b = int(src[k]), int(to[k])
        want = oracle_ms(g, matrix, cost, _stop_loc(g, seg, t, dist, a), _stop_loc(g, seg, t, dist, b),
                         limit=int(dur[k]) * 1000 + 1)
        assert dur[k] == math.ceil(want / 1000)
        path = net.streets.path_between_stops(a, b, "wheelchair")
        assert path.duration_s == dur[k] and steps_on_geometry(g, path.geometry, steps) == []
    # completeness from a few stops: every stop the oracle reaches within the limit is listed
    limit_ms = built.manifest["options"]["street_footpath_max_s"] * 1000
    linked = np.flatnonzero(seg >= 0)
    for a in rng.choice(np.unique(src), 3, replace=False).tolist():
        la = _stop_loc(g, seg, t, dist, a)
        sn, sc = leave(*la, g.seg_u, g.seg_v, cost, cost)
        from_a = dijkstra(matrix, indices=sn, limit=limit_ms + 1)
        listed = set(to[off[a]:off[a + 1]].tolist())
        for b in linked.tolist():
            if b == a:
                continue
            lb = _stop_loc(g, seg, t, dist, b)
            tn, tc = arrive(*lb, g.seg_u, g.seg_v, cost, cost)
            best = min([from_a[i, tn[j]] + sc[i] + tc[j] for i in range(len(sn)) for j in range(len(tn))]
                       + [direct(la[0], la[1], la[2], lb[1], lb[2], cost, cost) or math.inf
                          if la[0] == lb[0] else math.inf])
            assert (best <= limit_ms) == (b in listed), (a, b)
    # some walkers' footpaths climb steps: their step-free counterpart is longer or absent
    walk = {(int(s), int(d)): int(x) for s, d, x in zip(np.repeat(np.arange(tt.n_stops), np.diff(w_off)), w_to, w_dur)}
    chair = {(int(s), int(d)): int(x) for s, d, x in zip(src, to, dur)}
    assert sum(1 for key, x in walk.items() if chair.get(key, 10**9) > x) > 0


def test_wheelchair_door_to_door_never_uses_steps(heidelberg):
    from tests.reference.feeds import bundle_active_dates

    net, built, cost, matrix = heidelberg
    g, tt = net.streets.graph, net.timetable
    steps = steps_segments(g)
    dates = sorted(set().union(*map(set, bundle_active_dates(built.path).values())))
    lat, lon = np.asarray(tt.stop_lat), np.asarray(tt.stop_lon)
    with np.errstate(invalid="ignore"):      # stops inside the street extract (VRN reaches beyond it)
        inside = ((lat > g.node_lat.min() + 0.01) & (lat < g.node_lat.max() - 0.01)
                  & (lon > g.node_lon.min() + 0.01) & (lon < g.node_lon.max() - 0.01))
    served = np.flatnonzero((np.diff(np.asarray(tt.stop_patterns_offsets)) > 0)
                            & (np.asarray(tt.stop_location_type) == 0) & inside)
    rng = np.random.default_rng(21)
    with_transit = steps_in_walks = plans = 0
    for _ in range(N_PAIRS):
        a, b = rng.choice(served, 2, replace=False)
        ends = [(float(tt.stop_lat[s] + rng.normal(0, 2e-3)), float(tt.stop_lon[s] + rng.normal(0, 3e-3)))
                for s in (a, b)]
        date, time = dates[len(dates) // 2].isoformat(), f"{int(rng.integers(7, 19)):02d}:{int(rng.integers(60)):02d}"
        try:
            rolling = net.plan(*ends, date, time, wheelchair=True)
            walking = net.plan(*ends, date, time)
        except InvalidQueryError:
            continue          # a point not within reach of a street
        plans += 1
        for it in rolling.itineraries:
            with_transit += it.n_vehicles > 0
            for leg in it.legs:
                if leg.mode == "walk":
                    assert steps_on_geometry(g, leg.geometry, steps) == [], (ends, date, time)
        steps_in_walks += any(steps_on_geometry(g, leg.geometry, steps)
                              for it in walking.itineraries for leg in it.legs if leg.mode == "walk")
    assert plans >= N_PAIRS // 2 and with_transit > 0
    assert steps_in_walks > 0      # the control: walkers' journeys do use steps here
