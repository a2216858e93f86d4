"""Street shortest paths on every real OSM extract equal scipy's Dijkstra on the same graph.

Also: stop footpaths on the Heidelberg extract with the VRN feed equal the oracle, and the build
reports what it dropped. Skipped when ../shared/data is absent.
"""
from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pyarrow.csv as pacsv
import pytest

from engine.bundle.writer import write_bundle
from engine.testing.data import shared_data_dir
from engine.errors import InvalidQueryError
from engine.streets import StreetNetwork, StreetOptions, build_street_tables
from engine._streets import StreetWorkspace, run_to_stops
from engine.timetable.staging import BuildReport
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from engine.streets.locations import arrive, direct, leave

pytestmark = pytest.mark.realdata
DATA = shared_data_dir()
EXTRACTS = sorted(DATA.glob("osm-*/*.pbf")) if DATA.is_dir() else []
PAIRS_PER_MODE = 8


def _matrix(net, mode):
    """Mode graph for scipy; parallel edges keep their minimum (scipy would sum them)."""
    g = net.graph
    off, to, cost, _ = g.modes[mode].edges(False)
    n = g.n_nodes
    src = np.repeat(np.arange(len(off) - 1, dtype=np.int64), np.diff(off))
    key = src * n + to
    order = np.lexsort((cost, key))
    sel = order[np.r_[True, key[order][1:] != key[order][:-1]]]
    return csr_matrix((cost[sel].astype(np.float64), (src[sel], to[sel])), shape=(n, n))


