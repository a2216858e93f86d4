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
    # per last leg (chain key = group + 1, one feed): "v2" buses may still compare their
    # departures (bus -> bus is free with any count: a later bus never costs more), not their
    # arrivals (the bus -> tram upgrade is dearer than a new ticket); trams their departures
    # only over some spans of the day (2: tram -> tram is counted, and a free transfer taken
    # now may cost one later when the later ride is dearer: test_lost_count_spans_*)
    chain = {g.split(":")[-1]: 1 + i for i, g in enumerate(full.fares.leg_group_ids)}
    assert full.slack_dep[chain["bus"]] == 1 and not full.slack_arr[chain["bus"]]
    assert full.slack_dep[chain["tram"]] == 2
    assert (simple.slack_dep == 1).all() and (simple.slack_arr == 1).all()
    # counts capped at 2: a new sub-journey may always get a transfer the other cannot
    chain = {g.split(":")[-1]: 1 + i for i, g in enumerate(priority.fares.leg_group_ids)}
    assert not priority.slack_dep[chain["bus"]] and not priority.slack_dep[chain["tram"]]
    # no ride adds less than nothing: the discount (-0.40) is on top of a 1.20 tram ride
    assert full.leg_floor == simple.leg_floor == priority.leg_floor == 0
    # so the fare potentials apply; after a bus, a tram ride may add only the 0.50 upgrade
    # ("v2": bus -> tram, type 1: the tram ticket too) or less than a ticket ("v2-simple": -0.50)
    for kernel in (full, simple, priority):
        assert kernel.potential is not None and (kernel.potential["contrib"] >= 0).all()


def test_lost_count_spans_follow_the_price_periods(kernels):
    """"v2": a tram's free transfer (counted, 1) saves the tram price, 1.70 off-peak and 2.30 at
    peak (07:00-09:00, 16:30-18:30): trams may compare their departures by order while the next
    legs all leave within one period or from a peak into the off-peak (a later saving is then
    never bigger), not across 07:00 or 16:30. Reach: the first leg within the rule's 3600 s,
    each later one within 3600 s of the leg before."""
    kernel, net = kernels["v2"]
    date = net._planner.tt.period_start + dt.timedelta(days=1)
    bounds, dep_bits, _ = kernel._timeframes(date, None)
    spans, _ = kernel._slack_spans(bounds, dep_bits)
    tram = 1 + [g.split(":")[-1] for g in kernel.fares.leg_group_ids].index("tram")
    n = len(bounds) + 1
    h = 3600

    def span_from(t):
        return int(spans[tram * n + int(np.searchsorted(bounds, t, side="right"))])
    assert span_from(3 * h) == 7 * h            # off-peak night: up to the morning peak
    assert span_from(8 * h) == 16 * h + 1800    # peak, then off-peak: up to the evening peak
    assert span_from(12 * h) == 16 * h + 1800
    assert span_from(17 * h) == 31 * h          # evening peak, night: up to the next morning
    assert kernel.slack_reach[3 * tram] == h and kernel.slack_reach[3 * tram + 2] == h
    simple = kernels["v2-simple"][0]
    assert not simple.lost_count and (simple.slack_reach == -1).all()


