"""wheelchair=True / bikes=True (issue 14) against the trip-level reference solver, on the sample
and the real feeds that carry the GTFS fields (BART and Caltrain: wheelchair_accessible and
bikes_allowed, 0 and 1; Caltrain: stops with wheelchair_boarding 2; WMATA: pathways.txt with
stairs and escalators (and, in a copy, walkways with a max_slope), stops with wheelchair_boarding
2; TriMet: bikes_allowed 0 everywhere).

The reference is filtered on its own, from the staged (GTFS-level) tables: trips without the flag
are dropped from the trip instances, pickup and drop-off are forbidden at stops whose
wheelchair_boarding is 2 after inheriting the parent station's value (recomputed here), and
footpaths touching such stops or not step-free are removed. The Pareto set (vehicles, arrival) of
the filtered plan must equal the filtered reference's, and no itinerary may use an excluded trip,
stop or footpath. The step-free flag of every WMATA footpath is recomputed from pathways.txt by a
plain search over the file's rows.
"""
from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest

from engine.errors import InvalidQueryError

from tests.reference.csa import pareto_front
from tests.reference.feeds import build_feed, feed_name, hhmmss, random_queries, shared_data_dir
from tests.reference.filters_reference import filter_flags as _flags, filtered_reference as _filtered_reference

MAX_ROUNDS = 4
SAMPLE_QUERIES = 60
FEED_QUERIES = 25
FEED_DIRS = ["gtfs-us-bart", "gtfs-us-caltrain", "gtfs-us-wmata-rail", "gtfs-us-portland-trimet"]
FILTERS = [dict(wheelchair=True), dict(bikes=True), dict(wheelchair=True, bikes=True)]


def _feed_params(folders=FEED_DIRS, sample: bool = True):
    params = [pytest.param("sample", id="sample")] if sample else []
    root = shared_data_dir()
    for folder in folders:
        paths = sorted((root / folder).glob("*.zip")) if root.is_dir() else []
        if paths:
            params.append(pytest.param(paths[0], id=folder, marks=pytest.mark.realdata))
        else:
            params.append(pytest.param(None, id=folder, marks=pytest.mark.skip(
                reason=f"{folder} absent from the shared data folder (set BRIQUE_DATA)")))
    return params


@pytest.fixture(scope="module", params=_feed_params())
def feed(request, tmp_path_factory):
    import engine

    out = tmp_path_factory.mktemp("filters")
    if request.param == "sample":
        path = request.getfixturevalue("sample_paths").gtfs
        built = build_feed(out, [("sample", path)], "sample")
        n, seed = SAMPLE_QUERIES, 5
    else:
        path = request.param
        built = build_feed(out, [(feed_name(path), path)], feed_name(path))
        n, seed = FEED_QUERIES, 17
    net = engine.open(str(built.bundle))
    return path, built, net, random_queries(built.staged, n, seed, avoid_dst=False, night_every=5)


def _front(plan, date):
    from tests.reference.csa import seconds_on_axis

    points = sorted({(it.n_vehicles, seconds_on_axis(it.arrival, date)) for it in plan.itineraries})
    front, best = [], 2_000_000_000
    for vehicles, arrival in points:
        if arrival < best:
            front.append((vehicles, arrival))
            best = arrival
    return front


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f))
def test_filtered_plan_equals_filtered_reference(feed, filters):
    _, built, net, queries = feed
    stop_ok, trip_ok = _flags(built.staged, filters)
    ref = _filtered_reference(built, stop_ok, trip_ok, bool(filters.get("wheelchair")))
    tt = net.timetable
    trip_index = {t: i for i, t in enumerate(built.staged.trips.column("trip_id").to_pylist())}
    failures, with_transit = [], 0
    for i, q in enumerate(queries):
        origin_id, target_id = ref.stop_ids[q.origin], ref.stop_ids[q.target]
        plan = net.plan(origin_id, target_id, date=q.date.isoformat(), time=hhmmss(q.time_s),
                        max_transfers=MAX_ROUNDS - 1, **filters)
        with_transit += any(it.n_vehicles for it in plan.itineraries)
        origins = np.asarray(net.stop_indices(origin_id), np.int32)
        arrivals = ref.round_arrivals(origins, np.full(origins.size, q.time_s, np.int32), q.date, MAX_ROUNDS)
        want = pareto_front(arrivals, net.stop_indices(target_id))
        got = _front(plan, q.date)
        if got != want:
            failures.append(f"query {i}: {origin_id} -> {target_id} {q.date} {hhmmss(q.time_s)}: plan "
                            f"{[(v, hhmmss(a)) for v, a in got]}, reference {[(v, hhmmss(a)) for v, a in want]}")
        for it in plan.itineraries:
            for leg in it.legs:
                a, b = tt.find_stop_id(leg.origin.stop_id), tt.find_stop_id(leg.destination.stop_id)
                if leg.mode == "transit":
                    assert trip_ok[trip_index[leg.trip_id]], f"excluded trip {leg.trip_id} in {origin_id}->{target_id}"
                    assert stop_ok[a] and stop_ok[b], f"excluded stop in {leg.trip_id}"
                elif a != b:
                    assert (a, b) in ref.kept_footpaths, f"excluded footpath {leg.origin.stop_id} -> " \
                                                         f"{leg.destination.stop_id}"
    assert not failures, f"{built.name} {filters}: " + "\n".join(failures)
    # equal empty answers would prove nothing: where the filters keep trips, some query rides one
    assert with_transit > 0 or not trip_ok.any(), f"{built.name} {filters}: no filtered query used a vehicle"


