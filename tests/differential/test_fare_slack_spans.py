"""Fares v2: trams compare their last legs' departures by order only within spans of the day
where a lost transfer count cannot cost more than it saved (slack 2, engine/fares/kernel_model_v2.py
``_slack_spans``, engine/_mcraptor.pyx ``_v2_span_ok``).

The enumeration of tests/differential/test_fare_criterion_vs_reference.py affords two vehicles on
Strasbourg, where no count can be lost after the next leg, so it never reaches the spans. Here:
on the built-in sample with generated "v2" fares and four vehicles, against that enumeration; and
on Strasbourg CTS with generated "v2" fares and four vehicles, where the enumeration is out of
reach, against the search that never compares those departures (slack 2 as 0: the rule the
enumeration checked); at start times just before the peaks' edges (07:00, 16:30: where a span
ends) and at random ones, unbounded and bounded; and the spans must cut labels in both (else this
tests nothing). tests/unit/test_fares_kernel_model_v2.py holds a hand-made case where comparing
across 07:00 loses the cheaper journey.
"""
from __future__ import annotations

import random

import pytest

from engine.fares import load_v2

FARE = ("arrival", "transfers", "fare")


def _strasbourg():
    from engine.testing.data import shared_data_dir

    return shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"


def _near_edge(rng: random.Random) -> int:
    """A start within 40 min before 07:00 or 16:30 (where "v2"'s trams' spans end)."""
    return rng.choice((7 * 3600, 16 * 3600 + 1800)) - rng.randrange(0, 2400)


def _never(monkeypatch):
    """Labels never compare the times whose slack is 2 (the rule before the spans)."""
    from engine.fares.kernel_model_v2 import FareKernelV2

    flags = FareKernelV2._slack_safe

    def never(self):
        dep, arr = flags(self)
        dep[dep == 2], arr[arr == 2] = 0, 0
        return dep, arr
    monkeypatch.setattr(FareKernelV2, "_slack_safe", never)


def test_spans_match_the_enumeration_on_the_sample(sample_paths, tmp_path, monkeypatch):
    """On the built-in sample with generated "v2" fares, four vehicles (the enumeration affords
    them there): the engine's Pareto sets equal the enumeration's (the same definition as
    tests/differential/test_fare_criterion_vs_reference.py: first vehicles and the later ones
    the rules see differently), half the queries starting within 40 min before 07:00 or 16:30,
    half within 3 h; and the spans cut labels there (3,001 against 4,143 on these 12 queries when
    written: they are exercised)."""
    import engine
    from engine.criteria.mcraptor import FARE_WAIT_S
    from engine.testing.fares_gen import add_fares

    from tests.reference.csa import seconds_on_axis
    from tests.reference.fare_reference import UNKNOWN, reference_for
    from tests.reference.feeds import build_feed, hhmmss, random_queries

    feed = add_fares(sample_paths.gtfs, tmp_path / "sample_v2.zip", "v2", seed=3)
    built = build_feed(tmp_path, [("sample", feed)], "sample")
    rng = random.Random(41)
    queries = []
    for i, q in enumerate(random_queries(built.staged, 12, 41, avoid_dst=False, night_every=5)):
        when = _near_edge(rng) if i % 2 else q.time_s
        queries.append((q, when, 3 * 3600 if i % 4 >= 2 else None))

    def plans(net):
        tt = net._planner.tt
        return [net.plan(tt.stop_id(q.origin), tt.stop_id(q.target), date=q.date.isoformat(), time=hhmmss(when),
                         max_transfers=3, optimize=FARE, min_change_time=60, max_duration_s=max_duration)
                for q, when, max_duration in queries]

    net = engine.open(str(built.bundle))
    tt = net._planner.tt
    failures, refs, journeys = [], {}, 0
    for (q, when, max_duration), plan in zip(queries, plans(net)):
        got = {(seconds_on_axis(it.arrival, q.date), it.n_vehicles, UNKNOWN if f is None else f)
               for it, f in zip(plan.itineraries, plan.stats["fare_minor"])}
        ref = refs.get(q.date) or refs.setdefault(q.date, reference_for(net, q.date))
        want = ref.pareto([q.origin], when, tt.day_index(q.date), [q.target], 4, 60,
                                   latest=None if max_duration is None else when + max_duration,
                                   wait_until=when + (FARE_WAIT_S if max_duration is None else max_duration))
        journeys += len(want)
        if got != want:
            failures.append(f"{q.origin} -> {q.target} {q.date} {hhmmss(when)}: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
    assert not failures, "\n".join(failures)
    assert journeys > len(queries), "too few journeys to compare"
    labels = sum(p.stats.get("labels", 0) for p in plans(net))
    _never(monkeypatch)
    labels_never = sum(p.stats.get("labels", 0) for p in plans(engine.open(str(built.bundle))))
    assert labels < 0.9 * labels_never, (labels, labels_never)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    import engine
    from engine.testing.fares_gen import add_fares

    out = tmp_path_factory.mktemp("slack-spans")
    feed = add_fares(_strasbourg(), out / "v2.zip", "v2", seed=3)
    return str(engine.build(out / "v2.bundle", gtfs=[("cts", feed)]).path)


def _queries(bundle: str) -> list[tuple]:
    """(origin, destination, date, time, max_duration_s): half starting within 40 min before
    07:00 or 16:30, half at the drawn times; every other one within 2 h."""
    from tests.reference.feeds import hhmmss, station_queries

    rng = random.Random(11)
    out = []
    for i, (o, d, date, when) in enumerate(station_queries(bundle, 40, 2041)):
        if i % 2:
            when = hhmmss(_near_edge(rng))
        out.append((o, d, date, when, 7200 if i % 4 >= 2 else None))
    return out


def _answers(net, queries) -> tuple[list, int]:
    answers, labels = [], 0
    for o, d, date, when, max_duration in queries:
        plan = net.plan(o, d, date=date, time=when, max_transfers=3, optimize=FARE, max_duration_s=max_duration)
        answers.append(sorted((it.arrival, it.n_vehicles, fare)
                              for it, fare in zip(plan.itineraries, plan.stats["fare_minor"])))
        labels += plan.stats.get("labels", 0)
    return answers, labels


@pytest.mark.realdata
@pytest.mark.skipif(not _strasbourg().is_file(), reason="Strasbourg CTS absent (BRIQUE_DATA)")
def test_spans_keep_the_pareto_set_and_cut_labels(bundle, monkeypatch):
    import engine
    from engine.fares.kernel_model_v2 import FareKernelV2

    queries = _queries(bundle)
    net = engine.open(bundle)
    kernel = FareKernelV2(load_v2(net._planner.tt.bundle), net._planner.tt)
    assert 2 in kernel.slack_dep        # (the trams' departures)
    with_spans, labels_with = _answers(net, queries)
    assert sum(len(a) for a in with_spans) > len(queries), "too few journeys to compare"
    _never(monkeypatch)
    without, labels_without = _answers(engine.open(bundle), queries)       # (a new network: its own fare model)
    differ = [(q, a, b) for q, a, b in zip(queries, with_spans, without) if a != b]
    assert not differ, differ[:3]
    # (deterministic counts: 144 k against 181 k when written)
    assert labels_with < 0.9 * labels_without, (labels_with, labels_without)