def test_lost_count_spans_keep_the_cheaper_journey(tmp_path, monkeypatch):
    """The case the spans exist for, on a hand-made feed with "v2" fares: two trams reach X,
    the faster one (R2) left later, so its free tram -> tram transfer (3600 s) still holds at
    06:40 where the slower one's (R1) has run out. Then R3 (06:40, off-peak) and R4 (07:10,
    peak): via R2 R3 is free but R4 costs the peak price (the count is used), 1.70 + 0 + 2.30;
    via R1 R3 costs 1.70 and R4 is free, 1.70 + 1.70 + 0 = 3.40 EUR, the answer. Comparing
    the trams' departures at X regardless of the peak would drop R1's label (it arrives later,
    left earlier): the test checks it does, so the case really exercises the spans. Two hours
    later (R4 leaves after 09:00, off-peak) the comparison is sound and made: R2's label wins."""
    import re

    import engine
    from engine.fares.kernel_model_v2 import FareKernelV2
    from engine.testing import feed_from_text

    text = """
route R1 type=0
  O      X
  05:30  06:20
route R2 type=0
  O      X
  05:50  06:15
route R3 type=0
  X      Y
  06:40  06:55
route R4 type=0
  Y      D
  07:10  07:30
"""
    def plan(shift_h):
        shifted = re.sub(r"(\d\d):(\d\d)", lambda m: f"{int(m.group(1)) + shift_h:02d}:{m.group(2)}", text)
        out = tmp_path / f"shift{shift_h}"
        out.mkdir(exist_ok=True)
        feed = add_fares(feed_from_text(out / "src.zip", shifted), out / "fares.zip", "v2")
        net = engine.open(str(engine.build(out / "t.bundle", gtfs=[("t", feed)]).path))
        return net.plan("O", "D", date="2026-03-02", time=f"{5 + shift_h:02d}:25", max_transfers=3,
                        optimize=("arrival", "transfers", "fare"))

    def answer(shift_h):
        p = plan(shift_h)
        return [(fare, [leg.route_id for leg in it.legs if getattr(leg, "route_id", None)])
                for it, fare in zip(p.itineraries, p.stats["fare_minor"])]

    assert answer(0) == [(340, ["t:R1", "t:R3", "t:R4"])]
    assert answer(2) == [(400, ["t:R2", "t:R3", "t:R4"])]      # 2.30 + 0 + 1.70 < 2.30 + 2.30 + 0
    spans = FareKernelV2._slack_spans

    def forced(value):
        def spans_forced(self, bounds, dep_bits):
            dep, arr = spans(self, bounds, dep_bits)
            return np.full_like(dep, value), arr
        return spans_forced
    monkeypatch.setattr(FareKernelV2, "_slack_spans", forced((1 << 31) - 1))
    assert answer(0) == [(400, ["t:R2", "t:R3", "t:R4"])]      # (unsound: the cheaper journey is lost)
    # and two hours later the spans do compare them: R1's label goes (5 labels against 6 when
    # the spans are empty). Without the fare potentials: their floor (the fare plus the
    # potential) now drops that label before the spans are asked.
    monkeypatch.setattr(FareKernelV2, "_potential_tables", lambda self: None)
    monkeypatch.setattr(FareKernelV2, "_slack_spans", spans)
    labels_later = plan(2).stats["labels"]
    monkeypatch.setattr(FareKernelV2, "_slack_spans", forced(-(1 << 31)))
    assert labels_later < plan(2).stats["labels"]


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


