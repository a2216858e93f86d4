"""Fares v2: trams compare their last legs' departures by order only within spans of the day
where a lost transfer count cannot cost more than it saved (slack 2, engine/fares/kernel_model_v2.py
``_slack_spans``, engine/_mcraptor.pyx ``_v2_span_ok``).

The enumeration of tests/differential/test_fare_criterion_vs_reference.py affords two vehicles on
Strasbourg, where no count can be lost after the next leg, so it never reaches the spans. Here, on
Strasbourg CTS with generated "v2" fares and up to four vehicles, the answers must equal those of
the search that never compares those departures (slack 2 as 0: the rule that enumeration
checked), at start times just before the peaks' edges (07:00, 16:30: where a span ends) and at
random ones, unbounded and within 2 h; and the spans must cut labels (else this tests nothing).
tests/unit/test_fares_kernel_model_v2.py holds a hand-made case where comparing across 07:00
loses the cheaper journey.
"""
from __future__ import annotations

import random

import pytest

FARE = ("arrival", "transfers", "fare")


def _strasbourg():
    from engine.testing.data import shared_data_dir

    return shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"


pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not _strasbourg().is_file(), reason="Strasbourg CTS absent (BRIQUE_DATA)")]


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
    from tests.reference.feeds import station_queries

    rng = random.Random(11)
    out = []
    for i, (o, d, date, when) in enumerate(station_queries(bundle, 40, 2041)):
        if i % 2:
            s = rng.choice((7 * 3600, 16 * 3600 + 1800)) - rng.randrange(0, 2400)
            when = f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
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


def test_spans_keep_the_pareto_set_and_cut_labels(bundle, monkeypatch):
    import engine
    from engine.fares import load_v2
    from engine.fares.kernel_model_v2 import FareKernelV2

    queries = _queries(bundle)
    net = engine.open(bundle)
    kernel = FareKernelV2(load_v2(net._planner.tt.bundle), net._planner.tt)
    assert 2 in kernel.slack_dep        # (the trams' departures)
    with_spans, labels_with = _answers(net, queries)
    assert sum(len(a) for a in with_spans) > len(queries), "too few journeys to compare"
    flags = FareKernelV2._slack_safe

    def never(self):
        dep, arr = flags(self)
        dep[dep == 2], arr[arr == 2] = 0, 0
        return dep, arr
    monkeypatch.setattr(FareKernelV2, "_slack_safe", never)
    without, labels_without = _answers(engine.open(bundle), queries)       # (a new network: its own fare model)
    differ = [(q, a, b) for q, a, b in zip(queries, with_spans, without) if a != b]
    assert not differ, differ[:3]
    # (deterministic counts: 144 k against 181 k when written)
    assert labels_with < 0.9 * labels_without, (labels_with, labels_without)