def test_filters_exclude_what_the_flags_say(feed):
    """The filtered arrays themselves: masked pickup/drop-off, kept footpaths, next_active."""
    from engine.criteria.filters import Filters, FilteredTimetable

    _, built, net, queries = feed
    base = net.timetable
    ft = FilteredTimetable(base, Filters(wheelchair=True, bikes=True))
    wb = base.bundle.column("timetable/stops", "wheelchair_boarding")
    wa = base.bundle.column("timetable/trips", "wheelchair_accessible")
    ba = base.bundle.column("timetable/trips", "bikes_allowed")
    bad_pos = wb[base.pattern_stops] == 2
    assert not ft.pattern_pickup[bad_pos].any() and not ft.pattern_dropoff[bad_pos].any()
    assert np.array_equal(ft.pattern_pickup[~bad_pos], base.pattern_pickup[~bad_pos])
    assert (wb[ft.footpath_to] != 2).all()
    day = base.day_index(queries[0].date) if queries else 0
    na, base_na = ft.next_active(day), base.next_active(day)
    ok = (wa == 1) & (ba == 1)
    n = base.n_trips
    for row in range(na.shape[0]):
        running = np.flatnonzero(base_na[row] == np.arange(n))
        want = np.full(n + 1, n, np.int64)
        allowed = np.zeros(n + 1, bool)
        allowed[running] = ok[running]
        for t in range(n - 1, -1, -1):
            want[t] = t if allowed[t] else want[t + 1]
        assert np.array_equal(na[row], want[:n])


def _pathway_reachable(zip_path) -> tuple[dict, set, set]:
    """From pathways.txt / stops.txt directly: step-free directed edges and the entrances."""
    with zipfile.ZipFile(zip_path) as z:
        rows = list(csv.DictReader(io.TextIOWrapper(z.open("pathways.txt"), "utf-8-sig")))
        stops = list(csv.DictReader(io.TextIOWrapper(z.open("stops.txt"), "utf-8-sig")))
    edges: dict[str, set] = {}
    nodes = set()
    for r in rows:
        nodes |= {r["from_stop_id"], r["to_stop_id"]}
        if r["pathway_mode"].strip() in ("2", "4"):
            continue
        try:
            if abs(float(r.get("max_slope") or 0)) > 1 / 12 + 1e-9:
                continue            # steeper than a 1:12 ramp
        except ValueError:
            pass                    # not a number: no information
        edges.setdefault(r["from_stop_id"], set()).add(r["to_stop_id"])
        if r["is_bidirectional"].strip() == "1":
            edges.setdefault(r["to_stop_id"], set()).add(r["from_stop_id"])
    entrances = {s["stop_id"] for s in stops if s.get("location_type", "").strip() == "2"}
    for e in entrances:
        edges.setdefault(e, set()).add("<street>")
        edges.setdefault("<street>", set()).add(e)
    return edges, nodes, entrances