@pytest.mark.parametrize("version", ["v2", "v2-simple"])
def test_interval_lookup_equals_a_binary_search(kernels, version, monkeypatch):
    """The kernel reads a time's interval (how many of the day's time bounds are at or before
    it) from a table by 15-minute steps, then the bounds within the step: the same as a binary
    search at every bound, a second either side, random times over the query axis and beyond,
    and the extremes (a last leg's EXPIRED time, int32's ends); with bounds far apart (the
    table's step grows past 2^16 steps) and with none. Unsorted bounds are refused."""
    kernel, net = kernels[version]
    tt = net._planner.tt
    rng = np.random.default_rng(7)
    days = [tt.period_start + dt.timedelta(days=d) for d in (0, 1, 3)]
    wide = np.array([-(1 << 30), -86400, 0, 3600, 1 << 29], np.int32)     # (a span past 2^16 steps)
    real = kernel._timeframes
    def with_bounds(bounds):
        def fixed(date, tz):
            _, dep, arr = real(date, tz)
            rows = len(bounds) + 1
            return bounds, np.resize(dep, rows * kernel.words).astype(np.uint64), \
                np.resize(arr, rows * kernel.words).astype(np.uint64)
        monkeypatch.setattr(kernel, "_timeframes", fixed)
        monkeypatch.setattr(kernel, "_slack_spans", lambda b, d: tuple(
            np.zeros(len(kernel.slack_dep) * (len(b) + 1), np.int32) for _ in range(2)))
        return kernel._build_model(days[0], None)

    for bounds in [np.asarray(real(day, None)[0], np.int32) for day in days] + [wide, np.zeros(0, np.int32)]:
        model = with_bounds(bounds)
        lo, hi = (int(bounds.min()), int(bounds.max())) if len(bounds) else (0, 0)
        times = np.concatenate([bounds, bounds - 1, bounds + 1,
                                rng.integers(max(lo - 3 * 86400, -(1 << 31) + 1), min(hi + 3 * 86400, (1 << 31) - 1),
                                             20_000),
                                [-(1 << 30), -(1 << 31) + 1, (1 << 31) - 1, 0]]).astype(np.int32)
        assert (model.intervals(times) == np.searchsorted(bounds, times, side="right")).all()
    with pytest.raises(ValueError, match="sorted"):
        with_bounds(wide[::-1].copy())


@pytest.mark.parametrize("tz_name", [None, "Europe/Paris", "America/Los_Angeles", "Australia/Lord_Howe"])
def test_day_timeframes_equal_a_plain_recomputation(kernels, tz_name):
    """_timeframes (a date's intervals) reads clock changes from a per-year table and timeframes
    from per-(group, day) windows: the same arrays as the plain way (an hourly scan around the
    date, FaresV2.in_timeframe at each interval), on days of the feed, around both clock
    changes (Lord Howe: 30 minutes), across a new year and outside the feed's period. Dates with
    the same _day_signature share one model, so their arrays must be equal too."""
    from zoneinfo import ZoneInfo

    from engine.fares.kernel_model_v2 import DAYS_AROUND, _clock_changes, _noon
    from engine.raptor.legs import local_datetime

    tz = ZoneInfo(tz_name) if tz_name else None
    kernel, net = kernels["v2"]
    tt, fares = net._planner.tt, kernel.fares
    bits = tt._service_bits

    def active(service, day):
        return 0 <= day < tt.n_days and bool((bits[service, day >> 3] >> (day & 7)) & 1)

    def plain(date):
        clock_s = sorted({0, *np.asarray(fares.timeframe_start_s).tolist(), *np.asarray(fares.timeframe_end_s).tolist()})
        origin = _noon(date, tz) - dt.timedelta(hours=12)
        bounds = set(_clock_changes(tz, origin, len(DAYS_AROUND) + 1))
        for d in DAYS_AROUND:
            for s in clock_s:
                wall = dt.datetime.combine(date + dt.timedelta(days=d), dt.time(0)) + dt.timedelta(seconds=s)
                instant = wall.replace(tzinfo=tz or dt.timezone.utc).astimezone(dt.timezone.utc)
                bounds.add(int((instant - origin).total_seconds()))
        bounds = sorted(bounds)
        dep, arr = [], []
        for i in range(len(bounds) + 1):
            local = local_datetime(date, bounds[0] - 1 if i == 0 else bounds[i - 1], tz)
            day = (local.date() - tt.period_start).days
            tod = local.hour * 3600 + local.minute * 60 + local.second
            ok = [g < 0 or fares.in_timeframe(g, day, tod, active) for g in
                  (int(fares.leg_from_timeframe[r]) for r in kernel.rules)]
            dep.append(ok)
            arr.append([g < 0 or fares.in_timeframe(g, day, tod, active) for g in
                        (int(fares.leg_to_timeframe[r]) for r in kernel.rules)])
        return np.array(bounds), kernel._bits(np.array(dep, bool)).ravel(), kernel._bits(np.array(arr, bool)).ravel()

    start = tt.period_start
    dates = [start - dt.timedelta(days=3), start, start + dt.timedelta(days=1), start + dt.timedelta(days=20)]
    for year in {start.year, start.year + 1}:
        dates += [dt.date(year, 3, 27) + dt.timedelta(days=i) for i in range(-10, 6)]    # EU / US / AU changes
        dates += [dt.date(year, 10, 1) + dt.timedelta(days=i) for i in range(0, 40, 3)]
        dates += [dt.date(year, 11, 1) + dt.timedelta(days=i) for i in range(0, 6)]
        dates += [dt.date(year, 12, 26) + dt.timedelta(days=i) for i in range(0, 10)]
    changes, by_signature = 0, {}
    for date in dates:
        got, want = kernel._timeframes(date, tz), plain(date)
        for a, b in zip(got, want):
            assert np.array_equal(a, b), (date, tz_name)
        changes += len(_clock_changes(tz, _noon(date, tz) - dt.timedelta(hours=12), len(DAYS_AROUND) + 1))
        # dates of one signature share a model: their arrays must be the same
        first = by_signature.setdefault(kernel._day_signature(date, tz), (date, want))
        assert all(np.array_equal(a, b) for a, b in zip(first[1], want)), (first[0], date, tz_name)
        assert kernel.model(date, tz) is kernel.model(first[0], tz)
    assert changes > 0 or tz is None            # the dates do cross clock changes
    assert len(by_signature) < len(dates) / 2   # and most share a model


