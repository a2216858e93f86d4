"""Stations and parentless stops are indexed; same-name stops of one place collapse."""
import pyarrow as pa

from engine.testing.geocoder import geocoder_from_rows


def test_should_index_stations_and_dedupe_same_name_stops(tmp_path):
    stops = pa.table({
        "stop_id": ["f:S1", "f:P1", "f:P2", "f:X1", "f:X2", "f:Y"],
        "name": ["Gare du Nord", "Gare du Nord", "Gare du Nord quai 2", "Mairie", "Mairie", "Mairie"],
        "lat": [48.880, 48.8801, 48.8802, 48.850, 48.8501, 48.950],
        "lon": [2.355, 2.3551, 2.3552, 2.300, 2.3001, 2.300],
        "location_type": pa.array([1, 0, 0, 0, 0, 0], pa.int8()),
        "parent_idx": pa.array([-1, 0, 0, -1, -1, -1], pa.int32()),
    })
    g = geocoder_from_rows(tmp_path, stops=stops)
    assert [p.id for p in g.search("gare du nord", limit=5)] == ["stop:f:S1"]
    mairies = g.search("mairie", limit=5)
    assert sorted(p.id for p in mairies) == ["stop:f:X1", "stop:f:Y"]     # X2 is X1 again, Y is 11 km away