def _with_slopes(src, out):
    """WMATA with a max_slope on each walkway (its file has none): 0.12, -0.10 or 0.0834 on about
    a third (steeper than 1:12), 0.05, -0.0833 or empty on the rest, "steep" on a few (not a
    number); seeded."""
    rng = np.random.default_rng(12)
    with zipfile.ZipFile(src) as z:
        rows = list(csv.DictReader(io.TextIOWrapper(z.open("pathways.txt"), "utf-8-sig")))
    for r in rows:
        if r["pathway_mode"].strip() == "1":
            x = rng.random()
            r["max_slope"] = ("0.12" if x < 0.15 else "-0.10" if x < 0.25 else "0.0834" if x < 0.33 else
                              "steep" if x < 0.36 else "0.05" if x < 0.6 else "-0.0833" if x < 0.8 else "")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from engine.testing.data import feed_with_files

    return feed_with_files(src, out, {"pathways.txt": text.getvalue()})


WMATA_PARAMS = _feed_params(["gtfs-us-wmata-rail"], sample=False)


@pytest.mark.parametrize("slopes", [False, True], ids=["as-published", "with-max-slope"])
@pytest.mark.parametrize("feed", WMATA_PARAMS, indirect=True)
def test_wmata_step_free_footpaths_follow_pathways(feed, slopes, tmp_path):
    """WMATA is the shared feed with pathways.txt (the others have none to follow); its walkways
    carry no max_slope, so a copy gets some: those steeper than 1:12 are not step-free, a value
    that is not a number says nothing (counted)."""
    path, built, net, _ = feed
    assert "pathways.txt" in zipfile.ZipFile(path).namelist()
    if slopes:
        import engine

        path = _with_slopes(path, tmp_path / "wmata_slopes.zip")
        built = build_feed(tmp_path, [(feed_name(path), path)], feed_name(path))
        net = engine.open(str(built.bundle))
        counts = net.manifest["report"]["counts"]
        assert counts["pathways.too_steep"] > 100 and counts["fixed.pathways.bad_max_slope"] > 10, counts
    edges, nodes, entrances = _pathway_reachable(path)
    prefix = built.name + ":"

    def node(stop_id):
        raw = stop_id[len(prefix):]
        return raw if raw in nodes and raw not in entrances else "<street>"

    def reach(a, b):
        seen, todo = {a}, [a]
        while todo:
            for v in edges.get(todo.pop(), ()):
                if v not in seen:
                    seen.add(v)
                    todo.append(v)
        return b in seen

    tt = net.timetable
    offsets, to = tt.footpath_offsets, tt.footpath_to
    _, step_free = tt.bundle.csr("timetable/footpaths", "step_free")
    counts = [0, 0]
    for s in range(tt.n_stops):
        for e in range(offsets[s], offsets[s + 1]):
            a, b = node(tt.stop_id(s)), node(tt.stop_id(int(to[e])))
            want = a == b or reach(a, b)
            assert bool(step_free[e]) == want, f"{tt.stop_id(s)} -> {tt.stop_id(int(to[e]))}"
            counts[want] += 1
    assert sum(counts) > 0
    # each stop's step-free link to the street (timetable/stops.street_step_free: 1 the street
    # reaches it, 2 it reaches the street) from the same plain search, and 4: inside a station
    # (every WMATA station has entrances)
    bits = tt.bundle.column("timetable/stops", "street_step_free")
    for s in range(tt.n_stops):
        n = node(tt.stop_id(s))
        want = 3 if n == "<street>" else (1 if reach("<street>", n) else 0) | (2 if reach(n, "<street>") else 0)
        assert int(bits[s]) & 3 == want, tt.stop_id(s)
        assert bool(bits[s] & 4) == (n != "<street>"), tt.stop_id(s)
    if slopes:
        assert int((((bits & 3) != 3) & (tt.stop_location_type == 0)).sum()) > 10


def _accessible_trips(src, out):
    """``src`` with wheelchair_accessible=1 on every trip (WMATA's trips carry no flag)."""
    with zipfile.ZipFile(src) as z:
        rows = list(csv.DictReader(io.TextIOWrapper(z.open("trips.txt"), "utf-8-sig")))
    for r in rows:
        r["wheelchair_accessible"] = "1"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from engine.testing.data import feed_with_files

    return feed_with_files(src, out, {"trips.txt": text.getvalue()})


