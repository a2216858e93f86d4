"""Arrive-by planning (engine.raptor.arrive_by): the joint binary search against brute force, and
the defining property on the sample city and on a real feed:

  every itinerary arrives by T; leaving one second after its departure, with the same number of
  vehicles at most, nothing arrives by T any more (so its departure is the latest possible, to
  the second); and no number of vehicles k is missing: the latest departure with <= k vehicles
  that the plan implies cannot be beaten by one second either.
"""
from __future__ import annotations

import datetime as dt
import json
import random

import numpy as np
import pytest

from engine.cli import main
from engine.testing.data import shared_data_dir
from engine.raptor.arrive_by import latest_departures, pareto_latest
from engine.raptor.legs import local_datetime
from engine.sample import DEMO


# ------------------------------------------------------------------ the search itself
def _monotone_table(rng: np.random.Generator, n_t: int, n_k: int) -> np.ndarray:
    """arrivals[t, k]: non-decreasing in t (earliest arrival) and non-increasing in k."""
    steps = rng.integers(0, 3, size=(n_t, n_k)).cumsum(axis=0) + rng.integers(0, 50, size=n_k)
    return np.minimum.accumulate(steps, axis=1)


@pytest.mark.parametrize("seed", range(40))
def test_latest_departures_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    table = _monotone_table(rng, int(rng.integers(1, 300)), int(rng.integers(1, 6)))
    n_t, n_k = table.shape
    lo = int(rng.integers(0, n_t))
    deadline = int(rng.integers(0, int(table.max()) + 2))
    calls = []

    def arrivals_at(t):
        calls.append(t)
        return table[t]

    got = latest_departures(arrivals_at, lo, n_t - 1, deadline, range(n_k))
    for k in range(n_k):
        feasible = [t for t in range(lo, n_t) if table[t, k] <= deadline]
        assert got.get(k) == (max(feasible) if feasible else None)
    assert all(lo <= t < n_t for t in calls)
    distinct = len(set(got.values()))
    assert len(calls) <= 1 + max(distinct, 1) * int(np.ceil(np.log2(n_t - lo + 1)))


def test_latest_departures_shares_runs_between_k():
    # Every k has the same answer: one binary search, not one per k.
    calls = []

    def arrivals_at(t):
        calls.append(t)
        return np.full(5, t + 100)

    assert latest_departures(arrivals_at, 0, 14_400, 10_000, range(5)) == {k: 9_900 for k in range(5)}
    assert len(calls) <= 1 + 14


def test_pareto_latest():
    assert pareto_latest({}) == []
    assert pareto_latest({1: 100, 2: 100, 3: 150, 4: 150}) == [1, 3]
    assert pareto_latest({0: 10, 1: 5, 2: 20}) == [0, 2]
    assert pareto_latest({2: 50, 1: 60}) == [1]


# ------------------------------------------------------------------ the defining property
def _axis(moment: dt.datetime, date: dt.date) -> int:
    """A local datetime as seconds on the date's time axis (noon minus 12 h)."""
    return int((moment - local_datetime(date, 0, moment.tzinfo)).total_seconds())


def _arrives_by(net, origin, destination, date, start: int, deadline_dt, max_vehicles: int) -> bool:
    """Does a forward plan leaving at `start` with <= max_vehicles vehicles arrive by the deadline?"""
    if start >= 2 * 86_400:
        return False
    plan = net.plan(origin, destination, date=date, time=start, max_transfers=max_vehicles - 1)
    return any(it.arrival <= deadline_dt and 1 <= it.n_vehicles <= max_vehicles for it in plan.itineraries)


def check_arrive_by(net, origin, destination, date: str, deadline: int, max_transfers: int = 3,
                    window: int = 4 * 3600) -> int:
    """Assert the arrive-by properties for one query; returns the number of itineraries."""
    day = dt.date.fromisoformat(date)
    plan = net.plan(origin, destination, date=date, time=deadline, arrive_by=True, max_transfers=max_transfers,
                    max_window_s=window)
    its = plan.itineraries
    if not its:
        lo = max(deadline - window, 0)
        for k in range(1, max_transfers + 2):
            deadline_dt = local_datetime(day, deadline, _tz(net, origin))
            assert not _arrives_by(net, origin, destination, date, lo, deadline_dt, k), (origin, destination, k)
        return 0
    deadline_dt = local_datetime(day, deadline, its[0].departure.tzinfo)
    deps = [it.departure for it in its]
    assert deps == sorted(deps, reverse=True) and len(set(deps)) == len(deps)
    assert [it.n_vehicles for it in its] == sorted({it.n_vehicles for it in its}, reverse=True)
    for it in its:
        assert it.arrival <= deadline_dt
        assert it.departure == it.legs[0].departure and it.arrival == it.legs[-1].arrival
        start = _axis(it.departure, day)
        assert start >= max(deadline - window, 0)
        if it.n_vehicles == 0:
            continue
        assert _arrives_by(net, origin, destination, date, start, deadline_dt, it.n_vehicles)
        assert not _arrives_by(net, origin, destination, date, start + 1, deadline_dt, it.n_vehicles), \
            (origin, destination, deadline, it.n_vehicles)
    # No k missing: the best departure with <= k vehicles is the latest one listed for <= k.
    for k in range(1, max_transfers + 2):
        listed = [_axis(it.departure, day) for it in its if it.n_vehicles <= k]
        start = max(listed) + 1 if listed else max(deadline - window, 0)
        assert not _arrives_by(net, origin, destination, date, start, deadline_dt, k), (origin, destination, k)
    return len(its)


