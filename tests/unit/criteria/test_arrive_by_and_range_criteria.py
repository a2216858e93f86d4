"""arrive_by=True and window_s with a third criterion (engine/criteria/arrive_by.py, range.py):
the step search on made-up monotone functions, and plans on the sample city with generated fares
v2 (stops and points). Arrive-by: every journey arrives by the deadline and leaves in the window,
none beats another on (later departure, fewer vehicles, lower walking / fare), the two-criteria
arrive-by answer is their projection. Range: every journey leaves from the start on, no two are
alike, the two-criteria range's (arrival, vehicles) are among them. The time budget applies; the
CLI and the HTTP route pass both through. (Exact sets against the references:
tests/differential/test_criteria_arrive_by_range_vs_reference.py.)"""
from __future__ import annotations

import numpy as np
import pytest

from engine.criteria.arrive_by import NONE, latest_steps, pareto_latest3
from engine.errors import QueryTimeoutError
from engine.sample import DEMO
from tests.reference.feeds import mixed_queries

FARE, WALKING = ("arrival", "transfers", "fare"), ("arrival", "transfers", "walking")
WINDOW_S = 3600


@pytest.mark.parametrize("seed", range(6))
def test_latest_steps_finds_every_step_of_monotone_functions(seed):
    rng = np.random.default_rng(seed)
    lo, hi, ks = 1000, 5000, 4
    # per k: a non-decreasing step function of t (NONE past its last step), fewer vehicles never cheaper
    table = np.full((ks, hi - lo + 1), NONE, np.int64)
    for k in range(ks):
        cuts = np.sort(rng.choice(np.arange(lo, hi + 1), size=rng.integers(0, 6), replace=False))
        values = np.sort(rng.integers(0, 500, len(cuts) + 1))
        end = int(rng.integers(lo, hi + 2))
        column = np.searchsorted(cuts, np.arange(lo, hi + 1), side="left")
        table[k] = np.where(np.arange(lo, hi + 1) < end, values[column], NONE)
    table = np.minimum.accumulate(table, axis=0)          # more vehicles allowed: never dearer
    calls = []

    def values_at(t):
        calls.append(t)
        return tuple(int(v) for v in table[:, t - lo])

    got = set(latest_steps(values_at, lo, hi))
    want = set()
    for k in range(ks):
        row = table[k]
        for i, v in enumerate(row.tolist()):
            if v < NONE and (i == len(row) - 1 or row[i + 1] != v):
                want.add((lo + i, k, v))
    assert got == want
    assert len(set(calls)) < 40 * (len(want) + 1)      # bisection, not a scan of 4,001 seconds


def test_pareto_latest3_keeps_what_no_other_beats():
    items = [(100, 1, 50, "a"), (100, 2, 40, "b"), (90, 1, 40, "c"), (90, 1, 60, "d"), (100, 1, 50, "e"),
             (80, 0, 10, "f"), (110, 3, 60, "g")]
    assert [x[3] for x in pareto_latest3(items)] == ["g", "a", "b", "c", "f"]


@pytest.fixture(scope="module")
def fare_network(sample_paths, tmp_path_factory):
    import engine
    from engine.testing.fares_gen import add_fares

    out = tmp_path_factory.mktemp("ab-criteria")
    feed = add_fares(sample_paths.gtfs, out / "feed.zip", "v2-simple", seed=5)
    path = str(engine.build(out / "fares.bundle", gtfs=[("sample", feed)], osm=sample_paths.osm).path)
    return engine.open(path), path


def _seconds(net, when) -> int:
    h, m, s = (int(x) for x in when.split(":"))
    return h * 3600 + m * 60 + s


@pytest.mark.parametrize("optimize", [FARE, WALKING], ids=["fare", "walking"])
def test_arrive_by_answers_are_in_time_pareto_and_project_to_two_criteria(fare_network, optimize):
    net, _ = fare_network
    key = "fare_minor" if optimize == FARE else "walking_s"
    answered = traded = 0
    for origin, destination, when in mixed_queries(net, 24, 5, point_every=3):
        plan = net.plan(origin, destination, DEMO["date"], when, optimize=optimize, arrive_by=True,
                        max_window_s=WINDOW_S)
        two = net.plan(origin, destination, DEMO["date"], when, arrive_by=True, max_window_s=WINDOW_S)
        assert plan.stats["arrive_by"] and plan.stats["runs"] >= 1
        deadline = _seconds(net, when)
        points = []
        for it, value in zip(plan.itineraries, plan.stats[key]):
            dep = it.departure.hour * 3600 + it.departure.minute * 60 + it.departure.second
            arr = (it.arrival - it.departure).total_seconds() + dep
            assert deadline - WINDOW_S <= dep and arr <= deadline, (origin, destination, when)
            if optimize == WALKING:
                assert value == sum(leg.duration_s for leg in it.legs if leg.mode == "walk")
            elif value is not None:
                assert it.fare is not None and it.fare.known and it.fare.amount_minor == value
            points.append((it.departure, it.n_vehicles, np.inf if value is None else value))
        assert points == sorted(points, key=lambda p: (-p[0].timestamp(), p[1], p[2]))   # latest first
        for i, (d, k, v) in enumerate(points):
            assert not any(d2 >= d and k2 <= k and v2 <= v for j, (d2, k2, v2) in enumerate(points) if j != i)
        projected = {(d, k) for d, k, _ in points
                     if not any(d2 >= d and k2 <= k and (d2, k2) != (d, k) for d2, k2, _ in points)}
        assert projected == {(it.departure, it.n_vehicles) for it in two.itineraries}, (origin, destination, when)
        answered += bool(points)
        traded += len(points) > len(two.itineraries)
    assert answered >= 12
    assert traded >= 1, "no query where the third criterion adds a journey: the test would not see it"


