"""The built-in Briqueville sample, built into a bundle: golden journeys over its real features.

The sample (engine.sample) has a tram T1 (west-east), a metro A (south-north) crossing it at the
station Hôtel de Ville (HDV: platforms HDV_T / HDV_M, 180 s change in transfers.txt), buses, a
night bus N1 past midnight, and French public holidays running the Sunday service.
"""
from __future__ import annotations

import pytest

import engine
from engine.sample import DEMO, FEED_NAME
from engine.testing import plan_text


@pytest.fixture(scope="module")
def net(sample_paths, tmp_path_factory):
    out = tmp_path_factory.mktemp("briqueville") / "city.bundle"
    result = engine.build(out, gtfs=[sample_paths.gtfs])
    assert result.report.issues == []
    return engine.open(out)


def test_demo_query(net):
    plan = net.plan(DEMO["origin"], DEMO["destination"], date=DEMO["date"], time=DEMO["time"])
    assert plan_text(plan) == [
        "T1 GARE_T 08:02:30 -> HDV_T 08:08:50 | walk HDV_T -> HDV_M 180s | "
        "A HDV_M 08:13:15 -> BELV_M 08:17:05"]


@pytest.mark.parametrize("date, expected", [
    ("2026-03-03", "T1 GARE_T 05:02:30 -> HDV_T 05:08:50"),   # Tuesday: weekday service
    ("2026-03-07", "T1 GARE_T 05:32:30 -> HDV_T 05:38:50"),   # Saturday service
    ("2026-03-08", "T1 GARE_T 07:02:30 -> HDV_T 07:08:50"),   # Sunday service
    ("2026-05-01", "T1 GARE_T 07:02:30 -> HDV_T 07:08:50"),   # Friday holiday: Sunday service
])
def test_first_tram_by_day_type(net, date, expected):
    plan = net.plan(f"{FEED_NAME}:GARE", f"{FEED_NAME}:HDV", date=date, time="04:00")
    assert plan_text(plan) == [expected]


def test_night_bus_of_the_previous_service_day(net):
    plan = net.plan("Mairie", "Les Coteaux", date="2026-03-03", time="00:50")
    assert plan_text(plan) == ["N1 B35 01:00 -> B34 01:12"]


def test_pareto_tram_metro_bus(net):
    plan = net.plan(f"{FEED_NAME}:T01", "Les Coteaux", date="2026-03-03", time="08:00")
    # (the fastest leaves at 08:06, not 08:00: the 08:06 tram and the 08:15:45 metro still make
    # the 08:19 bus; engine/raptor/boarding.py later_trips)
    assert plan_text(plan) == [
        "T1 T01 08:06 -> HDV_T 08:12:20 | walk HDV_T -> HDV_M 180s | A HDV_M 08:15:45 -> "
        "M02 08:18:10 | walk M02 -> B20 16s | 5 B20 08:19 -> B34 08:27",
        "T1 T01 08:00 -> GARE_T 08:13 | walk GARE_T -> GARE_B 240s | 5 GARE_B 08:17 -> B34 08:37"]


def test_full_build_with_streets_and_addresses_has_no_issue(sample_network):
    assert sample_network.manifest["report"]["issues"] in ({}, [])
    plan = sample_network.plan(DEMO["origin"], DEMO["destination"], date=DEMO["date"],
                               time=DEMO["time"])
    assert plan_text(plan)[0] == ("T1 GARE_T 08:02:30 -> HDV_T 08:08:50 | walk HDV_T -> HDV_M "
                                  "180s | A HDV_M 08:13:15 -> BELV_M 08:17:05")
