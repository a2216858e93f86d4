"""A known limit of the fare criterion's exactness (README, "First vehicle"), kept as a strict
expected failure so that it is seen, and so that its fix shows (the test then passes, and strict
xfail turns that into a failure: remove the mark).

The model boards the first vehicle a traveller can catch. A fare label that arrives earlier, pays
no more and has the same fare state is taken to dominate a later one; but the earlier traveller
boards an earlier vehicle, and when a leg's price depends on its time (here a peak timeframe)
the later vehicle can be cheaper. Strasbourg CTS with generated "v2-simple" fares: bounding a
pass at 19:00 makes a label arriving at 18:21 at the transfer stop (it boards the 18:23 peak
tram) drop one arriving at 18:28 (the 18:30 off-peak tram), and (18:45, 3 vehicles, 3.80 EUR)
is lost. The same query without the time-limit shortcut (``bound_states=False``) keeps it.
"""
from __future__ import annotations

import pytest

FARE = ("arrival", "transfers", "fare")
QUERY = dict(date="2026-04-09", time="17:31:59", max_transfers=4, optimize=FARE, max_duration_s=7200)
ORIGIN, DESTINATION = "Eschau Mairie", "Alt Winmärik-Vieux Marché aux Vins"


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    import engine
    from engine.testing.data import shared_data_dir
    from engine.testing.fares_gen import add_fares

    cts = shared_data_dir() / "gtfs-fr-strasbourg-cts" / "google_transit.zip"
    if not cts.is_file():
        pytest.skip("Strasbourg CTS absent (BRIQUE_DATA)")
    out = tmp_path_factory.mktemp("first_vehicle")
    z = add_fares(cts, out / "cts_v2-simple.zip", "v2-simple", seed=3)
    return engine.open(engine.build(out / "cts.bundle", gtfs=[("feed", z)]).path)


def _answer(net) -> list[tuple]:
    plan = net.plan(ORIGIN, DESTINATION, **QUERY)
    return sorted((it.arrival.isoformat(), it.n_vehicles, fare)
                  for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]))


@pytest.mark.realdata
def test_the_plain_comparison_finds_the_off_peak_journey(network, monkeypatch):
    """The premise of the expected failure below: without the time-limit shortcut the set holds
    (18:45, 3 vehicles, 3.80 EUR)."""
    from engine.criteria import mcraptor

    monkeypatch.setattr(mcraptor.McPlanner, "bound_states", False)
    assert ("2026-04-09T18:45:00+02:00", 3, 380) in _answer(network)


@pytest.mark.realdata
@pytest.mark.xfail(strict=True, reason="first-vehicle boarding with time-dependent fares (README, 'First vehicle')")
def test_a_pass_bounded_at_19h_keeps_the_off_peak_journey(network, monkeypatch):
    from engine.criteria import mcraptor

    monkeypatch.setattr(mcraptor.McPlanner, "bound_states", False)
    want = _answer(network)
    monkeypatch.setattr(mcraptor.McPlanner, "bound_states", True)
    # a first pass ending at 19:00 (68,400 s on the query axis: 5,281 s after the start)
    monkeypatch.setattr(mcraptor, "PASS_HORIZONS_S", (5281,))
    assert _answer(network) == want
