"""The built-in sample with streets and addresses: the special OSM ways and the DEMO queries.

Briqueville's streets are a 250 m grid, so walking distances between intersections are exact
multiples of 250 m. The sample adds shortcuts that a walker must not take:

    (4,4) ==== Pénétrante Nord (primary, bridge, foot=no) ==== (8,6)     1118 m vs 1500 m on the grid
    (6,-2) --- Allée privée des Jardins (service, access=private) --- (7,-3)   354 m vs 500 m
    Rue du Marché (col -1) is one-way for cars (south -> north), both ways on foot.
"""
from __future__ import annotations

import pytest

from engine.sample import DEMO
from engine.sample.city import grid_latlon


def _route(net, a, b, mode):
    return net.route(*grid_latlon(a), *grid_latlon(b), mode=mode)


def test_walker_does_not_take_the_foot_no_bridge(sample_network):
    assert _route(sample_network, (4, 4), (8, 6), "walk").distance_m == pytest.approx(1500, abs=1)
    assert _route(sample_network, (4, 4), (8, 6), "car").distance_m == pytest.approx(1118, abs=2)


def test_nobody_takes_the_private_road(sample_network):
    for mode in ("walk", "bike", "car"):
        assert _route(sample_network, (6, -2), (7, -3), mode).distance_m == pytest.approx(500, abs=1)


def test_one_way_street(sample_network):
    assert _route(sample_network, (-1, -2), (-1, 1), "car").distance_m == pytest.approx(750, abs=1)
    assert _route(sample_network, (-1, 1), (-1, -2), "car").distance_m > 760
    assert _route(sample_network, (-1, 1), (-1, -2), "walk").distance_m == pytest.approx(750, abs=1)


def test_pedestrian_street_closed_to_cars(sample_network):
    assert _route(sample_network, (-1, -1), (1, -1), "walk").distance_m == pytest.approx(500, abs=1)
    assert _route(sample_network, (-1, -1), (1, -1), "car").distance_m > 510


def test_demo_geocode_and_reverse(sample_network):
    first = sample_network.geocode(DEMO["geocode"])[0]
    assert (first.id, first.label) == ("41999_0025_00045", "45 Rue Victor Hugo 41990 Briqueville")
    assert sample_network.geocode("154 bis rue Victor Hugo")[0].id == "41999_0025_00154_bis"
    assert sample_network.reverse(*DEMO["reverse"])[0].id == "41999_0025_00045"


def test_demo_walk_between_points(sample_network):
    walk = sample_network.route(*DEMO["from_point"], *DEMO["to_point"], mode="walk")
    # (-1930, 280) -> (260, 1440) in metres from the centre: at least the Manhattan distance
    assert 2190 + 1160 <= walk.distance_m <= 2190 + 1160 + 100
