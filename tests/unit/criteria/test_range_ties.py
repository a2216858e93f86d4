"""Ranges with fares v2 (engine/criteria/range.py, TIES_BEATEN): a minute's search drops the
labels that can only match a later minute's journey, and its passes count the later minutes'
journeys as found. The answers must be those of searches that follow such labels and drop the
equal journeys afterwards (``TIES_BEATEN = False``), on the sample with generated "v2" and
"v2-simple" fares (stops and points), with the passes' horizons as they are and shortened to
5 / 10 min (so that later minutes' journeys often arrive after a pass's horizon), and the
searches must keep fewer labels."""
from __future__ import annotations

import pytest

from tests.reference.feeds import mixed_queries

FARE = ("arrival", "transfers", "fare")


@pytest.fixture(scope="module", params=["v2", "v2-simple"])
def network(request, tmp_path_factory, sample_paths):
    import engine
    from engine.testing.fares_gen import add_fares

    out = tmp_path_factory.mktemp("ties")
    feed = add_fares(sample_paths.gtfs, out / "feed.zip", request.param, seed=7)
    net = engine.open(str(engine.build(out / "fares.bundle", gtfs=[("sample", feed)], osm=sample_paths.osm).path))
    return net, [(o, d, "2026-03-03", t) for o, d, t in mixed_queries(net, 32, 23, point_every=4)]


@pytest.mark.parametrize("horizons", [None, (300, 600)], ids=["horizons", "short-horizons"])
def test_range_beating_ties_keeps_the_answers(network, horizons, monkeypatch):
    import engine.criteria.mcraptor as mcraptor
    import engine.criteria.range as range_module
    from engine.criteria.mcraptor import McPlanner

    net, queries = network
    labels = {True: 0, False: 0}
    run = McPlanner.run

    def counting(self, *args, **kwargs):
        ws = run(self, *args, **kwargs)
        labels[range_module.TIES_BEATEN] += ws.n_labels
        return ws

    monkeypatch.setattr(McPlanner, "run", counting)
    if horizons:
        monkeypatch.setattr(mcraptor, "PASS_HORIZONS_S", horizons)
    failures, journeys = [], 0
    for origin, destination, date, when in queries:
        answers = {}
        for ties in (True, False):
            monkeypatch.setattr(range_module, "TIES_BEATEN", ties)
            plan = net.plan(origin, destination, date, when, optimize=FARE, window_s=2700)
            answers[ties] = [(it.departure, it.arrival, it.n_vehicles, v)
                             for it, v in zip(plan.itineraries, plan.stats["fare_minor"])]
        journeys += len(answers[True])
        if answers[True] != answers[False]:
            failures.append(f"{origin} -> {destination} {date} {when}: ties beaten {answers[True]}, "
                            f"followed {answers[False]}")
    assert not failures, "\n".join(failures[:5])
    assert journeys > len(queries)
    assert labels[True] < labels[False], labels
