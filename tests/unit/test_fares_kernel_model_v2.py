"""engine/fares/kernel_model_v2.py: the v2 rules as the fare criterion's arrays. The differential
test (tests/differential/test_fare_criterion_vs_reference.py) proves the Pareto sets exact; this
one pins what decides the kernel's shortcuts on the generated rule sets, so that each shortcut
is really exercised there (a set of rules that stopped using one would test nothing new)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import engine
from engine.fares import load_v2
from engine.fares.kernel_model_v2 import FareKernelV2
from engine.testing.fares_gen import add_fares


@pytest.fixture(scope="module")
def kernels(sample_paths, tmp_path_factory):
    out = tmp_path_factory.mktemp("kernel_v2")
    models = {}
    for version in ("v2", "v2-simple", "v2-priority"):
        z = add_fares(sample_paths.gtfs, out / f"{version}.zip", version)
        net = engine.open(engine.build(out / f"{version}.bundle", gtfs=[("city", z)]).path)
        tt = net._planner.tt
        models[version] = (FareKernelV2(load_v2(tt.bundle), tt), net)
    return models


def test_shortcuts_of_the_generated_rule_sets(kernels):
    full, simple, priority = (kernels[v][0] for v in ("v2", "v2-simple", "v2-priority"))
    # transfer counts and a refund (type 2): labels compare last-leg times only for equality
    assert not full.slack_ok and full.has_type2 and full.count_cap.max() == 1
    # transfers within a time, a discount, an upgrade cheaper than any ride: a later leg never hurts
    assert simple.slack_ok and not simple.has_type2 and not simple.nonneg
    assert not priority.slack_ok and priority.count_cap.max() == 2
    # no ride adds less than nothing: the discount (-0.40) is on top of a 1.20 tram ride
    assert full.leg_floor == simple.leg_floor == priority.leg_floor == 0
    # so the fare potentials apply; after a bus, a tram ride may add only the 0.50 upgrade
    # ("v2": bus -> tram, type 1: the tram ticket too) or less than a ticket ("v2-simple": -0.50)
    for kernel in (full, simple, priority):
        assert kernel.potential is not None and (kernel.potential["contrib"] >= 0).all()


def test_leg_rules_follow_priority_then_price(kernels):
    """Rule numbers are the order that decides a match: within a feed, the highest
    rule_priority first, then priced before unpriced, then the cheapest."""
    kernel = kernels["v2-priority"][0]
    fares = kernel.fares
    priority = [max(int(fares.leg_priority[r]), 0) for r in kernel.rules]
    assert priority == sorted(priority, reverse=True)
    assert list(kernel.rule_priced[:1]) == [1] and 0 in kernel.rule_priced     # night_owl: no default price


def test_timeframe_intervals_cover_the_day(kernels):
    """The day's time bounds are sorted and cut at local midnight and at every timeframe edge;
    a peak rule matches a departure at 08:00 and not at 10:00 on a day its service runs."""
    kernel, net = kernels["v2"]
    tt = net._planner.tt
    date = tt.period_start + dt.timedelta(days=1)
    bounds, dep_bits, _ = kernel._timeframes(date, None)
    assert (np.diff(bounds) > 0).all() and 0 in bounds and 86400 in bounds
    assert 7 * 3600 in bounds and 9 * 3600 in bounds
    fares = kernel.fares
    peak = [i for i, r in enumerate(kernel.rules) if int(fares.leg_from_timeframe[r]) >= 0
            and fares.product_ids[int(fares.leg_product[r])].endswith("tram_peak")]
    assert peak

    def matches(t, rule):
        row = int(np.searchsorted(bounds, t, side="right"))
        word = dep_bits.reshape(len(bounds) + 1, kernel.words)[row, rule // 64]
        return bool((int(word) >> (rule % 64)) & 1)
    assert all(matches(8 * 3600, r) for r in peak) and not any(matches(10 * 3600, r) for r in peak)
    assert kernel.model(date, None) is kernel.model(date, None)      # one model per day