def _least(pattern_m, from_m, to_m, contrib, groups, n_groups):
    """[pattern class, boarding class, alighting class, group, last-leg class] -> the least
    contribution of the rules a ride there may match (int64 max: none)."""
    out = np.full((pattern_m.shape[0], from_m.shape[0], to_m.shape[0], n_groups, contrib.shape[0]),
                  np.iinfo(np.int64).max)
    for r in range(pattern_m.shape[1]):
        ok = pattern_m[:, r][:, None, None] & from_m[:, r][None, :, None] & to_m[:, r][None, None, :]
        cell = out[:, :, :, groups[r]]
        cell[ok] = np.minimum(cell[ok], contrib[:, r])
    return out


def test_merged_potential_rules_price_every_ride_the_same(kernels):
    """The fare potentials read merged rules: for every pattern class, boarding and alighting stop
    class, leg group and last-leg class, the least contribution of the rules a ride may match is
    the same before and after the merge (so the potentials are), with fewer rules; on the
    generated rule sets and on random small tables (where a looser merge would show)."""
    from engine.fares.kernel_model_v2 import _merge_potential_rules

    cases = []
    for version, (kernel, _) in kernels.items():
        cases.append((version, kernel.rule_group, *kernel._rule_matrices(), kernel._contributions(), kernel.n_groups))
    rng = np.random.default_rng(5)
    for i in range(300):
        # rules drawn from a few distinct columns each, so that merges happen
        n = int(rng.integers(1, 9))

        def pick(pool, rows):
            columns = rng.random((rows, pool)) < 0.5
            return columns[:, rng.integers(0, pool, n)]
        cases.append((f"random-{i}", rng.integers(0, 2, n).astype(np.int32), pick(2, 2), pick(3, 3), pick(3, 3),
                      rng.integers(0, 3, (2, 2))[:, rng.integers(0, 2, n)], 2))
    merged = {}
    for name, groups, pattern_m, from_m, to_m, contrib, n_groups in cases:
        group, m_pattern, m_from, m_to, m_contrib = _merge_potential_rules(groups, pattern_m, from_m, to_m, contrib)
        assert np.array_equal(_least(pattern_m, from_m, to_m, contrib, groups, n_groups),
                              _least(m_pattern, m_from, m_to, m_contrib, group, n_groups)), name
        merged[name] = len(group) < int(pattern_m.any(axis=0).sum())
    # (v2-priority's rules all differ in area or price)
    assert merged["v2"] and merged["v2-simple"] and not merged["v2-priority"]
    assert sum(merged.values()) > 100


