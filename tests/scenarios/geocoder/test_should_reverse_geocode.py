import pytest

from engine.errors import InvalidQueryError


def test_should_return_the_nearest_address_with_its_distance(paris):
    res = paris.reverse(48.85561, 2.35801)
    assert res[0].id == "75104_rivoli_00012" and res[0].distance_m < 3


def test_should_return_k_nearest_sorted(paris):
    res = paris.reverse(48.8556, 2.3580, limit=3)
    assert [p.distance_m for p in res] == sorted(p.distance_m for p in res)
    assert len(res) == 3


def test_should_filter_reverse_by_type(paris):
    assert paris.reverse(48.8606, 2.3376, types=["poi"])[0].id == "poi:louvre"
    assert paris.reverse(48.8606, 2.3376, types="address")[0].type == "housenumber"


def test_should_find_something_far_away(paris):
    res = paris.reverse(47.14, 9.52)              # Vaduz, hundreds of km from Paris streets
    assert res[0].id == "loc:vaduz"
    assert paris.reverse(-40.0, 170.0)[0].distance_m > 1e6


def test_should_reject_bad_coordinates(paris):
    with pytest.raises(InvalidQueryError):
        paris.reverse(91, 0)
    with pytest.raises(InvalidQueryError):
        paris.reverse("x", 0)