@pytest.mark.parametrize("feed", WMATA_PARAMS, indirect=True)
def test_wheelchair_access_and_egress_use_stops_the_street_reaches_step_free(feed, tmp_path):
    """From a point, a wheelchair journey starts at a stop the street reaches over step-free
    pathways and ends at one that reaches the street so: on WMATA with slopes (above) and every
    trip accessible, points at platforms that only stairs, escalators or steep walkways reach
    get other access stops (a walker's plan still starts there)."""
    import engine
    from engine.criteria.filters import Filters
    from engine.criteria.plan import filtered_planner

    path, _, _, _ = feed
    z = _accessible_trips(_with_slopes(path, tmp_path / "slopes.zip"), tmp_path / "wmata_access.zip")
    net = engine.open(engine.build(tmp_path / "access.bundle", gtfs=[("wm", z)]).path)
    tt = net.timetable
    bits = tt.bundle.column("timetable/stops", "street_step_free")
    closed = np.flatnonzero((tt.stop_location_type == 0) & ((bits & 1) == 0))
    assert len(closed) > 10
    chair = filtered_planner(net._planner, Filters(wheelchair=True), net._criteria_cache)
    rng = np.random.default_rng(3)
    # (destinations a wheelchair user can leave: since stations are walked through their
    # entrances and pathways, 2026-12-07, few others have a journey; before, access walks went
    # straight to the platforms the street reaches step-free)
    platforms = np.flatnonzero((tt.stop_location_type == 0) & ((bits & 2) != 0))
    wheelchair_boarding = tt.bundle.column("timetable/stops", "wheelchair_boarding")
    checked = boarded = 0
    for s in rng.choice(closed, 12, replace=False):
        here = (float(tt.stop_lat[s]), float(tt.stop_lon[s]))
        walker = net._planner.point_endpoint(*here, "walk", 900, "origin", False)
        wheeled = chair.point_endpoint(*here, "walk", 900, "origin", False)
        assert s in set(walker.stops.tolist()) and s not in set(wheeled.stops.tolist())
        assert all(bits[x] & 1 for x in wheeled.stops.tolist())
        far = int(rng.choice(platforms))
        there = (float(tt.stop_lat[far]), float(tt.stop_lon[far]))
        plan = net.plan(here, there, date="2026-05-13", time="10:00", wheelchair=True)
        for it in plan.itineraries:
            rides = [leg for leg in it.legs if leg.mode == "transit"]
            if rides:
                first = net.stop_indices(rides[0].origin.stop_id)[0]
                last = net.stop_indices(rides[-1].destination.stop_id)[0]
                assert bits[first] & 1 and bits[last] & 2, (rides[0].origin.stop_id, rides[-1].destination.stop_id)
                # (through an entrance open to wheelchairs, then the station's step-free pathways)
                gate = it.legs[0].destination.stop_id
                assert gate is not None and wheelchair_boarding[net.stop_indices(gate)[0]] != 2, it.legs[0]
                boarded += 1
        checked += 1
    assert checked == 12 and boarded > 0


def test_wheelchair_takes_points_and_checks_bikes(sample_network):
    tt = sample_network.timetable
    stop = tt.stop_id(int(np.flatnonzero(tt.stop_location_type == 0)[0]))
    # a point end is searched on the step-free street profile (tests/unit/criteria/test_step_free_plans.py)
    plan = sample_network.plan((tt.stop_lat[0], tt.stop_lon[0]), stop, date=tt.period_start.isoformat(),
                               time="08:00", wheelchair=True)
    assert plan.stats["wheelchair"] is True and plan.stats["access_stops"] > 0
    with pytest.raises(InvalidQueryError) as err:
        sample_network.plan(stop, stop, date=tt.period_start.isoformat(), time="08:00", bikes="yes")
    assert err.value.parameter == "bikes"


def test_filters_check_realtime_like_the_unfiltered_plan(sample_network):
    """A non-boolean realtime is refused with filters as without; True, numpy's True and False
    answer (no overlay applied here: on the schedule, as an unfiltered plan does).
    tests/differential/test_filters_realtime_vs_static.py plans filters with an overlay."""
    tt = sample_network.timetable
    stop = tt.stop_id(int(np.flatnonzero(tt.stop_location_type == 0)[0]))
    for filters in FILTERS:
        for realtime in ("banana", 1):
            with pytest.raises(InvalidQueryError) as err:
                sample_network.plan(stop, stop, date=tt.period_start.isoformat(), time="08:00", realtime=realtime,
                                    **filters)
            assert err.value.parameter == "realtime"
        for realtime in (True, np.True_, np.False_):
            plan = sample_network.plan(stop, stop, date=tt.period_start.isoformat(), time="08:00",
                                       realtime=realtime, **filters)
            assert plan.stats["realtime"] is False and plan.stats["wheelchair"] is bool(filters.get("wheelchair"))