def test_arrive_by_respects_the_time_budget(fare_network):
    net, _ = fare_network
    origin, destination, when = mixed_queries(net, 1, 5, point_every=1000)[0]
    with pytest.raises(QueryTimeoutError) as err:
        net.plan(origin, destination, DEMO["date"], "23:00:00", optimize=FARE, arrive_by=True, time_budget_s=1e-9)
    assert err.value.parameter == "time_budget_s"


def test_cli_and_server_pass_arrive_by_with_a_criterion(fare_network, capsys):
    import json

    from fastapi.testclient import TestClient

    from engine.cli import main
    from server.main import create_app
    from server.settings import Settings

    net, path = fare_network
    origin, destination = "sample:GARE", "sample:BELV"
    want = net.plan(origin, destination, DEMO["date"], "09:00", optimize=FARE, arrive_by=True)
    assert len(want.itineraries) >= 2                  # leaving later, or paying less
    departures = [it.departure.isoformat() for it in want.itineraries]
    assert main(["plan", path, "--from", origin, "--to", destination, "--date", DEMO["date"], "--time", "09:00",
                 "--arrive-by", "--optimize", "fare", "--json"]) == 0
    assert [it["departure"] for it in json.loads(capsys.readouterr().out)["itineraries"]] == departures
    with TestClient(create_app(Settings(bundle=path), network=net)) as client:
        r = client.get("/v1/plan", params={"from": origin, "to": destination, "date": DEMO["date"], "time": "09:00",
                                           "arrive_by": "true", "optimize": "fare"})
    assert r.status_code == 200, r.text
    got = r.json()["itineraries"]
    assert [it["departure"] for it in got] == departures
    assert [it["fare"]["amount"] for it in got] == [it.fare.amount for it in want.itineraries]


@pytest.mark.parametrize("optimize", [FARE, WALKING], ids=["fare", "walking"])
def test_range_answers_leave_in_the_window_and_hold_the_two_criteria_range(fare_network, optimize):
    """window_s with a third criterion (engine/criteria/range.py), stops and points: every journey
    leaves at or after the start, no two are alike on (arrival, vehicles, third), the values are
    the itineraries' own, and every two-criteria range journey's (arrival, vehicles) is there."""
    net, _ = fare_network
    key = "fare_minor" if optimize == FARE else "walking_s"
    answered, runs = 0, []
    for origin, destination, when in mixed_queries(net, 12, 7, point_every=3):
        plan = net.plan(origin, destination, DEMO["date"], when, optimize=optimize, window_s=900)
        runs.append(plan.stats["runs"])
        two = net.plan(origin, destination, DEMO["date"], when, window_s=900)
        assert plan.stats["departure_minutes"] == 15 and 1 <= plan.stats["runs"] <= 15
        start = _seconds(net, when)
        points = set()
        for it, value in zip(plan.itineraries, plan.stats[key]):
            dep = it.departure.hour * 3600 + it.departure.minute * 60 + it.departure.second
            assert dep >= start or it.departure.date().isoformat() > DEMO["date"]
            if optimize == WALKING:
                assert value == sum(leg.duration_s for leg in it.legs if leg.mode == "walk")
            elif value is not None:
                assert it.fare is not None and it.fare.known and it.fare.amount_minor == value
            points.add((it.arrival, it.n_vehicles, value))
        assert len(points) == len(plan.itineraries)
        assert {(it.arrival, it.n_vehicles) for it in two.itineraries} <= {(a, k) for a, k, _ in points}
        answered += bool(points)
    assert answered >= 6
    assert min(runs) < 15, "no minute without a departure was skipped: the skip is not exercised"


def test_range_with_a_criterion_in_the_cli_and_server(fare_network, capsys):
    import json

    from fastapi.testclient import TestClient

    from engine.cli import main
    from server.main import create_app
    from server.settings import Settings

    net, path = fare_network
    origin, destination = "sample:GARE", "sample:BELV"
    want = net.plan(origin, destination, DEMO["date"], "08:00", optimize=WALKING, window_s=1200)
    assert len(want.itineraries) >= 2
    departures = [it.departure.isoformat() for it in want.itineraries]
    assert main(["plan", path, "--from", origin, "--to", destination, "--date", DEMO["date"], "--time", "08:00",
                 "--window", "20", "--optimize", "walking", "--json"]) == 0      # minutes
    assert [it["departure"] for it in json.loads(capsys.readouterr().out)["itineraries"]] == departures
    with TestClient(create_app(Settings(bundle=path), network=net)) as client:
        r = client.get("/v1/plan", params={"from": origin, "to": destination, "date": DEMO["date"], "time": "08:00",
                                           "window_s": 1200, "optimize": "walking"})
    assert r.status_code == 200, r.text
    assert [it["departure"] for it in r.json()["itineraries"]] == departures
    with pytest.raises(QueryTimeoutError):
        net.plan(origin, destination, DEMO["date"], "08:00", optimize=FARE, window_s=1200, time_budget_s=1e-9)