def test_potential_tables_out_of_range_are_refused(kernels):
    """The kernel reads the potential rules unchecked: tables that do not fit are refused when
    the day model is built, with a ValueError, not read out of bounds."""
    kernel, net = kernels["v2-simple"]
    date = net._planner.tt.period_start
    good = dict(kernel.potential)
    bad_tables = [
        {"class_rules": np.full_like(good["class_rules"], len(good["pot_group"]))},    # a rule past the end
        {"class_rule_offsets": good["class_rule_offsets"][::-1].copy()},               # not increasing
        {"pot_group": np.full_like(good["pot_group"], kernel.n_groups)},               # no such group
        {"pot_to_bits": good["pot_to_bits"][:-1].copy()},                              # a stop class short
    ]
    try:
        for change in bad_tables:
            kernel.potential = {**good, **change}
            with pytest.raises(ValueError, match="potential rules"):
                kernel._build_model(date, None)
    finally:
        kernel.potential = good
    kernel._build_model(date, None)             # (the good tables still build)


def test_slack_tables_that_do_not_fit_are_refused(kernels):
    """The kernel indexes the slack spans by chain key and interval, and reads a flag as 0, 1 or
    2: spans of the wrong length, a reach table short of a key, or another flag are refused when
    the day model is built, with a ValueError."""
    kernel, net = kernels["v2"]
    date = net._planner.tt.period_start
    good = (kernel.slack_dep, kernel.slack_reach, kernel._slack_spans)
    bad = [
        ("slack_reach", good[1][:-1].copy(), "slack spans do not match"),
        ("_slack_spans", lambda bounds, dep_bits: tuple(a[:-1] for a in good[2](bounds, dep_bits)),
         "slack spans do not match"),
        ("slack_dep", np.where(good[0] == 2, 3, good[0]).astype(np.uint8), "slack flags"),
    ]
    try:
        for name, value, message in bad:
            setattr(kernel, name, value)
            with pytest.raises(ValueError, match=message):
                kernel._build_model(date, None)
            kernel.slack_dep, kernel.slack_reach = good[0], good[1]
            kernel.__dict__.pop("_slack_spans", None)
    finally:
        kernel.slack_dep, kernel.slack_reach = good[0], good[1]
        kernel.__dict__.pop("_slack_spans", None)
    kernel._build_model(date, None)             # (the good tables still build)


def _chains(kernel) -> dict[str, int]:
    return {g.split(":")[-1]: 1 + i for i, g in enumerate(kernel.fares.leg_group_ids)}


def test_canonical_states_of_the_generated_rule_sets(kernels):
    """What no rule tells apart (kernel_model_v2 _canonical_states): "v2" counts transfers only
    on tram -> tram (transfer_count 1), so a bus leg's counts 0 and 1 are one state and a tram's
    are two; its only type-2 rule follows a tram, so only trams keep their refund. "v2-simple"
    counts nothing and refunds nothing; "v2-priority" counts tram -> tram up to 2."""
    full, simple, priority = (kernels[v][0] for v in ("v2", "v2-simple", "v2-priority"))
    chain, w = _chains(full), full.count_width
    assert w == 2
    assert full.count_canon[chain["bus"] * w:(chain["bus"] + 1) * w].tolist() == [0, 0]
    assert full.count_canon[chain["tram"] * w:(chain["tram"] + 1) * w].tolist() == [0, 1]
    assert full.refund_used[chain["tram"]] == 1 and full.refund_used[chain["bus"]] == 0
    assert simple.count_width == 1 and not simple.count_canon.any() and not simple.refund_used.any()
    chain, w = _chains(priority), priority.count_width
    assert w == 3
    assert priority.count_canon[chain["tram"] * w:(chain["tram"] + 1) * w].tolist() == [0, 1, 2]
    assert priority.count_canon[chain["bus"] * w:(chain["bus"] + 1) * w].tolist() == [0, 0, 0]
    assert priority.refund_used[chain["tram"]] == 1 and priority.refund_used[chain["bus"]] == 0


