"""engine.distributed.travel_time_matrix on a LocalCluster of two worker processes: the same
table as ``Network.travel_time_matrix`` on one process (sample city, Strasbourg CTS), the bundle
opened once per worker, clear errors on the client."""
from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

pytest.importorskip("distributed", reason='dask.distributed not installed: pip install ".[dask]"')
pytest.importorskip("pandas", reason='pandas not installed: pip install ".[dask]"')

import cloudpickle  # noqa: E402  (a dependency of distributed)
from distributed import Client, LocalCluster  # noqa: E402

import engine  # noqa: E402
import engine.distributed as ed  # noqa: E402
from engine.errors import BundleError, InvalidQueryError, UnknownStopError  # noqa: E402
from engine.sample import DEMO  # noqa: E402
from engine.testing.data import shared_data_dir  # noqa: E402

from tests.reference.feeds import LARGEST_FEED  # noqa: E402

# The worker-side helpers below travel by value (workers cannot import a test module).
cloudpickle.register_pickle_by_value(sys.modules[__name__])

KW = dict(date=DEMO["date"], time="07:30", window_s=1200, percentiles=(10, 50, 90), max_time_s=5400)


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0",
                      silence_logs=40) as cluster, Client(cluster) as c:
        yield c


def _same(got, want) -> bool:
    """Equal tables, down to the bytes of their Arrow IPC stream (one chunk per column)."""
    import pyarrow as pa

    def ipc(table) -> bytes:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return sink.getvalue().to_pybytes()

    return got.equals(want) and ipc(got) == ipc(want)


def _stops(net, step: int) -> list[str]:
    tt = net.timetable
    served = np.diff(np.asarray(tt.stop_patterns_offsets)) > 0
    keep = np.flatnonzero((np.asarray(tt.stop_location_type) == 0) & served)
    return [tt.stop_id(int(s)) for s in keep[::step]]


def test_sample_stops_and_points_equal_one_process(client, sample_bundle, sample_network):
    """A mixed list (stop ids and points, whose ids are their positions in the whole list),
    destinations = the origins, then every stop; chunks of 2 and the automatic size."""
    stops = _stops(sample_network, 3)[:5]
    origins = [stops[0], DEMO["from_point"], stops[1], stops[2], DEMO["to_point"], (47.2, 1.55), stops[3]]
    want = sample_network.travel_time_matrix(origins, threads=1, **KW)
    got = ed.travel_time_matrix(client, sample_bundle, origins, chunk_size=2, **KW)
    assert _same(got, want)
    assert got.column("from_id").unique().to_pylist() == [stops[0], "1", stops[1], stops[2], "4", "5", stops[3]]
    want = sample_network.travel_time_matrix(stops, "stops", threads=1, **KW)
    assert _same(ed.travel_time_matrix(client, str(sample_bundle), stops, "stops", **KW), want)


def test_tables_and_as_dask(client, sample_bundle, sample_network):
    """A pyarrow table without ids (ids are row numbers of the whole table) and a dask
    DataFrame with one partition per chunk."""
    import pyarrow as pa
    import pandas as pd

    points = [DEMO["from_point"], DEMO["to_point"], (47.205, 1.54), (47.195, 1.56), (47.21, 1.53)]
    table = pa.table({"lat": [p[0] for p in points], "lon": [p[1] for p in points]})
    want = sample_network.travel_time_matrix(table, "stops", threads=1, **KW)
    assert _same(ed.travel_time_matrix(client, sample_bundle, table, "stops", chunk_size=2, **KW), want)
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": f"p{i}"}, "geometry": {"type": "Point", "coordinates": [lon, lat]}}
        for i, (lat, lon) in enumerate(points[:3])]}
    want_geojson = sample_network.travel_time_matrix(geojson, threads=1, **KW)
    assert _same(ed.travel_time_matrix(client, sample_bundle, geojson, chunk_size=2, **KW), want_geojson)
    frame = ed.travel_time_matrix(client, sample_bundle, table, "stops", chunk_size=2, as_dask=True, **KW)
    assert frame.npartitions == 3
    pd.testing.assert_frame_equal(frame.compute().reset_index(drop=True), ed._to_pandas(want))


@pytest.mark.realdata
def test_strasbourg_equals_one_process(client, tmp_path_factory):
    feed = shared_data_dir() / LARGEST_FEED
    if not feed.is_file():
        pytest.skip(f"{feed} absent: shared data folder missing (set BRIQUE_DATA)")
    bundle = engine.build(tmp_path_factory.mktemp("cts") / "cts.bundle", gtfs=[("cts", feed)]).path
    net = engine.open(bundle)
    origins = _stops(net, 1)[::97]
    kw = dict(date="2026-03-03", time="07:30", window_s=1800, percentiles=(5, 25, 50, 75, 95))
    want = net.travel_time_matrix(origins, "stops", threads=1, **kw)
    got = ed.travel_time_matrix(client, bundle, origins, "stops", chunk_size=3, **kw)
    assert _same(got, want)
    assert want.column("travel_time_p50").null_count < want.num_rows // 2     # a meaningful answer


def test_missing_bundle_is_a_clear_error(client, tmp_path):
    with pytest.raises(BundleError, match="does not exist.*shared storage"):
        ed.travel_time_matrix(client, tmp_path / "nowhere.bundle", ["x"], date="2026-03-03", time="08:00")


def test_bad_request_fails_on_the_client(client, sample_bundle):
    with pytest.raises(InvalidQueryError, match="percentiles"):
        ed.travel_time_matrix(client, sample_bundle, ["briqueville:GARE"], percentiles=(0,), **_no(KW, "percentiles"))
    with pytest.raises(UnknownStopError):
        ed.travel_time_matrix(client, sample_bundle, ["briqueville:GARE"], ["nowhere"], **KW)
    with pytest.raises(InvalidQueryError, match="chunk_size"):
        ed.travel_time_matrix(client, sample_bundle, ["briqueville:GARE"], chunk_size=0, **KW)


def _no(kw: dict, key: str) -> dict:
    return {k: v for k, v in kw.items() if k != key}


def _count_opens() -> None:
    """In a worker: wrap engine.api.open to record every path it opens."""
    import engine.api

    if not hasattr(engine.api, "_opened_in_test"):
        real = engine.api.open
        opened: list[str] = []

        def counting(path, *args, **kwargs):
            opened.append(str(path))
            return real(path, *args, **kwargs)

        engine.api.open = counting
        engine.api._opened_in_test = opened


def _opens() -> list[str]:
    import engine.api

    return list(engine.api._opened_in_test)


def test_each_worker_opens_the_bundle_once(client, sample_bundle, sample_network, tmp_path):
    """A copy at a path no worker has seen, two matrices of 8 one-origin tasks: one open per worker."""
    bundle = shutil.copytree(sample_bundle, tmp_path / "copy.bundle")
    client.run(_count_opens)
    origins = _stops(sample_network, 2)[:8]
    for _ in range(2):
        ed.travel_time_matrix(client, bundle, origins, chunk_size=1, **KW)
    opens = client.run(_opens)
    assert len(opens) == 2
    assert all(paths.count(str(bundle)) == 1 for paths in opens.values()), opens
