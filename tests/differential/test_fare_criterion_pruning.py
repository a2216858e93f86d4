"""The fare criterion's pruning aids (issue 14) never change an answer, and do prune.

McRAPTOR with the fare criterion is given (1) the two-criteria Pareto journeys with their fares
and the earliest arrival per number of vehicles (``McPlanner._known``: target pruning from its
first round, labels that can at best tie one of those journeys dropped), and for fares v2 also the journeys
of searches bounded to PASS_HORIZONS_S, entered into the later ones as arriving at once
(``McPlanner._by_horizons``), and (2), for fares v1, the stops
where a journey may leave its last vehicle (``McPlanner._end_stops``: an open ticket is priced
at least as a ticket to one of their zones, or as itself plus a ticket that ends there). Here the
same queries run with and without them (no known journey; every stop a possible end, which makes
the floor the weakest one): the Pareto sets of (arrival, vehicles, fare) must be equal, on
point-to-point queries (many end stops, straight-line access) and stop-to-stop ones, on the
built-in sample with generated fares v1, v2-simple and v2; and the aids must cut labels.
tests/differential/test_fare_criterion_vs_reference.py checks the answers themselves against an
enumeration.
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.reference.feeds import mixed_queries

FARE = ("arrival", "transfers", "fare")


def _params():
    from engine.testing.data import shared_data_dir

    strasbourg = shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
    params = [pytest.param(("sample", v), id=f"sample-{v}") for v in ("v1", "v2-simple", "v2")]
    params.append(pytest.param(("strasbourg", "v1"), id="strasbourg-v1", marks=pytest.mark.realdata)
                  if strasbourg.is_file() else pytest.param(None, id="strasbourg-v1", marks=pytest.mark.skip(
                      reason="Strasbourg CTS absent (BRIQUE_DATA)")))
    return params


@pytest.fixture(scope="module", params=_params())
def net(request, sample_paths, tmp_path_factory):
    """(network, date, queries, max_transfers): on Strasbourg (zones that separate fares by 0.20
    EUR) fewer queries with fewer vehicles, as the runs without the aids take long."""
    import engine
    from engine.sample import DEMO
    from engine.testing.data import shared_data_dir
    from engine.testing.fares_gen import add_fares

    where, version = request.param
    out = tmp_path_factory.mktemp(f"fare-pruning-{where}-{version}")
    source = sample_paths.gtfs if where == "sample" else \
        shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
    feed = add_fares(source, out / "feed.zip", version, seed=5)
    net = engine.open(str(engine.build(out / "fares.bundle", gtfs=[(where, feed)]).path))
    if where == "sample":
        return net, DEMO["date"], 60, 3
    from tests.reference.feeds import station_queries

    return net, station_queries(out / "fares.bundle", 1, 3)[0][2], 40, 2


def _answer(plan) -> list[tuple]:
    return sorted((it.arrival, it.n_vehicles, fare) for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]))


def test_pruning_aids_keep_the_pareto_set_and_cut_labels(net, monkeypatch):
    from engine.criteria.mcraptor import Known, McPlanner

    net, date, n, max_transfers = net
    queries = [(o, d, date, when) for o, d, when in mixed_queries(net, n, 17, point_every=2, jitter_deg=0.002)]
    with_aids, labels_with, seen = [], 0, 0
    for q in queries:
        plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=max_transfers, optimize=FARE)
        with_aids.append(_answer(plan))
        labels_with += plan.stats.get("labels", 0)
        seen += sum(it.n_vehicles >= 2 and fare is not None
                    for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]))
    assert seen >= 10, "too few priced journeys with a transfer to compare"

    n_stops = net._planner.tt.n_stops
    monkeypatch.setattr(McPlanner, "_known", lambda self, *args: Known(None, 0, None, []))
    monkeypatch.setattr(McPlanner, "_end_stops", lambda self, targets, walk: np.arange(n_stops, dtype=np.int32))
    labels_without = 0
    for q, want in zip(queries, with_aids):
        plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=max_transfers, optimize=FARE)
        assert _answer(plan) == want, q
        labels_without += plan.stats.get("labels", 0)
    assert labels_with < labels_without


@pytest.fixture(scope="module", params=[
    pytest.param(("sample", "v2"), id="sample-v2"), pytest.param(("sample", "v2-simple"), id="sample-v2-simple"),
    pytest.param(("sample", "v2-priority"), id="sample-v2-priority"), pytest.param(("sample", "v1"), id="sample-v1"),
    pytest.param(("strasbourg", "v2"), id="strasbourg-v2", marks=pytest.mark.realdata),
    pytest.param(("strasbourg", "v1"), id="strasbourg-v1", marks=pytest.mark.realdata)])
def state_net(request, sample_paths, tmp_path_factory):
    """(network, queries, max_transfers, max_duration_s) for the bounded state comparison."""
    import engine
    from engine.sample import DEMO
    from engine.testing.data import shared_data_dir
    from engine.testing.fares_gen import add_fares

    where, version = request.param
    source = sample_paths.gtfs if where == "sample" else \
        shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
    if where == "strasbourg" and not source.is_file():
        pytest.skip("Strasbourg CTS absent (BRIQUE_DATA)")
    out = tmp_path_factory.mktemp(f"fare-states-{where}-{version}")
    feed = add_fares(source, out / "feed.zip", version, seed=3)
    net = engine.open(str(engine.build(out / "fares.bundle", gtfs=[(where, feed)]).path))
    if where == "sample":
        return net, [(o, d, DEMO["date"], when) for o, d, when in mixed_queries(net, 40, 23, point_every=3)], 3, None
    from tests.reference.feeds import station_queries

    # within 2 h: the run that compares every time limit stays affordable
    return net, station_queries(out / "fares.bundle", 16, 29), 3, 7200


def test_bounded_state_comparison_keeps_the_pareto_set_and_cuts_labels(state_net, monkeypatch):
    """Fare labels compare their time limits (v2 transfer windows, v1 transfer_duration) only up
    to the latest arrival that can still matter (_until in engine/_mcraptor.pyx): a limit still
    open then is as good as a later one. Same Pareto sets as comparing every limit, fewer labels."""
    from engine.criteria.mcraptor import McPlanner
    from engine.errors import InvalidQueryError

    net, queries, max_transfers, within = state_net

    def answers():
        out, labels = [], 0
        for q in queries:
            try:
                plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=max_transfers, optimize=FARE,
                                max_duration_s=within)
            except InvalidQueryError as e:      # too many labels: must be so both ways
                out.append(str(e))
                continue
            out.append(_answer(plan))
            labels += plan.stats.get("labels", 0) + plan.stats.get("first_pass_labels", 0)
        return out, labels

    bounded, labels_bounded = answers()
    monkeypatch.setattr(McPlanner, "bound_states", False)
    plain, labels_plain = answers()
    assert bounded == plain
    assert sum(isinstance(a, list) and len(a) > 0 for a in bounded) >= len(queries) // 2
    assert labels_bounded < labels_plain, (labels_bounded, labels_plain)


def test_upstream_riders_keep_the_pareto_set_and_cut_rides(state_net, monkeypatch):
    """Fares v2: a boarding that a rider of the same vehicle boarded upstream covers is dropped
    (_v2_upstream_covers in engine/_mcraptor.pyx: the same leg as the rules see it, the same
    transfer rule, no limit from its earlier departure ending before the new rider's until, a
    state that covers). Same Pareto sets, with their fares, as without the rule, fewer rides
    priced, and the rule must fire (else the test compares the search with itself). Fares v1:
    the rule never fires (its tickets are not priced by leg)."""
    from engine.criteria.mcraptor import McPlanner
    from engine.fares import load_v2

    net, queries, max_transfers, within = state_net
    v2 = load_v2(net._planner.tt.bundle) is not None
    counts = {"priced": 0, "covered": 0}
    run = McPlanner.run

    def counted(self, *args, **kwargs):
        ws = run(self, *args, **kwargs)
        counts["priced"] += ws.rides_priced
        counts["covered"] += ws.boardings_covered
        return ws

    monkeypatch.setattr(McPlanner, "run", counted)

    def answers():
        out = []
        for q in queries:
            plan = net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=max_transfers, optimize=FARE,
                            max_duration_s=within)
            out.append(_answer(plan))
        return out

    with_rule = answers()
    priced_with, covered = counts["priced"], counts["covered"]
    monkeypatch.setattr(McPlanner, "upstream_riders", False)
    counts.update(priced=0, covered=0)
    assert answers() == with_rule
    assert counts["covered"] == 0
    assert sum(len(a) > 0 for a in with_rule) >= len(queries) // 2
    if not v2:
        assert covered == 0 and priced_with == counts["priced"] == 0
        return
    assert sum(len(a) > 1 for a in with_rule) >= len(queries) // 4
    assert covered > 0 and priced_with < counts["priced"], (covered, priced_with, counts["priced"])


@pytest.mark.realdata
def test_zone_pair_fare_lists_keep_the_pareto_set(tmp_path, monkeypatch):
    """Fares v1 on BART (a fare per origin/destination pair): the kernel prices a ticket from the
    fares of its zone pair (engine/fares/kernel_model.py _pair_lists) instead of scanning its
    start zone's fares and matching their rows; without the pair lists (MAX_PAIRS = 0) the
    Pareto sets and fares must be the same, and the lists must exist here (else the test would
    compare the scan with itself). Lists not cheapest first are refused (the kernel stops at the
    first fare that covers)."""
    import engine
    from engine._mcraptor import _check_cheapest_first
    from engine.fares import kernel_model, load_v1
    from engine.testing.data import shared_data_dir

    from tests.reference.feeds import station_queries

    path = shared_data_dir() / "gtfs-us-bart" / "bart-new.zip"
    if not path.exists():
        pytest.skip(f"{path} absent (BRIQUE_DATA)")
    bundle = engine.build(tmp_path / "bart.bundle", gtfs=[("bart", path)]).path
    fares = load_v1(engine.open(bundle).bundle)
    price = fares.price_minor.tolist()
    pairs = kernel_model._pair_lists(fares, len(fares.zone_ids), lambda fs: sorted(fs, key=lambda f: (price[f], f)))
    assert pairs is not None and len(pairs[1]) > 0
    queries = station_queries(bundle, 40, 77)
    answers = {}
    for max_pairs in (kernel_model.MAX_PAIRS, 0):
        monkeypatch.setattr(kernel_model, "MAX_PAIRS", max_pairs)
        net = engine.open(bundle)           # (a new McPlanner: its fare model is built again)
        got = []
        for o, d, date, time in queries:
            plan = net.plan(o, d, date=date, time=time, optimize=FARE, max_transfers=2)
            got.append(sorted((str(it.arrival), it.n_vehicles, f)
                              for it, f in zip(plan.itineraries, plan.stats["fare_minor"])))
        answers[max_pairs] = got
    assert answers[kernel_model.MAX_PAIRS] == answers[0]
    assert sum(f is not None for got in answers[0] for _, _, f in got) > 20
    # a start zone's fares (one per destination on BART), cheapest first as the model lists them,
    # then reversed: refused
    zone = next(z for z in range(len(fares.zone_ids)) if len({price[f] for f in fares.candidates(z)}) > 1)
    listed = np.array(sorted(fares.candidates(zone), key=lambda f: (price[f], f)), np.int32)
    _check_cheapest_first(np.asarray(price, np.int32), np.array([0, len(listed)]), listed, "cand_fares")
    with pytest.raises(ValueError, match="cheapest first"):
        _check_cheapest_first(np.asarray(price, np.int32), np.array([0, len(listed)]), listed[::-1].copy(),
                              "cand_fares")
    with pytest.raises(ValueError, match="cheapest first"):
        _check_cheapest_first(np.array([300, 100], np.int32), np.array([0, 2]), np.array([0, 1]), "cand_fares")
    _check_cheapest_first(np.array([300, 100], np.int32), np.array([0, 1, 2]), np.array([0, 1]), "cand_fares")


@pytest.mark.realdata
def test_fare_floors_walk_to_a_stop_whose_first_potential_came_by_footpath(tmp_path, monkeypatch):
    """The fare floors that let a first pass stand for the whole search (McPlanner._set_complete)
    are lower bounds. Strasbourg, generated "v2-simple", Etoile d'Or -> Wihrel on 2026-03-16 at
    09:01:51, at most two vehicles: the answer walks to Saint-Antoine, rides C5 then C4 (1.80
    EUR). Saint-Antoine first got that same potential from a footpath to another stop, so
    boarding C5 there did not lower it, the footpath from Etoile d'Or never read it, and the floors
    said that no journey had a price (1e9): a cheaper journey found later would have been cut.
    The potentials now keep what boarding at a stop costs apart from what a footpath gave it
    (_fare_potentials), and footpaths walk from the former only."""
    import engine
    from engine.criteria import mcraptor
    from engine.testing.data import shared_data_dir
    from engine.testing.fares_gen import add_fares

    source = shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
    if not source.is_file():
        pytest.skip("Strasbourg CTS absent (set BRIQUE_DATA)")
    feed = add_fares(source, tmp_path / "feed.zip", "v2-simple", seed=3)
    net = engine.open(str(engine.build(tmp_path / "fares.bundle", gtfs=[("cts", feed)]).path))
    seen = []
    real = mcraptor.fare_floors
    monkeypatch.setattr(mcraptor, "fare_floors", lambda ws: seen.append(real(ws)) or seen[-1])
    plan = net.plan("ETDOR_01", "WIHRE_04", date="2026-03-16", time="09:01:51", max_transfers=1, optimize=FARE,
                    min_change_time=60, max_duration_s=3 * 3600)
    priced = [(it.n_vehicles, fare) for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]) if fare is not None]
    assert (2, 180) in priced, priced
    assert seen and all(floors is not None for floors in seen)
    for floors in seen:
        for k, fare in priced:
            assert all(floors[j] <= fare for j in range(k, len(floors))), (floors.tolist(), priced)


@pytest.mark.realdata
@pytest.mark.parametrize("where", ["tampa_hart", "strasbourg_v1"])
def test_end_route_floors_keep_the_pareto_set_and_cut_labels(where, tmp_path, monkeypatch):
    """Fares v1: an open ticket's floor counts only the fares that admit a route reaching a stop
    where the journey may end (McPlanner.end_routes, run_mcraptor end_routes). Tampa HART's own
    fares (route rules: its express and flex routes cost more) and Strasbourg with generated v1
    (two express routes at 3.00 EUR without transfers; Eckbolsheim Mairie is reached only by
    one of them on a weekday, so no 1.50-2.90 EUR journey exists): the same answers with it on
    and off, fewer labels with it on."""
    import engine
    from engine.criteria.mcraptor import McPlanner
    from engine.testing.data import shared_data_dir
    from engine.testing.fares_gen import add_fares
    from tests.reference.feeds import station_queries

    if where == "tampa_hart":
        feed = shared_data_dir() / "gtfs-us-tampa-hart" / "hart.zip"
        extra = []
    else:
        feed = shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
        extra = [("Dietterlin", "Eckbolsheim Mairie", "2026-06-02", "07:12:20")]
    if not feed.is_file():
        pytest.skip(f"{feed.parent.name} absent (BRIQUE_DATA)")
    if where == "strasbourg_v1":
        feed = add_fares(feed, tmp_path / "feed.zip", "v1", seed=3)
    bundle = engine.build(tmp_path / "fares.bundle", gtfs=[(where, feed)]).path
    net = engine.open(str(bundle))
    queries = station_queries(bundle, 30, 41) + extra

    def labels_and_answers():
        plans = [net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=3, optimize=FARE) for q in queries]
        return [p.stats.get("labels", 0) for p in plans], [_answer(p) for p in plans]

    labels_on, answers_on = labels_and_answers()
    assert sum(len(a) for a in answers_on) >= 30, "too few journeys to compare"
    monkeypatch.setattr(McPlanner, "end_routes", False)
    labels_off, answers_off = labels_and_answers()
    assert answers_on == answers_off
    assert sum(labels_on) < sum(labels_off)
    if extra:
        assert answers_on[-1][0][2] == 450 and labels_on[-1] * 100 < labels_off[-1], (labels_on[-1], labels_off[-1])
