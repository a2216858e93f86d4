"""The fare criterion for a rider category other than the default (fares v2 rider_categories.txt,
``rider_category="youth"``) or a fare medium (fare_media.txt, ``fare_media="paper"``) against
the exhaustive enumeration of tests/reference/fare_reference.py priced the same way, on the
built-in sample with generated fares (engine.testing.fares_gen: youth has its own tram, peak
tram, bus and combo prices, everyone's suburban ticket, and no upgrade nor discount, so the
transfer rules selling those do not apply to youth; paper tickets cost more and sell no upgrade
nor discount either; in "v2-priority" the suburban night bus is youth's only, unpriced for
adults). The Pareto sets must be equal, and differ from the default's on some queries (else the
choice would not be tested)."""
from __future__ import annotations

import pytest

import engine
from engine.criteria.mcraptor import FARE_WAIT_S
from engine.errors import InvalidQueryError
from engine.testing.fares_gen import add_fares

from tests.reference.csa import seconds_on_axis
from tests.reference.fare_reference import UNKNOWN, reference_for
from tests.reference.feeds import build_feed, feed_name, hhmmss, random_queries

FARE = ("arrival", "transfers", "fare")


@pytest.fixture(scope="module", params=["v2", "v2-simple", "v2-priority"])
def sample(request, sample_paths, tmp_path_factory):
    out = tmp_path_factory.mktemp("riders")
    path = out / f"sample_fares_{request.param}.zip"
    add_fares(sample_paths.gtfs, path, version=request.param, seed=3)
    name = feed_name(path)
    built = build_feed(out, [(name, path)], name)
    return built, engine.open(str(built.bundle))


def _answer(plan, date) -> set[tuple]:
    return {(seconds_on_axis(it.arrival, date), it.n_vehicles, UNKNOWN if f is None else f)
            for it, f in zip(plan.itineraries, plan.stats["fare_minor"])}


@pytest.mark.parametrize("rider,medium", [("youth", None), (None, "paper")])
def test_rider_or_medium_pareto_equals_enumeration(sample, rider, medium):
    built, net = sample
    tt = net.timetable
    failures, differs, priced = [], 0, 0
    refs: dict = {}
    for i, q in enumerate(random_queries(built.staged, 10, 57, avoid_dst=False, night_every=4)):
        o, t = tt.stop_id(q.origin), tt.stop_id(q.target)
        kw = dict(date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=2, optimize=FARE, min_change_time=60)
        youth = net.plan(o, t, rider_category=rider, fare_media=medium, **kw)
        adult = net.plan(o, t, **kw)
        got = _answer(youth, q.date)
        ref = refs.get(q.date) or refs.setdefault(q.date, reference_for(net, q.date, rider, medium))
        want = ref.pareto([q.origin], q.time_s, tt.day_index(q.date), [q.target], 3, 60,
                          wait_until=q.time_s + FARE_WAIT_S)
        if got != want:
            failures.append(f"query {i}: {o} -> {t} {q.date} {hhmmss(q.time_s)}: engine {sorted(got)}, "
                            f"reference {sorted(want)}")
        for it, fare in zip(youth.itineraries, youth.stats["fare_minor"]):
            assert it.fare.rider_category == (rider or "adult") and it.fare.fare_medium == medium
            assert (it.fare.amount_minor if it.fare.known else None) == fare    # the criterion is the price shown
        differs += got != _answer(adult, q.date)
        priced += sum(f is not None for f in youth.stats["fare_minor"])
    assert not failures, "\n".join(failures)
    assert priced > 0 and differs > 0, "the answers never differ from the default's: the choice would not be tested"


def test_rider_category_and_fare_media_are_checked(sample):
    _, net = sample
    tt = net.timetable
    a, b = tt.stop_id(0), tt.stop_id(1)
    for parameter, known in (("rider_category", "'adult', 'youth'"), ("fare_media", "'card', 'paper'")):
        for bad in ("senior", "", 3, ["youth"]):
            with pytest.raises(InvalidQueryError) as err:
                net.plan(a, b, date=tt.period_start.isoformat(), time="08:00", **{parameter: bad})
            assert err.value.parameter == parameter and known in str(err.value)