@pytest.mark.parametrize("version", ["v2", "v2-simple", "v2-priority"])
def test_canonical_counts_select_the_same_rules(kernels, version):
    """Counts given the same canonical count see, after every sequence of next legs (any leg
    groups, each transfer taken or not, as the time tests may decide, four legs deep), the same
    transfer rules pass the count test (_v2_transfer): a plain enumeration, not the partition
    refinement that made the table."""
    kernel = kernels[version][0]
    g1, w = kernel.n_groups + 1, kernel.count_width

    def allowed(chain: int, b: int, c: int) -> tuple:
        return tuple(cand[2] for cand in kernel.per_key[chain * g1 + b] if cand[3] == -1 or cand[3] >= c + 1)

    def same_future(chain: int, c1: int, c2: int, depth: int) -> bool:
        if depth == 0:
            return True
        fi, cap = chain // g1, int(kernel.count_cap[chain // g1])
        for b in range(g1):
            rules = allowed(chain, b, c1)
            if rules != allowed(chain, b, c2):
                return False
            # a rule taken: the sub-journey goes on with one more transfer; none: both start afresh
            if rules and not same_future(fi * g1 + b, min(c1 + 1, cap), min(c2 + 1, cap), depth - 1):
                return False
        return True

    merged = 0
    for chain in range(len(kernel.refund_used)):
        cap = int(kernel.count_cap[chain // g1])
        for c in range(cap + 1):
            canon = int(kernel.count_canon[chain * w + c])
            assert canon <= c and kernel.count_canon[chain * w + canon] == canon
            assert same_future(chain, c, canon, 4), (version, chain, c, canon)
            merged += canon != c
    assert merged > 0 or version == "v2-simple"         # (the test checks some merge)


def test_canonical_tables_that_do_not_fit_are_refused(kernels):
    """A canonical count past the caps, or tables short of a chain key, are refused when the
    day model is built (the kernel reads them unchecked)."""
    kernel, net = kernels["v2"]
    date = net._planner.tt.period_start
    good = (kernel.count_canon, kernel.refund_used)
    try:
        for canon, refund in ((np.full_like(good[0], 5), good[1]), (good[0][:-1].copy(), good[1]),
                              (good[0], good[1][:-1].copy())):
            kernel.count_canon, kernel.refund_used = canon, refund
            kernel._by_signature.clear()
            with pytest.raises(ValueError, match="canonical counts"):
                kernel._build_model(date, None)
    finally:
        kernel.count_canon, kernel.refund_used = good
    kernel._build_model(date, None)


def _fare_plans(built, queries) -> list[tuple]:
    """(labels of every pass, [(arrival, vehicles)], fares) of each query's fare plan (up to three
    vehicles) on a freshly opened ``built`` bundle (its fare kernel made anew: a patched one
    applies)."""
    from tests.reference.feeds import hhmmss

    net = engine.open(str(built.bundle))
    tt = net._planner.tt
    out = []
    for q in queries:
        plan = net.plan(tt.stop_id(q.origin), tt.stop_id(q.target), date=q.date.isoformat(),
                        time=hhmmss(q.time_s), max_transfers=2, optimize=("arrival", "transfers", "fare"))
        out.append((plan.stats.get("labels", 0) + plan.stats.get("first_pass_labels", 0),
                    [(it.arrival, it.n_vehicles) for it in plan.itineraries], plan.stats["fare_minor"]))
    return out


def test_canonical_states_drop_labels_not_journeys(sample_paths, tmp_path, monkeypatch):
    """With the canonical states the search keeps fewer labels on the sample's "v2" rules (bus
    labels that differ only in a count or refund no rule reads now compare) and answers the
    same: each query against a search with every count and refund kept apart."""
    from tests.reference.feeds import build_feed, random_queries

    z = add_fares(sample_paths.gtfs, tmp_path / "v2.zip", "v2")
    built = build_feed(tmp_path, [("city", z)], "city")
    queries = random_queries(built.staged, 40, 5, avoid_dst=False)
    real = FareKernelV2._canonical_states

    def kept_apart(self):
        canon, width, refund = real(self)
        return np.tile(np.arange(width, dtype=np.int32), len(refund)), width, np.ones_like(refund)

    runs = {"canonical": _fare_plans(built, queries)}
    monkeypatch.setattr(FareKernelV2, "_canonical_states", kept_apart)
    runs["apart"] = _fare_plans(built, queries)
    assert [r[1:] for r in runs["canonical"]] == [r[1:] for r in runs["apart"]]
    assert sum(r[0] for r in runs["canonical"]) < sum(r[0] for r in runs["apart"])


def _can_price(kernel) -> np.ndarray:
    """[pattern class, boarding class, alighting class, rule]: the rule is priced, matches there,
    and no rule of a higher rule_priority with no timeframe matches there (it would win, priced
    or not: engine/fares/v2.py match_leg). Plainly, cell by cell."""
    f = kernel.fares
    every = kernel._unpack(kernel.pattern_bits)
    from_m, to_m = kernel._unpack(kernel.from_bits), kernel._unpack(kernel.to_bits)
    priority = [max(int(f.leg_priority[r]), 0) for r in kernel.rules]
    untimed = [f.leg_from_timeframe[r] < 0 and f.leg_to_timeframe[r] < 0 for r in kernel.rules]
    out = np.zeros((every.shape[0], from_m.shape[0], to_m.shape[0], len(kernel.rules)), bool)
    for pc, fc, tc in np.ndindex(*out.shape[:3]):
        match = every[pc] & from_m[fc] & to_m[tc]
        for r in np.flatnonzero(match & (kernel.rule_priced == 1)):
            out[pc, fc, tc, r] = not any(match[w] and untimed[w] and priority[w] > priority[r]
                                         for w in range(len(kernel.rules)))
    return out


def test_potentials_see_a_rule_only_where_it_can_price_a_ride(kernels):
    """_unshadowed: the pieces the fare potentials read give, for every pattern class, boarding
    and alighting class, group and last-leg class, the least contribution of the rules that can
    price a ride there (_can_price); "v2-priority" has rides only an unpriced rule of a higher
    priority matches (adults on a suburban bus: night_owl sells to youth only), where no
    potential rule may match; the rule sets without priorities are unchanged."""
    for version, (kernel, _) in kernels.items():
        contrib = np.minimum(kernel._contributions(), 1 << 30)
        pattern_m, from_m, to_m = kernel._rule_matrices()
        ok = _can_price(kernel)
        want = np.full(ok.shape[:3] + (kernel.n_groups, contrib.shape[0]), np.iinfo(np.int64).max)
        for r in range(ok.shape[3]):
            cell = want[:, :, :, kernel.rule_group[r]]
            cell[ok[..., r]] = np.minimum(cell[ok[..., r]], contrib[:, r])
        group, p, fr, to, c = kernel._unshadowed(pattern_m, from_m, to_m, contrib)
        assert np.array_equal(_least(p, fr, to, c, group, kernel.n_groups), want), version
        plain = _least(pattern_m, from_m, to_m, contrib, kernel.rule_group, kernel.n_groups)
        assert np.array_equal(plain, want) == (version != "v2-priority"), version


def test_unpriceable_targets_stop_the_fare_search_early(sample_paths, tmp_path, monkeypatch):
    """Sample, "v2-priority": where every journey has an unknown fare (adults riding a suburban
    bus), the fare potentials are infinite and the search stops at once; before _unshadowed it
    kept every label that might still find a price. Same answers with and without."""
    from tests.reference.feeds import build_feed, random_queries

    z = add_fares(sample_paths.gtfs, tmp_path / "p.zip", "v2-priority")
    built = build_feed(tmp_path, [("city", z)], "city")
    queries = random_queries(built.staged, 60, 5, avoid_dst=False)
    new = _fare_plans(built, queries)
    monkeypatch.setattr(FareKernelV2, "_unshadowed",
                        lambda self, p, f, t, c: (np.asarray(self.rule_group), p, f, t, c))
    old = _fare_plans(built, queries)
    assert [r[1:] for r in new] == [r[1:] for r in old]
    unknown = [i for i, r in enumerate(new) if r[2] and all(f is None for f in r[2])]
    assert len(unknown) >= 5, "no query whose journeys all have unknown fares: the test would prove nothing"
    assert sum(new[i][0] for i in unknown) * 5 < sum(old[i][0] for i in unknown)


def test_a_type2_transfer_refunds_at_most_its_from_groups_dearest_product(kernels):
    """A label's refund is its last leg's product, so a type-2 transfer from group a gives back
    at most the dearest product of a's rules (_dearest_by_chain), not of all rules. "v2" for
    youths: the tram -> bus combo (1.50) refunds a tram (1.20 at most), never the suburban bus
    ticket (2.60, the dearest of all): every contribution stays >= 0, so youths get the fare
    potentials and a leg floor of 0 (with the dearest of all they had neither)."""
    _, net = kernels["v2"]
    tt = net._planner.tt
    youth = FareKernelV2(load_v2(tt.bundle, "youth"), tt)
    chain = _chains(youth)
    dearest = youth._dearest_by_chain()
    assert dearest[chain["tram"]] == 120 and dearest[chain["bus"]] == 260
    assert youth.potential is not None and youth.leg_floor == 0
    overall = int(youth.rule_amount[youth.rule_priced == 1].max())
    assert overall == 260 and 150 - overall < 0        # (what the dearest of all would have made of it)
    # and what each contribution is, for the combo (last leg tram, ride priced by a bus rule)
    contrib = youth._contributions()
    bus_rules = [r for r in range(len(youth.rules)) if youth.rule_group[r] == chain["bus"] - 1 and youth.rule_priced[r]]
    assert bus_rules and all(contrib[1 + chain["tram"], r] == 150 - 120 for r in bus_rules)


def test_clock_changes_equal_an_hourly_scan():
    """kernel_model_v2._clock_changes (day by day, hourly where the offset moved) finds the
    same changes, to the second, as a plain hourly scan, on every 9th zone of the tz database and
    on the zones of the shared feeds, over a 400-day window."""
    from zoneinfo import ZoneInfo, available_timezones

    from engine.fares.kernel_model_v2 import _clock_changes

    def hourly(tz, origin, days):
        start = origin - dt.timedelta(days=2)

        def offset(s):
            return (start + dt.timedelta(seconds=s)).astimezone(tz).utcoffset()
        out = []
        for h in range((days + 3) * 24):
            lo, hi = h * 3600, (h + 1) * 3600
            if offset(lo) != offset(hi):
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (mid, hi) if offset(mid) == offset(lo) else (lo, mid)
                out.append(int((start + dt.timedelta(seconds=hi) - origin).total_seconds()))
        return out
    names = sorted(available_timezones())[::9] + ["Europe/Paris", "America/Los_Angeles", "America/New_York",
                                                  "America/Sao_Paulo", "Australia/Lord_Howe"]
    origin = dt.datetime(2025, 11, 20, tzinfo=dt.timezone.utc)
    changed = 0
    for name in names:
        tz = ZoneInfo(name)
        want = hourly(tz, origin, 400)
        assert _clock_changes(tz, origin, 400) == want, name
        changed += bool(want)
    assert changed > 10
