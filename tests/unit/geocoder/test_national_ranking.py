"""Ranking among homonyms at national scale: the commune named in the query or in a filter
wins; without one the more populous commune wins; with a focus point the nearer homonym wins."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.geocoder.index_build import IMP_ONE_COMMUNE, street_importance

HEADER = "id;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat"
# commune -> (postcode, insee, name, lon, lat, addresses on its "Rue du Moulin")
COMMUNES = [
    ("39300", "39478", "Saint-Maurice", 5.80, 46.60, 3),            # small, the Jura
    ("77120", "77420", "Saint-Maurice-en-Brie", 2.95, 48.80, 40),   # large, near Paris
    ("29200", "29019", "Brest", -4.49, 48.39, 25),                   # medium, Brittany
    ("67000", "67482", "Strasbourg", 7.75, 48.58, 12),
]


@pytest.fixture(scope="module")
def geocoder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("homonyms")
    lines = [HEADER]
    for postcode, insee, name, lon, lat, n in COMMUNES:
        for k in range(1, n + 1):
            lines.append(f"{insee}_mou_{k:05d};{k};;Rue du Moulin;{postcode};{insee};{name};"
                         f"{lon + k * 1e-4:.6f};{lat:.6f}")
        # more addresses elsewhere in the commune: its population
        for k in range(1, 8 * n + 1):
            lines.append(f"{insee}_gde_{k:05d};{k};;Grande Rue {name};{postcode};{insee};{name};"
                         f"{lon:.6f};{lat + k * 1e-4:.6f}")
    csv = tmp / "ban.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp / "fr.bundle"
    engine.build(out, addresses=[csv])
    return engine.open(out).geocoder


def _top(results):
    assert results, "no result"
    return results[0].citycode


def test_without_commune_the_most_populous_wins(geocoder):
    assert _top(geocoder.search("Rue du Moulin")) == "77420"
    assert _top(geocoder.search("rue du mou", autocomplete=True)) == "77420"


def test_commune_named_whole_beats_a_longer_homonym(geocoder):
    # "Saint-Maurice" is part of "Saint-Maurice-en-Brie", a larger commune
    assert _top(geocoder.search("Rue du Moulin Saint-Maurice")) == "39478"
    assert _top(geocoder.search("Rue du Moulin Saint-Maurice-en-Brie")) == "77420"
    assert _top(geocoder.search("2 Rue du Moulin Brest")) == "29019"


def test_postcode_or_citycode_decides(geocoder):
    assert _top(geocoder.search("Rue du Moulin 67000")) == "67482"
    assert _top(geocoder.search("Rue du Moulin", postcode="29200")) == "29019"
    assert _top(geocoder.search("Rue du Moulin", citycode="39478")) == "39478"


def test_focus_point_prefers_the_nearby_homonym(geocoder):
    near_brest = (48.40, -4.40)
    assert _top(geocoder.search("Rue du Moulin", lat=near_brest[0], lon=near_brest[1])) == "29019"
    assert _top(geocoder.search("rue du moul", autocomplete=True, lat=46.5, lon=5.9)) == "39478"
    # between two far homonyms, the nearer one (Strasbourg ~ 180 km, Saint-Maurice ~ 250 km)
    assert _top(geocoder.search("Rue du Moulin", lat=47.9, lon=8.9)) == "67482"


def test_one_commune_keeps_street_size_as_importance():
    counts = np.array([1, 10, 100, 1000])
    imp = street_importance(counts, np.full(4, 5000.0), 1)
    assert np.allclose(imp, 0.3 + IMP_ONE_COMMUNE * np.log1p(counts) / np.log1p(1000), atol=1e-6)
    several = street_importance(np.array([1000, 2]), np.array([100.0, 10_000.0]), 2)
    assert several[1] > several[0]          # the larger commune's short street ranks first
