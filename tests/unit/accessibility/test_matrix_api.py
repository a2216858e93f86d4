"""travel_time_matrix's inputs, outputs and errors on the sample city, and `brique matrix` /
`brique plan --window` end to end (the exactness checks are in tests/differential)."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from engine.cli import main
from engine.errors import InvalidQueryError, UnknownStopError

KW = dict(date=None, time=None, window_s=1200, percentiles=(10, 50, 90))


@pytest.fixture
def kw(demo_query):
    return {**KW, "date": demo_query["date"], "time": demo_query["time"]}


@pytest.fixture(scope="module")
def demo_query():
    from engine.sample import DEMO

    return DEMO


def _cells(table, p):
    return table.column(f"travel_time_p{p}").to_pylist()


def test_ends_in_every_form_give_the_same_times(sample_network, kw, demo_query):
    a, b = demo_query["from_point"], demo_query["to_point"]
    as_list = sample_network.travel_time_matrix([a, b], **kw)
    table = pa.table({"id": ["a", "b"], "lat": [a[0], b[0]], "lon": [a[1], b[1]]})
    as_table = sample_network.travel_time_matrix(table, **kw)
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": i}, "geometry": {"type": "Point", "coordinates": [p[1], p[0]]}}
        for i, p in (("a", a), ("b", b))]}
    as_geojson = sample_network.travel_time_matrix(geojson, **kw)
    assert as_list.column_names == ["from_id", "to_id", "travel_time_p10", "travel_time_p50", "travel_time_p90"]
    assert as_list.num_rows == 4 and as_list.column("from_id").to_pylist() == ["0", "0", "1", "1"]
    assert as_table.column("to_id").to_pylist() == ["a", "b", "a", "b"]
    for p in (10, 50, 90):
        assert _cells(as_list, p) == _cells(as_table, p) == _cells(as_geojson, p)
    p10, p50, p90 = (_cells(as_list, p) for p in (10, 50, 90))
    assert p10[1] is not None and p10[1] <= p50[1] <= p90[1], "percentiles are ordered"
    assert p50[0] == 0 and p50[3] == 0, "a point to itself takes no time"


def test_pandas_table(sample_network, kw, demo_query):
    pd = pytest.importorskip("pandas")
    a, b = demo_query["from_point"], demo_query["to_point"]
    frame = pd.DataFrame({"id": ["a", "b"], "lat": [a[0], b[0]], "lon": [a[1], b[1]]})
    assert sample_network.travel_time_matrix(frame, **kw).equals(sample_network.travel_time_matrix(
        pa.table({"id": ["a", "b"], "lat": [a[0], b[0]], "lon": [a[1], b[1]]}), **kw))


def test_unreachable_and_max_time(sample_network, kw, demo_query):
    o, d = demo_query["origin"], demo_query["destination"]
    full = sample_network.travel_time_matrix([o], [d], **kw)
    t = _cells(full, 90)[0]
    assert t is not None and t > 60
    capped = sample_network.travel_time_matrix([o], [d], **{**kw, "max_time_s": t - 1})
    assert _cells(capped, 90) == [None], "above max_time_s a cell is null"
    assert _cells(capped, 10)[0] == _cells(full, 10)[0] or _cells(full, 10)[0] >= t


@pytest.mark.parametrize("patch, parameter", [
    ({"percentiles": (0,)}, "percentiles"),
    ({"percentiles": (50, 50)}, "percentiles"),
    ({"percentiles": ()}, "percentiles"),
    ({"window_s": -1}, "window_s"),
    ({"window_s": 7 * 3600}, "window_s"),
    ({"max_time_s": 0}, "max_time_s"),
    ({"threads": 0}, "threads"),
    ({"mode": "car"}, "mode"),
    ({"max_transfers": 99}, "max_transfers"),
    ({"time": "25:99"}, "time"),
    ({"date": "nope"}, "date"),
])
def test_bad_options_name_the_parameter(sample_network, kw, demo_query, patch, parameter):
    with pytest.raises(InvalidQueryError) as info:
        sample_network.travel_time_matrix([demo_query["origin"]], **{**kw, **patch})
    assert info.value.parameter == parameter


@pytest.mark.parametrize("origins, parameter", [
    ("just-a-string", "origins"),
    ([(91.0, 0.0)], "origins[0]"),
    ([object()], "origins"),
    ([{"x": 1}], "origins"),
    ({"type": "FeatureCollection", "features": [{"geometry": {"type": "LineString"}}]}, "origins"),
    (pa.table({"id": ["a"], "x": [1.0]}), "origins"),
])
def test_bad_ends_name_the_parameter(sample_network, kw, origins, parameter):
    with pytest.raises(InvalidQueryError) as info:
        sample_network.travel_time_matrix(origins, **kw)
    assert info.value.parameter == parameter


def test_unknown_stop(sample_network, kw):
    with pytest.raises(UnknownStopError) as info:
        sample_network.travel_time_matrix(["nope:NOPE"], **kw)
    assert info.value.parameter == "origins"


def test_point_off_the_streets_is_null_not_an_error(sample_network, kw, demo_query):
    far = (demo_query["from_point"][0] + 1.0, demo_query["from_point"][1])
    table = sample_network.travel_time_matrix([far, demo_query["from_point"]], **kw)
    assert _cells(table, 50)[:2] == [None, None] and _cells(table, 50)[3] == 0


def test_cli_matrix_and_range_plan(sample_bundle, tmp_path, demo_query, capsys):
    a, b = demo_query["from_point"], demo_query["to_point"]
    pacsv.write_csv(pa.table({"id": ["a", "b"], "lat": [a[0], b[0]], "lon": [a[1], b[1]]}), tmp_path / "o.csv")
    out = tmp_path / "m.parquet"
    assert main(["matrix", str(sample_bundle), "--origins", str(tmp_path / "o.csv"), "--date", demo_query["date"],
                 "--time", demo_query["time"], "--window", "20", "--percentiles", "10,50,90",
                 "--out", str(out)]) == 0
    import engine

    want = engine.open(sample_bundle).travel_time_matrix(
        pa.table({"id": ["a", "b"], "lat": [a[0], b[0]], "lon": [a[1], b[1]]}), **{
            **KW, "date": demo_query["date"], "time": demo_query["time"]})
    assert pq.read_table(out).equals(want)
    assert "2/2 origins" in capsys.readouterr().err
    pacsv.write_csv(pa.table({"stop_id": [demo_query["origin"]]}), tmp_path / "s.csv")
    assert main(["matrix", str(sample_bundle), "--origins", str(tmp_path / "s.csv"), "--destinations", "stops",
                 "--date", demo_query["date"], "--time", demo_query["time"], "--out", str(tmp_path / "m.csv")]) == 0
    assert pacsv.read_csv(tmp_path / "m.csv").num_rows > 5
    # bad input: one line, exit status 2
    assert main(["matrix", str(sample_bundle), "--origins", str(tmp_path / "missing.csv"), "--date",
                 demo_query["date"], "--time", "08:00", "--out", str(out)]) == 2
    assert main(["matrix", str(sample_bundle), "--origins", str(tmp_path / "s.csv"), "--date", demo_query["date"],
                 "--time", "08:00", "--percentiles", "x", "--out", str(out)]) == 2
    assert main(["matrix", str(sample_bundle), "--origins", str(tmp_path / "s.csv"), "--date", demo_query["date"],
                 "--time", "08:00", "--out", str(tmp_path / "m.xlsx")]) == 2
    capsys.readouterr()
    assert main(["plan", str(sample_bundle), "--from", demo_query["origin"], "--to", demo_query["destination"],
                 "--date", demo_query["date"], "--time", demo_query["time"], "--window", "60", "--json"]) == 0
    import json

    plan = json.loads(capsys.readouterr().out)
    assert len(plan["itineraries"]) > 1 and plan["stats"]["departure_minutes"] == 60
