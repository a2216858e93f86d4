"""plan(max_duration_s=D): the Pareto set of the journeys arriving at most D seconds after the
requested time, which is exactly the full answer less its later journeys (whatever beats a
journey arrives no later). Checked on the sample for two criteria, walking and the fare
criterion (generated fares v2-simple: its cheap journeys leave late), stop and point ends;
bad values and arrive_by / window_s are refused naming the parameter, in the API, the CLI and
the HTTP server."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from engine.cli import main
from engine.errors import InvalidQueryError
from engine.sample import DEMO
from tests.reference.feeds import mixed_queries

CRITERIA = [("arrival", "transfers"), ("arrival", "transfers", "walking"), ("arrival", "transfers", "fare")]


@pytest.fixture(scope="module")
def fare_network(sample_paths, tmp_path_factory):
    import engine
    from engine.testing.fares_gen import add_fares

    out = tmp_path_factory.mktemp("max-duration")
    feed = add_fares(sample_paths.gtfs, out / "feed.zip", "v2-simple", seed=5)
    return engine.open(str(engine.build(out / "fares.bundle", gtfs=[("sample", feed)], osm=sample_paths.osm).path))


def _key(plan) -> list[tuple]:
    third = plan.stats.get("walking_s") or plan.stats.get("fare_minor") or [None] * len(plan.itineraries)
    return [(it.departure, it.arrival, it.n_vehicles, w) for it, w in zip(plan.itineraries, third)]


@pytest.mark.parametrize("optimize", CRITERIA, ids=["two", "walking", "fare"])
def test_max_duration_keeps_exactly_the_journeys_arriving_in_time(fare_network, optimize):
    cut, kept = 0, 0
    for origin, destination, when in mixed_queries(fare_network, 45, 8, point_every=3):
        full = fare_network.plan(origin, destination, DEMO["date"], when, optimize=optimize)
        for limit in (1200, 3600):
            plan = fare_network.plan(origin, destination, DEMO["date"], when, optimize=optimize,
                                     max_duration_s=limit)
            if not full.itineraries:
                assert not plan.itineraries
                continue
            tz = full.itineraries[0].arrival.tzinfo
            latest = dt.datetime.combine(dt.date.fromisoformat(DEMO["date"]), dt.time.fromisoformat(when),
                                         tz) + dt.timedelta(seconds=limit)
            # (arrival, vehicles, third criterion): a journey of the same criteria but another
            # departure may stand for one (the searches keep one of equal labels, not always the same)
            want = [k[1:] for k in _key(full) if k[1] <= latest]
            assert [k[1:] for k in _key(plan)] == want, (origin, destination, when, limit)
            cut += len(want) < len(full.itineraries)
            kept += bool(want)
    assert cut >= 5 and kept >= 10, "the limits should both cut journeys and keep some"


def test_max_duration_prunes_the_fare_search(fare_network):
    # every label the search made: without a limit fares v2 first searches the journeys
    # arriving within PASS_HORIZONS_S (first_pass_labels), then all of them
    labels = {None: 0, 1800: 0}
    for origin, destination, when in mixed_queries(fare_network, 30, 9, point_every=3):
        for limit in labels:
            plan = fare_network.plan(origin, destination, DEMO["date"], when, optimize=CRITERIA[2],
                                     max_duration_s=limit)
            labels[limit] += plan.stats.get("labels", 0) + plan.stats.get("first_pass_labels", 0)
    assert labels[1800] < labels[None], labels


@pytest.mark.parametrize("kwargs, parameter", [
    ({"max_duration_s": 30}, "max_duration_s"),
    ({"max_duration_s": 3 * 86400}, "max_duration_s"),
    ({"max_duration_s": "1h"}, "max_duration_s"),
    ({"max_duration_s": 3600, "arrive_by": True}, "max_duration_s"),
    ({"max_duration_s": 3600, "window_s": 600}, "max_duration_s"),
])
def test_bad_max_duration_is_refused(sample_network, kwargs, parameter):
    with pytest.raises(InvalidQueryError) as err:
        sample_network.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], DEMO["time"], **kwargs)
    assert err.value.parameter == parameter


def test_cli_max_duration(sample_bundle, sample_network, capsys):
    base = ["plan", str(sample_bundle), "--from", DEMO["origin"], "--to", DEMO["destination"],
            "--date", DEMO["date"], "--time", DEMO["time"]]
    assert main(base + ["--max-duration", "3600", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    ref = sample_network.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], DEMO["time"], max_duration_s=3600)
    assert body["itineraries"] and [it["arrival"] for it in body["itineraries"]] == \
        [it.arrival.isoformat() for it in ref.itineraries]
    assert main(base + ["--max-duration", "10"]) == 2
    assert "max_duration_s" in capsys.readouterr().err
    assert main(base + ["--max-duration", "600", "--arrive-by"]) == 2
    assert "max_duration_s" in capsys.readouterr().err
