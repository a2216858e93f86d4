"""Batch geocoding (engine.geocoder.batch, net.geocode_table / reverse_table) on the sample:
every row's answer is the single search's, for any thread count."""
from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from engine import _geocode as G
from engine.errors import InvalidQueryError
from engine.geocoder.batch import BatchGeocoder, batch_geocoder
from engine.geocoder.batch_table import FIELDS, REVERSE_COLUMNS, SEARCH_COLUMNS


def _single(net, q, postcode=None, citycode=None, lat=None, lon=None):
    found = net.geocode(q, limit=1, postcode=postcode, citycode=citycode, lat=lat, lon=lon)
    return found[0] if found else None


def _queries(net, n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    labels = sorted({p.label for q in ("rue", "avenue", "place", "gare", "briqueville", "1", "12", "allee")
                     for p in net.geocode(q, limit=50)})
    out = []
    for _ in range(n):
        label = rng.choice(labels)
        shape = rng.randrange(7)
        if shape == 0:
            out.append(label)
        elif shape == 1:
            out.append(f"{rng.randint(1, 300)} {label.lower()}")
        elif shape == 2:                                   # one typo
            i = rng.randrange(len(label))
            out.append(label[:i] + rng.choice("aeiorstz") + label[i + 1:])
        elif shape == 3:
            out.append(" ".join(w for w in label.split() if not w.isdigit()))
        elif shape == 4:
            out.append(label.split()[-1])
        elif shape == 5:
            out.append("".join(rng.choice("abcdefgh 123") for _ in range(rng.randint(0, 12))))
        else:
            out.append(f"{rng.randint(1, 30)} bis {label}")
    return out


@pytest.fixture(scope="module")
def queries(sample_network):
    return _queries(sample_network, 600)


def test_batch_equals_single_search_for_any_thread_count(sample_network, queries):
    expected = [_single(sample_network, q) for q in queries]
    assert sum(p is not None for p in expected) > 400
    for threads in (1, 2, 3):
        got, problems = BatchGeocoder(sample_network.geocoder).search(queries, threads=threads)
        assert not problems
        assert got == expected, threads


def test_filters_and_focus_equal_single_search(sample_network, queries):
    rng = random.Random(2)
    postcodes = [rng.choice([None, "", "  ", "41990", "00000"]) for _ in queries]
    citycodes = [rng.choice([None, "41999", "99999", ""]) for _ in queries]
    lats = [rng.choice([None, 47.19, "47.2", "x", 91]) for _ in queries]
    lons = [rng.choice([None, 1.55, "1.54", ""]) for _ in queries]
    got, _ = batch_geocoder(sample_network.geocoder).search(queries, postcodes, citycodes, lats, lons, threads=2)
    for q, pc, cc, la, lo, place in zip(queries, postcodes, citycodes, lats, lons, got):
        try:
            lat, lon = float(la), float(lo)
            focus = (lat, lon) if abs(lat) <= 90 and abs(lon) <= 180 else (None, None)
        except (TypeError, ValueError):
            focus = (None, None)
        assert place == _single(sample_network, q, (pc or "").strip() or None, (cc or "").strip() or None, *focus), q


def test_duplicates_long_and_non_text_queries(sample_network):
    long_q = "rue " * 200
    got, problems = batch_geocoder(sample_network.geocoder).search(["rue pasteur", long_q, None, "rue pasteur", 12])
    assert got[0] == got[3] == _single(sample_network, "rue pasteur")
    assert got[1] is None and got[2] is None and got[4] is None
    assert set(problems) == {1, 2, 4} and "500" in problems[1]


def test_reverse_batch_equals_single_reverse(sample_network):
    rng = random.Random(3)
    points = [(47.19 + rng.uniform(-0.02, 0.02), 1.55 + rng.uniform(-0.03, 0.03)) for _ in range(300)]
    lats = [p[0] for p in points] + [None, "x", 95.0, "47.2"]
    lons = [p[1] for p in points] + [1.5, 1.5, 1.5, "1.55"]
    got, problems = batch_geocoder(sample_network.geocoder).reverse(lats, lons, threads=2)
    assert got[:300] == [sample_network.reverse(a, b)[0] for a, b in points]
    assert got[300:303] == [None] * 3 and set(problems) == {300, 301, 302}
    assert got[303] == sample_network.reverse(47.2, 1.55)[0]


def test_geocode_table_columns(sample_network):
    table = pa.table({"num": ["281", None, "3"], "voie": ["rue pasteur", "zzzz qqqq", "rue voltaire"],
                      "result_label": ["old", "old", "old"], "n": [1, 2, 3]})
    out = sample_network.geocode_table(table, ["num", "voie"])
    cols = out.column_names
    assert cols[:4] == ["num", "voie", "result_label", "n"]          # replaced in place
    assert cols[4:] == [c for c in SEARCH_COLUMNS if c != "result_label"]
    rows = out.to_pylist()
    first = _single(sample_network, "281 rue pasteur")
    assert rows[0]["result_id"] == first.id and rows[0]["latitude"] == first.lat
    assert rows[0]["result_score"] == first.score and rows[0]["result_name"] == first.name
    assert rows[1]["result_label"] is None and rows[1]["latitude"] is None      # " zzzz qqqq": nothing
    assert out.schema.field("latitude").type == pa.float64()
    picked = sample_network.geocode_table(table, ["voie"], result_columns=["result_id", "result_district"])
    assert picked.column_names == table.column_names + ["result_id", "result_district"]
    with pytest.raises(InvalidQueryError, match="nope"):
        sample_network.geocode_table(table, ["nope"])
    with pytest.raises(InvalidQueryError, match="result_distance"):
        sample_network.geocode_table(table, ["voie"], result_columns=["result_distance"])


def test_table_from_csv_path_and_numbers(sample_network, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("numero;voie\n281;rue pasteur\n", encoding="cp1252")
    out = sample_network.geocode_table(path, ["numero", "voie"], threads=1)
    assert out.column("result_id")[0].as_py() == _single(sample_network, "281 rue pasteur").id
    ints = pa.table({"numero": pa.array([281], pa.int64()), "voie": ["rue pasteur"]})
    assert sample_network.geocode_table(ints, ["numero", "voie"]).column("result_id")[0].as_py() == \
        out.column("result_id")[0].as_py()


def test_reverse_table(sample_network):
    table = pa.table({"lat": [47.193363, None], "lon": [1.55139, 1.5]})
    out = sample_network.reverse_table(table)
    assert out.column_names == ["lat", "lon", *REVERSE_COLUMNS]
    place = sample_network.reverse(47.193363, 1.55139)[0]
    row = out.to_pylist()[0]
    assert row["result_id"] == place.id and row["result_distance"] == place.distance_m
    assert out.to_pylist()[1]["result_id"] is None
    assert all(FIELDS[c][1] == out.schema.field(c).type for c in REVERSE_COLUMNS)


def test_kernel_refuses_inconsistent_arrays(sample_network):
    ix = sample_network.geocoder.index
    z64, z32, z8, zf = (np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(1, np.uint8),
                        np.zeros(0, np.float64))
    out = (np.zeros((1, 4), np.int32), np.zeros((1, 4), np.int32), np.zeros((1, 4)), np.zeros(1, np.int32),
           np.zeros(1, np.uint8))
    city_ok = np.zeros(max(ix.n_cities, 1), np.uint8)
    with pytest.raises(ValueError, match="form"):      # a row naming a form that does not exist
        G.search_batch(ix.view, ix.workspace(), z64, z32, z8, z64, z32, z8[:0], z8[:0], zf, z64, zf, z32, z32, z32,
                       np.array([3], np.int32), np.zeros(2, np.int64), z8, z64, 63, np.zeros(2, np.int64), z32,
                       np.zeros(1, np.uint8), city_ok, np.zeros(1), np.zeros(1), 5000.0, *out)


def test_full_labels_are_answered_by_the_kernel(sample_network, monkeypatch):
    """The compiled first pass is final for exact labels: the equality tests above would still
    pass if every row fell back to Geocoder.search, this one would not."""
    g = sample_network.geocoder
    labels = sorted({p.label for q in ("rue", "avenue", "place") for p in sample_network.geocode(q, limit=50)})
    expected = [_single(sample_network, q) for q in labels]
    fallbacks = []
    search = g.search
    monkeypatch.setattr(g, "search", lambda q, *a, **kw: fallbacks.append(q) or search(q, *a, **kw))
    got, _ = BatchGeocoder(g).search(labels, threads=1)
    assert got == expected
    assert len(labels) > 20 and len(fallbacks) <= len(labels) // 10, (len(fallbacks), len(labels))


def test_read_csv_table_checks_its_options(tmp_path):
    """read_csv_table shares CsvJob's checks: a bad delimiter, quote or codec is a clear error."""
    from engine.geocoder.csv_io import read_csv_table

    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2\n")
    for options, parameter in (({"delimiter": "ab"}, "delimiter"), ({"quote": "\n"}, "quote"),
                               ({"encoding": "rot13"}, "encoding")):
        with pytest.raises(InvalidQueryError) as err:
            read_csv_table(path, **options)
        assert err.value.parameter == parameter, options
    assert read_csv_table(path).column_names == ["a", "b"]
