"""Ranges with a third criterion reuse the later minutes' labels (engine/criteria/range.py,
run_mcraptor keep_labels): the answers must be those of a full search per minute
(``REUSE_LABELS = False``), walking and fares v1, on the sample (stops and points, generated v1
fares) and BART (its own fares v1), and the reuse must search fewer labels."""
from __future__ import annotations

import pytest

from tests.reference.feeds import build_feed, random_queries, shared_data_dir, hhmmss

WALKING = ("arrival", "transfers", "walking")
FARE = ("arrival", "transfers", "fare")


def _sample(sample_paths, out):
    from tests.reference.range_switch import sample_with_fares

    return sample_with_fares(sample_paths, out, "v1", 5, 17)


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


@pytest.fixture(scope="module")
def strasbourg_v2(tmp_path_factory):
    """Strasbourg CTS with generated fares v2 ("v2-simple"), and queries half of which start in
    the evening (service thins out: a minute's journeys often arrive beyond every pass horizon,
    so it is searched in one run; the others in two or three passes)."""
    import random

    import engine
    from engine.testing.fares_gen import add_fares

    path = shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
    if not path.is_file():
        pytest.skip(f"{path} absent (set BRIQUE_DATA)")
    out = tmp_path_factory.mktemp("reuse_v2")
    feed = add_fares(path, out / "cts_v2.zip", "v2-simple", seed=3)
    built = build_feed(out, [("cts", feed)], "cts")
    net = engine.open(str(built.bundle))
    rng = random.Random(11)
    queries = []
    for i, q in enumerate(random_queries(built.staged, 16, 7, avoid_dst=False)):
        when = q.time_s if i % 2 else rng.randrange(21 * 3600, 23 * 3600 + 1800)
        queries.append((net.timetable.stop_id(q.origin), net.timetable.stop_id(q.target), q.date.isoformat(),
                        hhmmss(when)))
    return net, queries


@pytest.mark.realdata
def test_fares_v2_range_reuses_labels_on_strasbourg(strasbourg_v2, monkeypatch):
    """Fares v2 search a minute in passes (one when its journeys arrive beyond every pass
    horizon); pass i keeps the labels of the later minutes' pass i, as walking and v1 keep the
    later minutes' (engine/criteria/range.py): the answers must be those of a full search per
    minute, some runs must reuse, and they must search fewer labels."""
    from tests.reference.range_switch import range_answers_both_ways

    net, queries = strasbourg_v2
    reusing = []

    def count_reuse(plan, on):
        reusing.append(plan.stats["runs_reusing_labels"] if on else 0)
        assert on or plan.stats["runs_reusing_labels"] == 0

    failures, journeys, labels = range_answers_both_ways(
        net, queries, monkeypatch, "REUSE_LABELS", lambda ws: ws.n_labels - ws.run_first, count_reuse,
        optimize=FARE, window_s=1800, time_budget_s=120)
    assert not failures, "\n".join(failures[:5])
    assert journeys > len(queries) and sum(reusing) > 0
    assert labels[True] < labels[False], labels


@pytest.fixture(scope="module", params=["v2", "v2-simple"])
def sample_v2(request, tmp_path_factory, sample_paths):
    from tests.reference.range_switch import sample_with_fares

    return sample_with_fares(sample_paths, tmp_path_factory.mktemp("reuse_sample_v2"), request.param, 7, 29)


@pytest.mark.parametrize("horizons", [None, (300, 600)], ids=["horizons", "short-horizons"])
def test_fares_v2_range_passes_reuse_the_later_minutes_passes(sample_v2, horizons, monkeypatch):
    """Fares v2 search a minute in passes; with reuse, pass i keeps the labels of the later
    minutes' pass i (its own workspace slot): the answers must be those of a full search per
    minute, on the sample with generated "v2" and "v2-simple" fares (stops and points), with
    the passes' horizons as they are and shortened to 5 / 10 min (more passes, more slots), and
    the reuse must search fewer labels."""
    import engine.criteria.mcraptor as mcraptor
    from tests.reference.range_switch import range_answers_both_ways

    net, queries = sample_v2
    if horizons:
        monkeypatch.setattr(mcraptor, "PASS_HORIZONS_S", horizons)
    failures, journeys, labels = range_answers_both_ways(
        net, queries, monkeypatch, "REUSE_LABELS", lambda ws: ws.n_labels - ws.run_first, optimize=FARE,
        window_s=2700)
    assert not failures, "\n".join(failures[:5])
    assert journeys > len(queries)
    assert labels[True] < labels[False], labels
