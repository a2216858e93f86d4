"""Step-free streets (issue 14): what plan(wheelchair=True) costs door to door on Heidelberg,
against the walking plan of the same queries, same process, alternately.

The VRN cut carries no accessibility flags, so the bench builds it with every trip marked
wheelchair_accessible=1 (tests/realdata/test_wheelchair_streets.accessible_copy): the filtered
timetable then explores what the unfiltered one does, and the difference is the step-free street
searches (access, egress, direct walk on the "wheelchair" profile, step-free footpaths) and the
filter's own overhead. Queries: bench_door_to_door.point_queries (seeded points near served stops,
walk access/egress <= 900 s, max_transfers=4); the untimed pre-pass also plans each query with
wheelchair=True so both filtered timetables and the date caches are warm.

``test_wheelchair_vs_walk_door_to_door`` stores both medians and their ratio in extra_info;
nothing is asserted on speed.
"""
from __future__ import annotations

import time

import pytest

from tests.reference.feeds import bench_short, cached_bundle, percentiles

SHORT = bench_short()
N_QUERIES = 20 if SHORT else 400


def _bundle(tmp_path_factory):
    from engine.testing.data import shared_data_dir
    from tests.realdata.test_wheelchair_streets import accessible_copy

    root = shared_data_dir()
    feed, osm = root / "gtfs-de-rhein-neckar-vrn/vrn_gtfs_cut.zip", root / "osm-de-heidelberg/heidelberg.test.pbf"
    if not (feed.is_file() and osm.is_file()):
        pytest.skip("Heidelberg OSM or VRN GTFS absent (set BRIQUE_DATA)")
    copy = accessible_copy(feed, tmp_path_factory.mktemp("vrn") / "vrn_accessible.zip")
    return cached_bundle([("vrn", copy)], "step-free-heidelberg", osm=osm)


def test_wheelchair_vs_walk_door_to_door(benchmark, tmp_path_factory):
    import engine
    from benchmarks.bench_door_to_door import MAX_ACCESS_S, MAX_TRANSFERS, point_queries

    bundle = _bundle(tmp_path_factory)
    net = engine.open(str(bundle))
    queries, dropped = point_queries(net, bundle, N_QUERIES, seed=1414)

    def plan(q, wheelchair):
        return net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=MAX_TRANSFERS, max_access_s=MAX_ACCESS_S,
                        wheelchair=wheelchair)

    from engine.errors import InvalidQueryError

    kept = []
    for q in queries:            # a point may snap for walkers only (steps nearby): dropped
        try:
            plan(q, True)
            kept.append(q)
        except InvalidQueryError:
            dropped += 1
    queries = kept
    times = {False: [], True: []}
    found = {False: 0, True: 0}
    for q in queries:
        for wheelchair in (False, True):
            t = time.perf_counter()
            p = plan(q, wheelchair)
            times[wheelchair].append(time.perf_counter() - t)
            found[wheelchair] += bool(p.itineraries)
    stream = iter(queries * 3)
    benchmark.pedantic(lambda: plan(next(stream), True), rounds=min(len(queries), 50), iterations=1)
    walk, chair = percentiles(times[False]), percentiles(times[True])
    benchmark.extra_info.update(
        queries=len(queries), dropped=dropped, walk=walk, wheelchair=chair,
        found_walk=found[False], found_wheelchair=found[True],
        ratio_p50=round(chair["median_ms"] / max(walk["median_ms"], 1e-9), 3))
    assert found[True] > 0
