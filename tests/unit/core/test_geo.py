"""engine._geo: one great-circle distance, one walking time, one lat/lon check for every layer."""
from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine import _geocode
from engine._geo import (EARTH_RADIUS_M, WALK_SPEED_MPS, check_bbox, check_lat, check_lon, check_point,
                         haversine_m, walk_seconds)
from engine.errors import InvalidQueryError
from engine.streets.options import StreetOptions
from engine.timetable.footpaths import FootpathOptions


def test_one_walking_speed_default_for_every_option_set():
    assert engine.BuildOptions().walk_speed_mps == StreetOptions().walk_speed_mps == FootpathOptions().walk_speed_mps \
        == WALK_SPEED_MPS


def test_haversine_is_the_compiled_kernels_distance():
    rng = np.random.default_rng(7)
    lat1, lat2 = rng.uniform(-89, 89, 200), rng.uniform(-89, 89, 200)
    lon1, lon2 = rng.uniform(-180, 180, 200), rng.uniform(-180, 180, 200)
    vec = haversine_m(lat1, lon1, lat2, lon2)
    one = [_geocode.haversine_m(*p) for p in zip(lat1, lon1, lat2, lon2)]
    np.testing.assert_allclose(vec, one, rtol=1e-12, atol=1e-6)
    assert float(haversine_m(0.0, 0.0, 0.0, 1.0)) == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)


def test_haversine_of_unknown_or_swapped_coordinates():
    """NaN stays NaN (stops without coordinates); a latitude beyond 90 (a stop whose lat/lon were
    swapped, measured by the GTFS loader before it repairs them) still gives a number."""
    assert np.isnan(haversine_m(np.nan, 2.0, 48.0, 2.0))
    assert np.isfinite(haversine_m(120.0, 48.0, 48.0, 2.0))


def test_walk_seconds_rounds_up():
    assert walk_seconds(np.array([0.0, 1.0, 133.0, 133.1]), 1.33).tolist() == [0, 1, 100, 101]
    assert walk_seconds(np.array([1.0]), 1.0).dtype == np.int32


@pytest.mark.parametrize("lat, lon", [(91, 0), (-90.5, 0), (0, 180.01), (math.nan, 0), (0, math.inf),
                                      ("x", 0), (None, 1)])
def test_check_point_names_the_parameter(lat, lon):
    with pytest.raises(InvalidQueryError) as err:
        check_point(lat, lon, "from")
    assert err.value.parameter == "from" and str(err.value).startswith("from")


def test_check_point_accepts_the_corners_and_numeric_strings():
    assert check_point(-90, 180, "p") == (-90.0, 180.0)
    assert check_point("48.5", "7.75", "p") == (48.5, 7.75)


def test_single_coordinate_checks():
    assert check_lat("45") == 45.0 and check_lon(-180) == -180.0
    for bad, check, name in ((90.1, check_lat, "lat"), (-181, check_lon, "lon"), ("n", check_lat, "lat")):
        with pytest.raises(InvalidQueryError) as err:
            check(bad)
        assert err.value.parameter == name


@pytest.mark.parametrize("box", ["1,2,3,4", (1, 2, 3), (3, 2, 1, 4), (1, 4, 3, 2), (-181, 0, 0, 1),
                                 (0, 0, 1, math.nan), (0, 0, "a", 1), 5])
def test_check_bbox_rejects(box):
    with pytest.raises(InvalidQueryError) as err:
        check_bbox(box)
    assert err.value.parameter == "bbox"


def test_check_bbox_returns_floats():
    assert check_bbox([1, 2, 3, 4]) == (1.0, 2.0, 3.0, 4.0)
    assert check_bbox(np.array([-180, -90, 180, 90])) == (-180.0, -90.0, 180.0, 90.0)
