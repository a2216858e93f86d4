"""plan(time_budget_s=T): a search with a third criterion stops once it has run T seconds and
raises QueryTimeoutError naming time_budget_s (nothing is answered: a cut search would give a
wrong set); a budget it stays within changes nothing; bad values are refused naming the
parameter. The HTTP server passes its own budget, and answers 503 time_budget_exceeded."""
from __future__ import annotations

import pytest

from engine.errors import InvalidQueryError, QueryTimeoutError
from engine.sample import DEMO
from tests.reference.feeds import mixed_queries

FARE, WALKING = ("arrival", "transfers", "fare"), ("arrival", "transfers", "walking")


@pytest.fixture(scope="module")
def fare_bundle(sample_paths, tmp_path_factory):
    import engine
    from engine.testing.fares_gen import add_fares

    out = tmp_path_factory.mktemp("time-budget")
    feed = add_fares(sample_paths.gtfs, out / "feed.zip", "v2-simple", seed=5)
    return str(engine.build(out / "fares.bundle", gtfs=[("sample", feed)], osm=sample_paths.osm).path)


@pytest.fixture(scope="module")
def fare_network(fare_bundle):
    import engine

    return engine.open(fare_bundle)


def _queries_with_rides(net, n=6):
    out = []
    for origin, destination, when in mixed_queries(net, 40, 11, point_every=1000):
        plan = net.plan(origin, destination, DEMO["date"], when, optimize=FARE)
        if any(it.n_vehicles for it in plan.itineraries):
            out.append((origin, destination, when))
        if len(out) == n:
            break
    assert out, "no query with a vehicle: the budget would never be checked"
    return out


@pytest.mark.parametrize("optimize", [FARE, WALKING], ids=["fare", "walking"])
def test_a_search_past_its_budget_stops_with_an_error(fare_network, optimize):
    for origin, destination, when in _queries_with_rides(fare_network):
        with pytest.raises(QueryTimeoutError) as err:
            fare_network.plan(origin, destination, DEMO["date"], when, optimize=optimize, time_budget_s=1e-9)
        assert err.value.parameter == "time_budget_s"


def test_a_budget_the_search_stays_within_changes_nothing(fare_network):
    for origin, destination, when in _queries_with_rides(fare_network):
        full = fare_network.plan(origin, destination, DEMO["date"], when, optimize=FARE)
        timed = fare_network.plan(origin, destination, DEMO["date"], when, optimize=FARE, time_budget_s=600)
        assert [(it.arrival, it.n_vehicles) for it in timed.itineraries] == \
            [(it.arrival, it.n_vehicles) for it in full.itineraries]
        assert timed.stats["fare_minor"] == full.stats["fare_minor"]


@pytest.mark.parametrize("bad", [0, -1, 3601, "5", True, float("nan")])
def test_bad_budgets_are_refused(fare_network, bad):
    origin, destination, when = _queries_with_rides(fare_network, 1)[0]
    with pytest.raises(InvalidQueryError) as err:
        fare_network.plan(origin, destination, DEMO["date"], when, optimize=FARE, time_budget_s=bad)
    assert err.value.parameter == "time_budget_s"


def test_the_server_passes_its_budget_and_answers_503_when_the_engine_stops(fare_network, fare_bundle):
    """The plan route gives the engine the server's time budget, so that the search stops (and
    frees its thread) there; the engine's QueryTimeoutError is a 503 time_budget_exceeded."""
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    origin, destination, when = _queries_with_rides(fare_network, 1)[0]
    budgets = []

    class Recording:
        """The network, whose plan records its time budget and then runs out of it."""

        def __getattr__(self, name):
            return getattr(fare_network, name)

        def plan(self, *args, time_budget_s=None, **kwargs):
            budgets.append(time_budget_s)
            return fare_network.plan(*args, time_budget_s=1e-9, **kwargs)

    app = create_app(Settings(bundle=fare_bundle, time_budget_s=7.5), network=Recording())
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/v1/plan", params={"from": origin, "to": destination, "date": DEMO["date"], "time": when,
                                           "optimize": "fare"})
    assert budgets == [7.5]
    assert r.status_code == 503, r.text
    body = r.json()["error"]
    assert body["code"] == "time_budget_exceeded" and body["parameter"] == "time_budget_s"
    assert "ran past its time budget" in body["message"]


def test_cli_time_budget(fare_network, fare_bundle, capsys):
    from engine.cli import main

    origin, destination, when = _queries_with_rides(fare_network, 1)[0]
    argv = ["plan", fare_bundle, "--from", origin, "--to", destination, "--date", DEMO["date"], "--time", when,
            "--optimize", "fare"]
    assert main(argv + ["--time-budget", "600"]) == 0
    capsys.readouterr()
    assert main(argv + ["--time-budget", "1e-9"]) == 1
    assert "ran past its time budget" in capsys.readouterr().err
    assert main(argv + ["--time-budget", "0"]) == 2
    assert "time_budget_s" in capsys.readouterr().err