def _tz(net, ref):
    stops = net.stop_indices(ref)
    return net._tz(stops[0])


def _stop_ids(net) -> list[str]:
    tt = net.timetable
    return [tt.stop_id(i) for i in range(tt.n_stops) if int(tt.stop_location_type[i]) == 0]


def test_sample_random_stop_pairs(sample_network):
    rng = random.Random(7)
    ids = _stop_ids(sample_network)
    found = 0
    for _ in range(40):
        a, b = rng.sample(ids, 2)
        deadline = rng.randrange(6 * 3600, 23 * 3600)
        found += check_arrive_by(sample_network, a, b, DEMO["date"], deadline, max_transfers=rng.choice([0, 1, 3]))
    assert found >= 20


def test_sample_demo_pair_through_the_day(sample_network):
    for hour in (0, 1, 6, 7, 8, 12, 18, 23, 25):
        check_arrive_by(sample_network, DEMO["origin"], DEMO["destination"], DEMO["date"], hour * 3600 + 17 * 60)


def test_sample_door_to_door(sample_network):
    a, b = tuple(DEMO["from_point"]), tuple(DEMO["to_point"])
    day = dt.date.fromisoformat(DEMO["date"])
    for hour in (7, 9, 14, 21):
        deadline = hour * 3600 + 5 * 60
        plan = sample_network.plan(a, b, date=DEMO["date"], time=deadline, arrive_by=True)
        assert plan.itineraries
        for it in plan.itineraries:
            deadline_dt = local_datetime(day, deadline, it.departure.tzinfo)
            assert it.arrival <= deadline_dt
            assert it.legs[0].mode == "walk" and it.legs[-1].mode == "walk"
            assert it.departure == it.legs[0].departure
            if it.n_vehicles == 0:
                assert it.arrival == deadline_dt     # street only: leave just in time
                continue
            start = _axis(it.departure, day)
            later = sample_network.plan(a, b, date=DEMO["date"], time=start + 1, max_transfers=it.n_vehicles - 1)
            assert not any(x.arrival <= deadline_dt and x.n_vehicles >= 1 for x in later.itineraries)
            same = sample_network.plan(a, b, date=DEMO["date"], time=start, max_transfers=it.n_vehicles - 1)
            assert any(x.arrival == it.arrival and x.n_vehicles == it.n_vehicles for x in same.itineraries)


def test_sample_direct_street_journey_when_points_are_close(sample_network):
    a = tuple(DEMO["from_point"])
    b = (a[0] + 0.002, a[1])
    plan = sample_network.plan(a, b, date=DEMO["date"], time="10:00", arrive_by=True)
    direct = [it for it in plan.itineraries if it.n_vehicles == 0]
    assert len(direct) == 1
    assert direct[0].arrival.isoformat().startswith(f"{DEMO['date']}T10:00:00")
    assert all(it.departure > direct[0].departure for it in plan.itineraries if it.n_vehicles)


# ------------------------------------------------------------------ a real feed
VRN = shared_data_dir() / "gtfs-de-rhein-neckar-vrn" / "vrn_gtfs_cut.zip"


@pytest.fixture(scope="module")
def vrn_network(tmp_path_factory):
    if not VRN.is_file():
        pytest.skip(f"real feed not found: {VRN} (set BRIQUE_DATA)")
    import engine

    out = tmp_path_factory.mktemp("vrn") / "vrn.bundle"
    return engine.open(engine.build(out, gtfs=[("vrn", VRN)]).path)


@pytest.mark.realdata
def test_real_feed_random_stop_pairs(vrn_network):
    rng = random.Random(11)
    ids = _stop_ids(vrn_network)
    found = 0
    for i in range(40):
        a, b = rng.sample(ids, 2)
        # A quarter of the deadlines fall just after midnight: trips of the previous service day.
        deadline = rng.randrange(0, 2 * 3600) if i % 4 == 0 else rng.randrange(5 * 3600, 24 * 3600)
        found += check_arrive_by(vrn_network, a, b, "2022-09-14", deadline, max_transfers=rng.choice([1, 3]))
    assert found >= 10


# ------------------------------------------------------------------ command line
def test_cli_arrive_by(sample_bundle, sample_network, capsys):
    argv = ["plan", str(sample_bundle), "--from", DEMO["origin"], "--to", DEMO["destination"],
            "--date", DEMO["date"], "--time", "09:00", "--arrive-by"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("arrive by 09:00:00")
    assert "#1 08:38 -> 08:53" in out
    assert main(argv + ["--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    ref = sample_network.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "09:00", arrive_by=True)
    assert [it["departure"] for it in body["itineraries"]] == [it.departure.isoformat() for it in ref.itineraries]
    assert all(it["arrival"] <= f"{DEMO['date']}T09:00:00+01:00" for it in body["itineraries"])


def test_cli_arrive_by_bad_window(sample_bundle, capsys):
    base = ["plan", str(sample_bundle), "--from", DEMO["origin"], "--to", DEMO["destination"],
            "--date", DEMO["date"], "--time", "09:00"]
    assert main(base + ["--arrive-by", "--max-window", "5"]) == 2
    assert "max_window_s" in capsys.readouterr().err
    assert main(base + ["--max-window", "600"]) == 2
    assert "arrive_by" in capsys.readouterr().err
