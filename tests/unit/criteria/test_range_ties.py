"""Ranges with fares v2 (engine/criteria/range.py, TIES_BEATEN): a minute's search drops the
labels that can only match a later minute's journey, and its passes count the later minutes'
journeys as found. The answers must be those of searches that follow such labels and drop the
equal journeys afterwards (``TIES_BEATEN = False``), on the sample with generated "v2" and
"v2-simple" fares (stops and points), with the passes' horizons as they are and shortened to
5 / 10 min (so that later minutes' journeys often arrive after a pass's horizon), and the
searches must keep fewer labels. (With label reuse, the minutes after the first keep the later
minutes' labels and compare ties as labels do: the test searches every minute afresh,
``REUSE_LABELS = False``, where the rule applies to every minute.)"""
from __future__ import annotations

import pytest

FARE = ("arrival", "transfers", "fare")


@pytest.fixture(scope="module", params=["v2", "v2-simple"])
def network(request, tmp_path_factory, sample_paths):
    from tests.reference.range_switch import sample_with_fares

    return sample_with_fares(sample_paths, tmp_path_factory.mktemp("ties"), request.param, 7, 23)


@pytest.mark.parametrize("horizons", [None, (300, 600)], ids=["horizons", "short-horizons"])
def test_range_beating_ties_keeps_the_answers(network, horizons, monkeypatch):
    import engine.criteria.mcraptor as mcraptor
    from tests.reference.range_switch import range_answers_both_ways

    import engine.criteria.range as range_module

    net, queries = network
    monkeypatch.setattr(range_module, "REUSE_LABELS", False)
    if horizons:
        monkeypatch.setattr(mcraptor, "PASS_HORIZONS_S", horizons)
    failures, journeys, labels = range_answers_both_ways(net, queries, monkeypatch, "TIES_BEATEN",
                                                         lambda ws: ws.n_labels, optimize=FARE, window_s=2700)
    assert not failures, "\n".join(failures[:5])
    assert journeys > len(queries)
    assert labels[True] < labels[False], labels
