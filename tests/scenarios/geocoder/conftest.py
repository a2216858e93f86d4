"""A small Paris-like geocoder shared by the scenario tests (built once per session)."""
import pytest

from engine.testing.geocoder import PARIS, geocoder_from_rows

PLACES = [
    {"id": "stop:gare", "type": "stop", "name": "Gare Centrale", "lat": 48.8761, "lon": 2.3591, "importance": 0.75},
    {"id": "poi:louvre", "type": "poi", "name": "Musée du Louvre", "street": "Rue de Rivoli", "postcode": "75001",
     "city": "Paris 1er Arrondissement", "citycode": "75101", "lat": 48.8606, "lon": 2.3376, "importance": 0.5},
    {"id": "loc:vaduz", "type": "locality", "name": "Vaduz", "city": "Vaduz", "postcode": "9490",
     "lat": 47.141, "lon": 9.521, "importance": 0.9},
]


@pytest.fixture(scope="session")
def paris(tmp_path_factory):
    return geocoder_from_rows(tmp_path_factory.mktemp("paris"), PARIS, PLACES)


def top(geocoder, q, **kw):
    """Label of the first result (None when nothing matches)."""
    res = geocoder.search(q, **kw)
    return res[0].label if res else None
