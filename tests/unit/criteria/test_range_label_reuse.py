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


@pytest.mark.parametrize("optimize", [WALKING, FARE], ids=["walking", "fare"])
def test_range_with_label_reuse_equals_a_search_per_minute(network, optimize, monkeypatch):
    from tests.reference.range_switch import range_answers_both_ways

    net, queries = network

    def reuse_as_switched(plan, on):
        assert plan.stats["label_reuse"] is on

    failures, journeys, labels = range_answers_both_ways(
        net, queries, monkeypatch, "REUSE_LABELS", lambda ws: ws.n_labels - ws.run_first, reuse_as_switched,
        optimize=optimize, window_s=1800)
    assert not failures, "\n".join(failures[:5])
    assert journeys > len(queries)
    assert labels[True] < labels[False], labels