def _oracle(net, matrix, mode, a, b):
    g, mg = net.graph, net.graph.modes[mode]
    sn, sc = leave(*a, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
    tn, tc = arrive(*b, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
    best = direct(a[0], a[1], a[2], b[1], b[2], mg.c_fwd, mg.c_bwd) if a[0] == b[0] else None
    best = math.inf if best is None else best
    dist = dijkstra(matrix, indices=sn)
    for i in range(len(sn)):
        for j in range(len(tn)):
            best = min(best, dist[i, tn[j]] + sc[i] + tc[j])
    return best


@pytest.fixture(scope="module", params=EXTRACTS or [None], ids=lambda p: p.parent.name if p else "none")
def network(request, tmp_path_factory):
    if request.param is None:
        pytest.skip(f"no OSM extracts under {DATA} (set BRIQUE_DATA)")
    report = BuildReport()
    tables, _ = build_street_tables(request.param, report, np.zeros(0), np.zeros(0), StreetOptions())
    path = write_bundle(tmp_path_factory.mktemp("streets") / "b", tables, {})
    return StreetNetwork.open(path), report


@pytest.mark.parametrize("mode", ["walk", "bike", "car"])
def test_point_to_point_equals_scipy(network, mode):
    net, _ = network
    g = net.graph
    rng = np.random.default_rng(42)
    matrix = _matrix(net, mode)
    usable = np.flatnonzero(g.seg_modes & {"walk": 1, "bike": 2, "car": 4}[mode])
    checked = 0
    for _ in range(PAIRS_PER_MODE):
        # random points near random usable segments (a few metres off), so all snap
        pts = []
        for s in rng.choice(usable, 2):
            t = rng.random()
            lat = g.node_lat[g.seg_u[s]] * (1 - t) + g.node_lat[g.seg_v[s]] * t + rng.normal(0, 1e-4)
            lon = g.node_lon[g.seg_u[s]] * (1 - t) + g.node_lon[g.seg_v[s]] * t + rng.normal(0, 1e-4)
            pts.append((lat, lon))
        try:
            sa, sb = net.snap(*pts[0], mode), net.snap(*pts[1], mode)
        except InvalidQueryError:
            continue
        route = net.route(*pts[0], *pts[1], mode)
        expected = _oracle(net, matrix, mode, (sa.segment, sa.t, sa.conn_ms), (sb.segment, sb.t, sb.conn_ms))
        assert route.duration_ms == expected
        assert route.distance_m > 0 and len(route.geometry) >= 2
        checked += 1
    assert checked >= PAIRS_PER_MODE // 2


@pytest.mark.parametrize("mode", ["walk", "car"])
def test_reference_dijkstra_equals_scipy(network, mode):
    """The plain Dijkstra the reach tests compare with (run_to_stops, each node its own stop)."""
    net, _ = network
    g = net.graph
    off, to, cost, _ = g.modes[mode].edges(False)
    matrix = _matrix(net, mode)
    n = g.n_nodes
    every = (np.arange(n + 1, dtype=np.int32), np.arange(n, dtype=np.int32), np.zeros(n, np.int64))
    ws = StreetWorkspace(n, len(to), n)
    for src in np.random.default_rng(7).choice(np.unique(to), 2):
        reached, ms = run_to_stops(off, to, cost, np.array([src], np.int32), np.zeros(1, np.int64),
                                   1 << 50, *every, ws)
        got = np.full(n, np.inf)
        got[reached] = ms
        np.testing.assert_array_equal(got, dijkstra(matrix, indices=int(src)))


def test_components_are_strongly_connected_and_reported(network):
    net, report = network
    from scipy.sparse.csgraph import connected_components

    for mode in ("walk", "bike", "car"):
        matrix = _matrix(net, mode)
        used = np.unique(net.graph.modes[mode].edges(False)[1])
        n_comp, labels = connected_components(matrix, directed=True, connection="strong")
        assert len(np.unique(labels[used])) == 1, mode
        assert report.counts[f"streets.{mode}.nodes"] == len(used)


def _stops(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        table = pacsv.read_csv(io.BytesIO(zf.read("stops.txt")))
    return table["stop_lat"].to_numpy(), table["stop_lon"].to_numpy()


def test_heidelberg_footpaths_equal_scipy(tmp_path):
    osm = DATA / "osm-de-heidelberg" / "heidelberg.test.pbf"
    feed = DATA / "gtfs-de-rhein-neckar-vrn" / "vrn_gtfs_cut.zip"
    if not (osm.is_file() and feed.is_file()):
        pytest.skip("Heidelberg OSM or VRN GTFS not in the shared data")
    lat, lon = _stops(feed)
    report = BuildReport()
    tables, fp = build_street_tables(osm, report, lat, lon, StreetOptions(footpath_max_s=600))
    net = StreetNetwork.open(write_bundle(tmp_path / "b", tables, {}))
    assert report.counts["streets.stops_linked"] > 230
    unlinked = report.counts["streets.stops_unlinked"]
    listed = sum(i.code == "streets.stop_not_linked" for i in report.issues)
    assert unlinked > 0 and listed == min(unlinked, 50) + (unlinked > 50)
    assert len(fp) > 500 and (fp.duration_s <= 600).all() and (fp.from_stop != fp.to_stop).all()
    matrix = _matrix(net, "walk")
    g = net.graph
    seg, t, dist = g.stop_links["walk"]
    rng = np.random.default_rng(3)
    for k in rng.choice(len(fp), 10, replace=False):
        a, b = int(fp.from_stop[k]), int(fp.to_stop[k])
        la = (int(seg[a]), float(t[a]), math.ceil(dist[a] * 1000 / 1.33))
        lb = (int(seg[b]), float(t[b]), math.ceil(dist[b] * 1000 / 1.33))
        assert fp.duration_s[k] == math.ceil(_oracle(net, matrix, "walk", la, lb) / 1000)
        assert net.path_between_stops(a, b).duration_s == fp.duration_s[k]
    # completeness from one stop: every stop the oracle reaches within 600 s is listed
    a = int(fp.from_stop[0])
    listed = set(fp.to_stop[fp.from_stop == a].tolist())
    mg = g.modes["walk"]
    la = (int(seg[a]), float(t[a]), math.ceil(dist[a] * 1000 / 1.33))
    sn, sc = leave(*la, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
    from_a = dijkstra(matrix, indices=sn)
    for b in np.flatnonzero(seg >= 0):
        if b == a:
            continue
        lb = (int(seg[b]), float(t[b]), math.ceil(dist[b] * 1000 / 1.33))
        tn, tc = arrive(*lb, g.seg_u, g.seg_v, mg.c_fwd, mg.c_bwd)
        best = min(from_a[i, tn[j]] + sc[i] + tc[j] for i in range(len(sn)) for j in range(len(tn)))
        if la[0] == lb[0]:
            best = min(best, direct(la[0], la[1], la[2], lb[1], lb[2], mg.c_fwd, mg.c_bwd) or math.inf)
        assert (best <= 600_000) == (int(b) in listed)
