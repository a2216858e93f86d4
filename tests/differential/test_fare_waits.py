"""Waiting for a cheaper vehicle (README, "First vehicle"): a case the fare criterion once lost.

A fare label that arrives earlier, pays no more and has the same fare state beats a later one;
but the search lets it board the first vehicle it can catch, and when a leg's price depends on
its time (here a peak timeframe) the later vehicle the beaten label would have caught can be
cheaper. Strasbourg CTS with generated "v2-simple" fares: bounding a pass at 19:00 made a label
arriving at 18:21 at the transfer stop (it boards the 18:23 peak tram) drop one arriving at 18:28
(the 18:30 off-peak tram), and (18:45, 3 vehicles, 3.80 EUR) was lost. A boarding now also takes
the first vehicle after each time where the ride's price may change (engine/_mcraptor.pyx
_board_at_fare_bounds), so the earlier label rides the 18:30 tram too and the journey stays.
"""
from __future__ import annotations

import pytest

FARE = ("arrival", "transfers", "fare")
QUERY = dict(date="2026-04-09", time="17:31:59", max_transfers=4, optimize=FARE, max_duration_s=7200)
ORIGIN, DESTINATION = "Eschau Mairie", "Alt Winmärik-Vieux Marché aux Vins"


def _strasbourg(tmp_path_factory, version: str):
    """Strasbourg CTS with generated fares ``version`` (seed 3, as the benchmarks), opened."""
    import engine
    from engine.testing.data import shared_data_dir
    from engine.testing.fares_gen import add_fares

    cts = shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
    if not cts.is_file():
        pytest.skip("Strasbourg CTS absent (BRIQUE_DATA)")
    out = tmp_path_factory.mktemp(f"fare_waits_{version}")
    z = add_fares(cts, out / f"cts_{version}.zip", version, seed=3)
    return engine.open(engine.build(out / "cts.bundle", gtfs=[("feed", z)]).path)


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    return _strasbourg(tmp_path_factory, "v2-simple")


def _answer(net) -> list[tuple]:
    plan = net.plan(ORIGIN, DESTINATION, **QUERY)
    return sorted((it.arrival.isoformat(), it.n_vehicles, fare)
                  for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]))


@pytest.mark.realdata
def test_the_plain_comparison_finds_the_off_peak_journey(network, monkeypatch):
    """The premise of the test below: without the time-limit shortcut the set holds
    (18:45, 3 vehicles, 3.80 EUR)."""
    from engine.criteria import mcraptor

    monkeypatch.setattr(mcraptor.McPlanner, "bound_states", False)
    assert ("2026-04-09T18:45:00+02:00", 3, 380) in _answer(network)


@pytest.mark.realdata
def test_a_pass_bounded_at_19h_keeps_the_off_peak_journey(network, monkeypatch):
    from engine.criteria import mcraptor

    monkeypatch.setattr(mcraptor.McPlanner, "bound_states", False)
    want = _answer(network)
    monkeypatch.setattr(mcraptor.McPlanner, "bound_states", True)
    # a first pass ending at 19:00 (68,400 s on the query axis: 5,281 s after the start)
    monkeypatch.setattr(mcraptor, "FIRST_PASS_AFTER_EARLIEST_S", None)
    monkeypatch.setattr(mcraptor, "PASS_HORIZONS_S", (5281,))
    assert _answer(network) == want


@pytest.mark.realdata
def test_one_ride_that_waits_for_the_off_peak_tram(network):
    """Lycée Couffignal -> Shakespeare at 17:52:39: tram A at 17:54 (peak, 2.30 EUR), or the
    18:36 one (off-peak, 1.70 EUR) after a wait. Before waits were tried, the second journey of
    the set was a five-vehicle one at 19:52 for 1.80 EUR."""
    plan = network.plan("Lycée Couffignal", "Shakespeare", date="2026-03-04", time="17:52:39", max_transfers=4,
                        optimize=FARE, max_duration_s=7200)
    got = sorted((it.arrival.isoformat(), it.n_vehicles, fare) for it, fare in zip(plan.itineraries,
                                                                                  plan.stats["fare_minor"]))
    assert got == [("2026-03-04T18:21:44+01:00", 1, 230), ("2026-03-04T19:03:44+01:00", 1, 170)]
    waits = plan.itineraries[[it.arrival.isoformat() for it in plan.itineraries].index("2026-03-04T19:03:44+01:00")]
    assert [leg.departure.strftime("%H:%M") for leg in waits.legs if leg.mode == "transit"] == ["18:36"]


@pytest.fixture(scope="module")
def network_v2(tmp_path_factory):
    return _strasbourg(tmp_path_factory, "v2")


@pytest.mark.realdata
@pytest.mark.parametrize("horizons,first,passes", [((), None, None), ((3600, 7200, 10800), None, 3),
                                                   ((3600, 7200), 1500, 2)],
                         ids=["one-pass", "3h-from-the-start", "default"])
def test_pass_horizons_change_no_answer(network_v2, horizons, first, passes, monkeypatch):
    """A pass waits for a cheaper vehicle only as long as the query does (2 h after the start
    without max_duration_s; McPlanner.run ``wait_limit``), whatever its horizon: Honau -> Abbé de
    l'Epée at 10:11:31 (generated "v2"), a pass of 3 h once waited 3 h and found (12:39, 3
    vehicles, 4.80 EUR), which the unbounded search, waiting 2 h, does not look for (it has the
    next morning's 07:08 at 4.80 EUR instead)."""
    from engine.criteria import mcraptor

    monkeypatch.setattr(mcraptor, "FIRST_PASS_AFTER_EARLIEST_S", first)
    monkeypatch.setattr(mcraptor, "PASS_HORIZONS_S", horizons)
    plan = network_v2.plan("Honau", "Abbé de l'Epée", date="2026-04-17", time="10:11:31", max_transfers=4,
                           optimize=FARE)
    got = sorted((it.arrival.isoformat(), it.n_vehicles, fare)
                 for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]))
    assert got == [("2026-04-17T11:40:00+02:00", 3, 530), ("2026-04-17T11:59:03+02:00", 4, 180),
                   ("2026-04-18T07:08:00+02:00", 3, 480)]
    # (the last pass is reached: the search is complete after it; one pass: no passes at all;
    # by default the first pass, 25 min after the earliest arrival at 11:40, is 6 min before the
    # start's 2 h: MIN_PASS_GAP_S leaves the later one only)
    assert plan.stats.get("passes") == passes, plan.stats.get("passes")
