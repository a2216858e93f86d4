"""Bundle format: round trip, zero-copy views, schema snapshot, version and corruption errors."""
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from engine import _core, _types
from engine.bundle import schema
from engine.bundle.reader import open_bundle
from engine.bundle.writer import write_bundle
from engine.errors import BuildError, BundleError, BundleVersionError

SNAPSHOT = Path(__file__).with_name("schema.snapshot.txt")


def _footpaths():
    lists = pa.array([[1, 2], [], [0]], pa.list_(pa.int32()))
    return pa.table({"to": lists, "duration": pa.array([[10, 20], [], [30]], pa.list_(pa.int32())),
                     "step_free": pa.array([[1, 1], [], [0]], pa.list_(pa.uint8()))})


def test_round_trip_gives_read_only_zero_copy_views(tmp_path):
    path = write_bundle(tmp_path / "b", {"timetable/footpaths": _footpaths(),
                                        "timetable/stop_times": pa.table({"arr": pa.array([1, 2], pa.int32()),
                                                                          "dep": pa.array([3, 4], pa.int32()),
                                                                          "seq": pa.array([1, 2], pa.int32())})},
                        {"note": "x"})
    bundle = open_bundle(path)
    offsets, to = bundle.csr("timetable/footpaths", "to")
    assert offsets.tolist() == [0, 2, 2, 3] and to.tolist() == [1, 2, 0]
    dep = bundle.column("timetable/stop_times", "dep")
    assert dep.tolist() == [3, 4]
    assert not dep.flags.writeable and not to.flags.writeable
    assert bundle.manifest["note"] == "x"
    assert bundle.manifest["tables"]["timetable/footpaths"]["rows"] == 3


def test_schema_snapshot_matches():
    """Every format change must show up in review: update schema.snapshot.txt and FORMAT_VERSION."""
    assert schema.render_all() == SNAPSHOT.read_text()


def test_sentinels_are_mirrored_in_core():
    assert _core.SENTINELS["UNREACHED"] == _types.UNREACHED
    assert _core.SENTINELS["NO_IDX"] == _types.NO_IDX
    assert _core.SENTINELS["NO_VALUE"] == _types.NO_VALUE
    assert _types.UNREACHED + 10 * 86_400 < np.iinfo(np.int32).max


def test_unknown_table_and_nulls_are_refused(tmp_path):
    with pytest.raises(BuildError, match="not declared"):
        write_bundle(tmp_path / "b", {"timetable/nope": pa.table({"a": [1]})}, {})
    bad = pa.table({"arr": pa.array([1, None], pa.int32()), "dep": pa.array([1, 2], pa.int32()),
                    "seq": pa.array([1, 2], pa.int32())})
    with pytest.raises(BuildError, match="nulls"):
        write_bundle(tmp_path / "b", {"timetable/stop_times": bad}, {})
    assert not (tmp_path / "b").exists()
    assert [p.name for p in tmp_path.iterdir()] == []   # no temp dir left behind


def test_failed_rewrite_keeps_previous_bundle(tmp_path):
    path = write_bundle(tmp_path / "b", {"timetable/footpaths": _footpaths()}, {"gen": 1})
    with pytest.raises(BuildError):
        write_bundle(path, {"timetable/stop_times": pa.table({"arr": [1]})}, {"gen": 2})
    assert open_bundle(path).manifest["gen"] == 1


def test_version_mismatch_and_corruption_are_clear_errors(tmp_path):
    path = write_bundle(tmp_path / "b", {"timetable/footpaths": _footpaths()}, {})
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = schema.FORMAT_VERSION + 1
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleVersionError, match="rebuild"):
        open_bundle(path)
    manifest["format_version"] = schema.FORMAT_VERSION
    (path / "manifest.json").write_text(json.dumps(manifest))
    (path / "timetable" / "footpaths.arrow").write_bytes(b"garbage")
    with pytest.raises(BundleError, match="unreadable"):
        open_bundle(path).table("timetable/footpaths")
    with pytest.raises(BundleError, match="not a bundle"):
        open_bundle(tmp_path / "missing")