def test_a_feed_without_categories_sells_to_everyone(sample_paths, tmp_path):
    """In a bundle of two feeds, one without rider_categories.txt (its products have an empty
    rider_category_id: eligible for any category), youth pays that feed's prices; the other
    feed's youth prices still apply to its own journeys."""
    import zipfile

    from engine.fares import load_v2

    with_cats = add_fares(sample_paths.gtfs, tmp_path / "a.zip", version="v2-simple", seed=3)
    without = tmp_path / "b.zip"
    with zipfile.ZipFile(with_cats) as src, zipfile.ZipFile(without, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "rider_categories.txt":
                continue
            if name == "fare_products.txt":
                rows = data.decode().splitlines()
                data = "\n".join([rows[0]] + [r.replace(",adult,", ",,") for r in rows[1:] if ",youth," not in r])
                data = (data + "\n").encode()
            dst.writestr(name, data)
    net = engine.open(engine.build(tmp_path / "ab.bundle", gtfs=[("a", with_cats), ("b", without)]).path)
    adult, youth = load_v2(net.bundle), load_v2(net.bundle, "youth")
    ids = list(adult.product_ids)
    a_single, b_single = ids.index("a:tram_single"), ids.index("b:tram_single")
    assert (adult.product_amount_minor[a_single], youth.product_amount_minor[a_single]) == (170, 100)
    assert youth.product_amount_minor[b_single] == adult.product_amount_minor[b_single] == 170
    assert youth.rider_category == "youth" and adult.rider_category == "adult"
    tt = net.timetable
    b_stops = [i for i in range(tt.n_stops) if tt.stop_id(i).startswith("b:") and tt.stop_location_type[i] == 0]
    compared = cheaper = 0
    for a, b in zip(b_stops[::3], b_stops[1::3]):
        kw = dict(date=tt.period_start.isoformat(), time="10:00")
        for x, y in zip(net.plan(tt.stop_id(a), tt.stop_id(b), **kw).itineraries,
                        net.plan(tt.stop_id(a), tt.stop_id(b), rider_category="youth", **kw).itineraries):
            assert y.fare.rider_category == "youth"
            if x.fare.known and x.n_vehicles and all(p.id.startswith("b:") for p in x.fare.products):
                assert x.fare.amount_minor == y.fare.amount_minor       # (b's rides only: everyone's prices)
                compared += 1
            elif x.fare.known and all(p.id.startswith("a:") for p in x.fare.products) and x.n_vehicles:
                assert y.fare.amount_minor <= x.fare.amount_minor       # (a's rides: youth's prices)
                cheaper += y.fare.amount_minor < x.fare.amount_minor
    assert compared > 0 and cheaper > 0


@pytest.mark.realdata
def test_gtfs_plus_rider_category_pareto_equals_enumeration(tmp_path):
    """Fares v1 with GTFS+ rider prices (BART's fare_rider_categories.txt: youth, senior /
    disabled, Clipper START): the fare criterion for each category against the enumeration
    priced with that category's fares, on random queries with up to two vehicles; the answers
    must differ from the adult's (else the prices would not be tested) and each itinerary's
    price is the criterion's value."""
    from engine.testing.data import shared_data_dir

    path = shared_data_dir() / "gtfs-us-bart" / "bart-new.zip"
    if not path.exists():
        pytest.skip(f"{path} absent (BRIQUE_DATA)")
    built = build_feed(tmp_path, [("bart", path)], "bart")
    net = engine.open(str(built.bundle))
    tt = net.timetable
    categories = [c["id"] for c in net.rider_categories()]
    assert len(categories) == 3
    failures, differs, priced = [], 0, 0
    refs: dict = {}
    for i, q in enumerate(random_queries(built.staged, 8, 61, avoid_dst=False, night_every=4)):
        o, t = tt.stop_id(q.origin), tt.stop_id(q.target)
        kw = dict(date=q.date.isoformat(), time=hhmmss(q.time_s), max_transfers=1, optimize=FARE, min_change_time=60)
        adult = _answer(net.plan(o, t, **kw), q.date)
        for rider in categories:
            plan = net.plan(o, t, rider_category=rider, **kw)
            got = _answer(plan, q.date)
            ref = refs.get((q.date, rider)) or refs.setdefault((q.date, rider), reference_for(net, q.date, rider))
            want = ref.pareto([q.origin], q.time_s, tt.day_index(q.date), [q.target], 2, 60)
            if got != want:
                failures.append(f"query {i} ({rider}): {o} -> {t} {q.date} {hhmmss(q.time_s)}: engine {sorted(got)}, "
                                f"reference {sorted(want)}")
            for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]):
                assert it.fare.rider_category == rider and it.fare.version == "v1"
                assert (it.fare.amount_minor if it.fare.known else None) == fare
            differs += got != adult
            priced += sum(f is not None for f in plan.stats["fare_minor"])
    assert not failures, "\n".join(failures)
    assert priced > 0 and differs > 0, "the answers never differ from the adult's: the prices would not be tested"
