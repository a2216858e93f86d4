import json

import pytest

from engine.geocoder import to_geocodejson


def test_should_return_a_geocodejson_feature_collection(paris):
    places = paris.search("12 bis rue de rivoli")
    doc = to_geocodejson(places, query="12 bis rue de rivoli")
    json.dumps(doc)
    assert doc["type"] == "FeatureCollection" and doc["geocoding"]["query"] == "12 bis rue de rivoli"
    f = doc["features"][0]
    assert f["geometry"]["type"] == "Point" and len(f["geometry"]["coordinates"]) == 2
    props = f["properties"]
    assert props["type"] == "housenumber" and props["housenumber"] == "12 bis" and props["street"] == "Rue de Rivoli"
    assert 0 < props["score"] <= 1 and props["citycode"] == "75104"


def test_place_is_frozen_and_serialisable(paris):
    p = paris.search("gare centrale")[0]
    assert p.to_dict()["type"] == "stop"
    with pytest.raises(AttributeError):        # frozen
        p.label = "x"
