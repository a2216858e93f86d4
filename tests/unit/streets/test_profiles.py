"""Per-mode tag rules (engine.streets.profiles): access, oneway, speeds, maxspeed parsing."""
import pytest

from engine.streets.profiles import parse_maxspeed, way_speeds

W, B = 1.33, 4.5


def speeds(**tags):
    walk_f, walk_b, bike_f, bike_b, car_f, car_b = way_speeds(tags, W, B)
    return {"walk": (walk_f, walk_b), "bike": (bike_f, bike_b), "car": (car_f, car_b)}


def test_residential_is_open_to_all_modes_both_ways():
    s = speeds(highway="residential")
    assert s["walk"] == (W, W) and s["bike"] == (B, B)
    assert s["car"][0] == pytest.approx(25 / 3.6) and s["car"][1] == s["car"][0]


def test_foot_no_closes_walking_only():
    s = speeds(highway="residential", foot="no")
    assert s["walk"] == (0, 0) and s["bike"] == (B, B) and s["car"][0] > 0


def test_access_no_with_foot_yes_is_walk_only():
    s = speeds(highway="service", access="no", foot="yes")
    assert s["walk"] == (W, W) and s["bike"] == (0, 0) and s["car"] == (0, 0)


@pytest.mark.parametrize("value", ["private", "no"])
def test_private_or_no_access_closes_everything(value):
    assert speeds(highway="service", access=value) == {"walk": (0, 0), "bike": (0, 0), "car": (0, 0)}


def test_motor_vehicle_no_closes_cars_only():
    s = speeds(highway="residential", motor_vehicle="no")
    assert s["car"] == (0, 0) and s["walk"] == (W, W) and s["bike"] == (B, B)


def test_vehicle_no_closes_bikes_and_cars():
    s = speeds(highway="residential", vehicle="no")
    assert s["car"] == (0, 0) and s["bike"] == (0, 0) and s["walk"] == (W, W)


def test_motorway_is_closed_to_walking_and_cycling_and_one_way_for_cars():
    s = speeds(highway="motorway")
    assert s["walk"] == (0, 0) and s["bike"] == (0, 0)
    assert s["car"][0] == pytest.approx(90 / 3.6) and s["car"][1] == 0


def test_oneway_applies_to_bikes_and_cars_not_walkers():
    s = speeds(highway="residential", oneway="yes")
    assert s["walk"] == (W, W) and s["bike"] == (B, 0) and s["car"][1] == 0 and s["car"][0] > 0
    s = speeds(highway="residential", oneway="-1")
    assert s["bike"] == (0, B) and s["car"][0] == 0 and s["car"][1] > 0


@pytest.mark.parametrize("extra", [{"oneway:bicycle": "no"}, {"cycleway": "opposite_lane"},
                                   {"cycleway:left": "opposite_track"}])
def test_contraflow_cycling(extra):
    s = speeds(highway="residential", oneway="yes", **extra)
    assert s["bike"] == (B, B) and s["car"][1] == 0


def test_oneway_bicycle_alone_makes_bikes_one_way():
    s = speeds(highway="residential", **{"oneway:bicycle": "yes"})
    assert s["bike"] == (B, 0) and s["car"][1] > 0


def test_roundabout_is_implied_one_way():
    s = speeds(highway="primary", junction="roundabout")
    assert s["bike"] == (B, 0) and s["car"][1] == 0 and s["walk"] == (W, W)


def test_footway_pushes_bikes_unless_allowed_and_steps_are_slower():
    assert speeds(highway="footway")["bike"] == (W, W)
    assert speeds(highway="footway", bicycle="yes")["bike"] == (B, B)
    assert speeds(highway="footway", bicycle="no")["bike"] == (0, 0)
    assert speeds(highway="steps")["bike"] == (W / 2, W / 2)
    assert speeds(highway="steps")["walk"] == (W, W)
    assert speeds(highway="residential", bicycle="dismount")["bike"] == (W, W)
    assert speeds(highway="footway")["car"] == (0, 0)


def test_cycleway_needs_an_explicit_foot_permission():
    assert speeds(highway="cycleway")["walk"] == (0, 0)
    assert speeds(highway="cycleway", foot="designated")["walk"] == (W, W)
    assert speeds(highway="cycleway")["bike"] == (B, B)


def test_pedestrian_area_is_walkable_not_drivable():
    s = speeds(highway="pedestrian", area="yes")
    assert s["walk"] == (W, W) and s["car"] == (0, 0) and s["bike"] == (W, W)


def test_not_routable_highways():
    for hw in ("construction", "proposed", "raceway", "bus_stop"):
        assert speeds(highway=hw) == {"walk": (0, 0), "bike": (0, 0), "car": (0, 0)}
    assert speeds(building="yes") == {"walk": (0, 0), "bike": (0, 0), "car": (0, 0)}


def test_maxspeed_sets_car_speed_and_directions():
    assert speeds(highway="primary", maxspeed="30")["car"][0] == pytest.approx(30 / 3.6)
    s = speeds(highway="primary", maxspeed="50", **{"maxspeed:backward": "30"})
    assert s["car"] == (pytest.approx(50 / 3.6), pytest.approx(30 / 3.6))
    assert speeds(highway="primary", maxspeed="none")["car"][0] == pytest.approx(65 / 3.6)
    assert speeds(highway="residential", oneway="reversible")["car"] == (0, 0)


@pytest.mark.parametrize("value,kmh", [("50", 50), ("30 mph", 30 * 1.609344), ("20mph", 20 * 1.609344),
                                       ("DE:urban", 50), ("DE:rural", 100), ("FR:rural", 90),
                                       ("walk", 7), ("DE:zone:30", 30), ("50;30", 50), ("7,5", 7.5),
                                       ("none", None), ("signals", None), ("", None), (None, None)])
def test_parse_maxspeed(value, kmh):
    got = parse_maxspeed(value)
    assert (got is None and kmh is None) or got == pytest.approx(kmh)
