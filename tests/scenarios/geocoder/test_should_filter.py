import pytest

from engine.errors import InvalidQueryError


def test_should_filter_by_postcode_and_citycode(paris):
    assert paris.search("12 rue de rivoli", postcode="75001")[0].id == "75101_rivoli_00012"
    assert paris.search("12 rue de rivoli", citycode="75104")[0].id == "75104_rivoli_00012"
    assert paris.search("12 rue de rivoli", postcode="99999") == []


def test_should_filter_by_type(paris):
    assert {p.type for p in paris.search("rivoli", types=["poi"])} <= {"poi"}
    assert paris.search("rue de rivoli", types="street")[0].type == "street"


def test_should_filter_by_bbox(paris):
    res = paris.search("12 rue de rivoli", bbox=(2.32, 48.86, 2.34, 48.87))
    assert res[0].id == "75101_rivoli_00012"
    assert all(2.32 <= p.lon <= 2.34 and 48.86 <= p.lat <= 48.87 for p in res)
    assert "75104_rivoli_00012" not in [p.id for p in res]


def test_should_reject_bad_parameters(paris):
    for kwargs, param in (({"limit": 0}, "limit"), ({"types": ["planet"]}, "types"), ({"lat": 95, "lon": 2}, "lat"),
                          ({"lat": 48.0}, "lon"), ({"bbox": (3, 48, 2, 49)}, "bbox"), ({"postcode": ""}, "postcode"),
                          ({"types": 5}, "types"), ({"types": [["street"]]}, "types"), ({"bbox": "1234"}, "bbox")):
        with pytest.raises(InvalidQueryError) as err:
            paris.search("rivoli", **kwargs)
        assert err.value.parameter == param
    with pytest.raises(InvalidQueryError):
        paris.search(None)
