"""McRAPTOR's target pruning set (engine/_mcraptor.pyx _add_target): the journeys a run is given
(``known``) and finds stay a Pareto set in order of arrival, which the scans over it
(_target_dominated, _until) rely on to stop at the first entry past the time they ask about.
Known rows in any order, with duplicates and dominated ones, must leave the same set and the
same answers as the plain Pareto set of them."""
from __future__ import annotations

import datetime as dt

import numpy as np

from engine._mcraptor import known_targets, target_journeys
from engine.criteria.mcraptor import McPlanner, pareto

from tests.reference.feeds import station_queries


def _dominates(a, b) -> bool:
    return a[0] <= b[0] and a[1] <= b[1] and a[2] <= b[2]


def _check_pareto_by_arrival(rows: np.ndarray) -> None:
    assert (np.diff(rows[:, 0]) >= 0).all(), f"entries out of arrival order: {rows.tolist()}"
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert i == j or not _dominates(rows[i], rows[j]), f"entry {rows[j]} kept beside {rows[i]}"


def test_known_journeys_stay_a_pareto_set_by_arrival(sample_network, sample_bundle):
    net = sample_network
    mc = McPlanner(net._planner)
    rng = np.random.default_rng(11)
    checked = 0
    for o_ref, d_ref, date, hms in station_queries(sample_bundle, 40, 17):
        o, d = net.stop_indices(o_ref), net.stop_indices(d_ref)
        h, m, s = (int(x) for x in hms.split(":"))
        start, day = h * 3600 + m * 60 + s, net.timetable.day_index(dt.date.fromisoformat(date))
        args = (o, [start] * len(o), [0] * len(o), d, [0] * len(d), [0] * len(d), day, 4, 60, True, True)

        def answers(ws):
            rows = target_journeys(ws, np.asarray(d, np.int32), np.zeros(len(d), np.int32), 2**31 - 1, True,
                                   True)
            return pareto([tuple(r[:3]) for r in rows.tolist()])

        plain = answers(mc.run(*args))
        if len(plain) < 2:
            continue
        found = np.array(plain, np.int64)
        # the journeys, later and dearer copies of them, duplicates: shuffled
        extra = found + np.array([60, 0, 30])
        known = np.concatenate([found, extra, found[::-1], found + np.array([0, 1, 0])])
        known = known[rng.permutation(len(known))].astype(np.int32)
        ws = mc.run(*args, known=known)
        entries = known_targets(ws)
        _check_pareto_by_arrival(entries)
        # every known journey (entered a second later) is beaten or equalled by an entry
        for row in known.tolist():
            assert any(_dominates((e[0], e[2], e[1]), (row[0] + 1, row[1], row[2])) for e in entries.tolist())
        assert answers(ws) == plain          # equal journeys are found again: the same answers
        ws_plain = mc.run(*args, known=np.array(pareto([tuple(r) for r in known.tolist()]), np.int32))
        assert known_targets(ws_plain).tolist() == entries.tolist()
        checked += 1
    assert checked >= 5, f"only {checked} sample queries had two journeys or more"
