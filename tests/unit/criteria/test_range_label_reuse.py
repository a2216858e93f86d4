"""Ranges with a third criterion reuse the later minutes' labels (engine/criteria/range.py,
run_mcraptor keep_labels): the answers must be those of a full search per minute
(``REUSE_LABELS = False``), walking and fares v1, on the sample (stops and points, generated v1
fares) and BART (its own fares v1), and the reuse must search fewer labels."""
from __future__ import annotations

import pytest

from tests.reference.feeds import build_feed, mixed_queries, random_queries, shared_data_dir, hhmmss

WALKING = ("arrival", "transfers", "walking")
FARE = ("arrival", "transfers", "fare")


def _sample(sample_paths, out):
    import engine
    from engine.testing.fares_gen import add_fares

    feed = add_fares(sample_paths.gtfs, out / "feed.zip", "v1", seed=5)
    net = engine.open(str(engine.build(out / "v1.bundle", gtfs=[("sample", feed)], osm=sample_paths.osm).path))
    return net, [(o, d, "2026-03-03", t) for o, d, t in mixed_queries(net, 40, 17, point_every=4)]


def _bart(out):
    import engine

    path = shared_data_dir() / "gtfs-us-bart" / "bart-new.zip"
    if not path.is_file():
        pytest.skip(f"{path} absent (set BRIQUE_DATA)")
    built = build_feed(out, [("bart", path)], "bart")
    net = engine.open(str(built.bundle))
    return net, [(net.timetable.stop_id(q.origin), net.timetable.stop_id(q.target), q.date.isoformat(),
                  hhmmss(q.time_s)) for q in random_queries(built.staged, 15, 5, avoid_dst=False)]


@pytest.fixture(scope="module", params=["sample", pytest.param("bart", marks=pytest.mark.realdata)])
def network(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("reuse")
    if request.param == "sample":
        return _sample(request.getfixturevalue("sample_paths"), out)
    return _bart(out)


def _answer(plan, key):
    return [(it.departure, it.arrival, it.n_vehicles, v) for it, v in zip(plan.itineraries, plan.stats[key])]


@pytest.mark.parametrize("optimize", [WALKING, FARE], ids=["walking", "fare"])
def test_range_with_label_reuse_equals_a_search_per_minute(network, optimize, monkeypatch):
    import engine.criteria.range as range_module
    from engine.criteria.mcraptor import McPlanner

    net, queries = network
    key = "walking_s" if optimize == WALKING else "fare_minor"
    labels = {True: 0, False: 0}
    run = McPlanner.run

    def counting(self, *args, **kwargs):
        ws = run(self, *args, **kwargs)
        labels[range_module.REUSE_LABELS] += ws.n_labels - ws.run_first
        return ws

    monkeypatch.setattr(McPlanner, "run", counting)
    failures, journeys = [], 0
    for origin, destination, date, when in queries:
        answers = {}
        for reuse in (True, False):
            monkeypatch.setattr(range_module, "REUSE_LABELS", reuse)
            plan = net.plan(origin, destination, date, when, optimize=optimize, window_s=1800)
            assert plan.stats["label_reuse"] is reuse
            answers[reuse] = _answer(plan, key)
        journeys += len(answers[True])
        if answers[True] != answers[False]:
            failures.append(f"{origin} -> {destination} {date} {when}: reuse {answers[True]}, "
                            f"a search per minute {answers[False]}")
    assert not failures, "\n".join(failures[:5])
    assert journeys > len(queries)
    assert labels[True] < labels[False], labels
