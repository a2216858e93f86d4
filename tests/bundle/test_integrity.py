"""Bundle integrity: per-file sizes and checksums in the manifest, `brique verify`, O(1) opening,
and the invariants engine.bundle.checks enforces when a table is first mapped."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from engine.bundle import schema
from engine.bundle.checks import RULES
from engine.bundle.integrity import MANIFEST_DIGEST_KEY, file_digest, manifest_digest, verify_bundle
from engine.bundle.reader import open_bundle
from engine.cli import main
from engine.errors import BundleError


@pytest.fixture()
def bundle(sample_bundle: Path, tmp_path: Path) -> Path:
    out = tmp_path / "b.bundle"
    shutil.copytree(sample_bundle, out)
    return out


def test_manifest_records_size_and_checksum_of_every_file(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    files = manifest["files"]
    assert set(files) == {f"{name}.arrow" for name in manifest["tables"]}
    for rel, info in files.items():
        assert info["size"] == (bundle / rel).stat().st_size
        assert info["blake2b"] == file_digest(bundle / rel)
    assert manifest[MANIFEST_DIGEST_KEY] == manifest_digest(manifest)


def test_verify_passes_on_an_intact_bundle(bundle: Path, capsys) -> None:
    assert main(["verify", str(bundle)]) == 0
    assert "ok" in capsys.readouterr().out


def test_opening_maps_nothing_and_checks_sizes(bundle: Path) -> None:
    opened = open_bundle(bundle)
    assert opened._tables == {}
    stop_times = bundle / "timetable" / "stop_times.arrow"
    data = stop_times.read_bytes()
    stop_times.write_bytes(data[:-8])
    with pytest.raises(BundleError, match="stop_times.arrow.*truncated"):
        open_bundle(bundle)


def test_a_value_changed_in_range_is_reported_by_verify(bundle: Path, capsys) -> None:
    """Flip a byte inside a duration: the bundle opens and answers (differently); only the
    checksum can tell, and verify says which file."""
    path = bundle / "timetable" / "footpaths.arrow"
    table = _read(path)
    durations = table.column("duration").chunk(0).values.to_numpy()
    assert len(durations)
    raw = bytearray(path.read_bytes())
    needle = durations[: min(4, len(durations))].astype("<i4").tobytes()
    at = raw.find(needle)
    assert at > 0
    raw[at] ^= 0x01                          # the first duration changes by one second
    path.write_bytes(bytes(raw))
    open_bundle(bundle).table("timetable/footpaths")        # still valid data
    assert main(["verify", str(bundle)]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "footpaths.arrow" in out[0] and "checksum" in out[0]


def test_a_corrupt_manifest_is_refused_at_open(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["tables"]["timetable/stops"]["rows"] += 1
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="manifest.json is corrupt"):
        open_bundle(bundle)
    assert main(["verify", str(bundle)]) == 2


def test_bundles_without_checksums_open_but_do_not_verify(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    del manifest["files"], manifest[MANIFEST_DIGEST_KEY]
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    open_bundle(bundle).table("timetable/stops")
    problems = verify_bundle(bundle)
    assert len(problems) == 1 and "no file checksums" in problems[0]


def test_every_table_an_index_points_into_has_rules() -> None:
    """A new table with index or offset columns needs rules (or a reason to be left out here)."""
    without = {"timetable/feeds", "geocoder/cities", "geocoder/sources", "streets/ways"}
    assert set(schema.TABLES) - set(RULES) == without


# ---------------------------------------------------------------- each invariant, one case
def _resign(bundle: Path, name: str, table: pa.Table) -> None:
    """Rewrite table ``name`` and update the manifest's size, checksum and digest, as a buggy
    builder would: the file layer is consistent, only the invariant is broken."""
    path = bundle / f"{name}.arrow"
    tmp = path.with_suffix(".new")          # never rewrite a file in place: it may be mapped
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(table.num_rows, 1))
    tmp.replace(path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"][f"{name}.arrow"] = {"size": path.stat().st_size, "blake2b": file_digest(path)}
    manifest[MANIFEST_DIGEST_KEY] = manifest_digest(manifest)
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def _read(path: Path) -> pa.Table:
    return pa.ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()


def _edit(bundle: Path, name: str, column: str, change) -> None:
    table = _read(bundle / f"{name}.arrow")
    array = table.column(column).chunk(0)
    if pa.types.is_list(array.type):
        values = np.array(array.values.to_numpy(zero_copy_only=False))
        change(values)
        new = pa.ListArray.from_arrays(array.offsets, pa.array(values, type=array.type.value_type))
    elif pa.types.is_string(array.type):
        values = array.to_pylist()
        change(values)
        new = pa.array(values, type=array.type)
    else:
        values = np.array(array.to_numpy(zero_copy_only=False))
        change(values)
        new = pa.array(values, type=array.type)
    _resign(bundle, name, table.set_column(table.schema.get_field_index(column), column, new))


def _set(i, v):
    def change(a):
        a[i] = v(a) if callable(v) else v
    return change


def _swap(i, j):
    def change(a):
        a[i], a[j] = a[j], a[i]
    return change


CASES = [
    # (table, column, change, message fragment)
    ("timetable/patterns", "stops", _set(0, lambda a: 10**6), "row 0"),
    ("timetable/patterns", "first_trip", _set(-1, -1), "first_trip"),
    ("timetable/patterns", "max_day_offset", _set(0, 3), "max_day_offset"),
    ("timetable/stop_times", "dep", _set(0, 10**9), "outside"),
    ("timetable/trips", "service_idx", _set(0, 10**6), "service_idx"),
    ("timetable/trips", "shape_idx", _set(0, -7), "shape_idx"),
    ("timetable/stop_patterns", "pos", _set(0, 999), "pos"),
    ("timetable/footpaths", "duration", _set(0, -5), "duration"),
    ("timetable/footpaths", "to", _set(0, 10**6), "'to'"),
    ("timetable/stop_id_index", "stop_id", _swap(0, 1), "ascending"),
    ("timetable/stops", "parent_idx", _set(0, 10**6), "parent_idx"),
    ("streets/segments", "u", _set(3, 10**7), "row 3"),
    ("streets/segments", "walk_ms", _set(0, -9), "walk_ms"),
    ("streets/grid", "cell", _swap(0, 1), "ascending"),
    ("streets/grid", "segments", _set(5, 10**7), "row 5"),
    ("streets/topology", "chain_offsets", _set(2, lambda a: a[1] - 1), "offsets decrease"),
    ("streets/topology", "chain_a", _set(0, 10**7), "chain_a"),
    ("streets/topology", "junction_node", _set(0, -1), "junction_node"),
    ("streets/stop_links", "walk_segment", _set(0, 10**7), "walk_segment"),
    ("streets/stop_links", "walk_t", _set(slice(None), 2.0), "walk_t"),
    ("streets/walk_ch_up", "edge", _set(0, 10**7), "edge"),
    ("streets/walk_ch_up", "to", _set(0, 10**7), "'to'"),
    ("streets/walk_ch_down", "cost_ms", _set(0, -1), "cost_ms"),
    ("streets/walk_junctions", "fwd_ms", _set(0, -1), "fwd_ms"),
    ("streets/walk_junctions", "fwd_off", _set(1, 10**7), "fwd_off"),
    ("streets/walk_junctions", "fwd_entry_stop", _set(0, 10**6), "fwd_entry_stop"),
    ("streets/walk_junctions", "link_seg", _set(0, lambda a: a[0] + 1), "link_seg"),
    ("streets/walk_junctions", "shift", _set(0, 99), "shift"),
    ("streets/bike_junctions", "stop_conn_ms", _set(0, -3), "stop_conn_ms"),
    ("streets/meta", "grid_cell_m", _set(0, 0.0), "grid_cell_m"),
    ("streets/nodes", "lat", _set(0, float("nan")), "lat"),
    ("geocoder/tokens", "token", _swap(0, 1), "ascending"),
    ("geocoder/tokens", "docs", _set(0, 10**7), "docs"),
    ("geocoder/ngrams", "ngram", _swap(0, 1), "ascending"),
    ("geocoder/docs", "city_idx", _set(0, 10**6), "city_idx"),
    ("geocoder/docs", "tokens", _set(0, -2), "tokens"),
    ("geocoder/docs", "type", _set(0, 9), "type"),
    ("geocoder/docs", "hn_count", _set(0, 10**8), "hn_first"),
    ("geocoder/housenumbers", "suffix", _set(0, 999), "suffix"),
    ("geocoder/grid_points", "ref", _set(0, 10**8), "ref"),
    ("geocoder/grid_cells", "cell", _set(-1, lambda a: a[-2] + 1), "sentinel"),
    ("geocoder/grid_cells", "start", _set(0, 3), "start"),
]


@pytest.mark.parametrize("name,column,change,fragment", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_each_invariant_is_checked_when_the_table_is_mapped(bundle: Path, name, column, change,
                                                           fragment) -> None:
    _edit(bundle, name, column, change)
    opened = open_bundle(bundle)                          # opening checks sizes only
    with pytest.raises(BundleError) as info:
        opened.table(name)
    message = str(info.value)
    assert f"{name}.arrow" in message and fragment in message, message
    assert name not in opened._tables                     # never handed out
    assert main(["verify", str(bundle)]) == 2


def test_cyclic_shortcuts_are_refused(bundle: Path) -> None:
    name = "streets/walk_ch_shortcuts"
    table = _read(bundle / f"{name}.arrow")
    if table.num_rows < 2:
        pytest.skip("the sample's walk hierarchy has fewer than two shortcuts")
    a = np.array(table.column("child_a").to_numpy())
    a[0], a[1] = 1, 0                                     # 0 -> 1 -> 0
    _resign(bundle, name, table.set_column(0, "child_a", pa.array(a, pa.int32())))
    with pytest.raises(BundleError, match="cyclic"):
        open_bundle(bundle).table(name)


def test_unsorted_house_numbers_name_the_document(bundle: Path) -> None:
    """The row named is the document whose house-number range is out of order."""
    docs = _read(bundle / "geocoder/docs.arrow")
    first = docs.column("hn_first").to_numpy()
    count = docs.column("hn_count").to_numpy()
    candidates = np.flatnonzero(count > 1)
    assert len(candidates) > 2
    # a street with a single house number before it (valid; common in real data)
    _edit(bundle, "geocoder/docs", "hn_count", _set(int(candidates[0]), 1))
    doc = int(candidates[len(candidates) // 2])
    r = int(first[doc])
    _edit(bundle, "geocoder/housenumbers", "number", _swap(r, r + 1))
    numbers = _read(bundle / "geocoder/housenumbers.arrow").column("number").to_numpy()
    assert numbers[r + 1] < numbers[r], "the swap must break the order"
    with pytest.raises(BundleError, match=rf"'hn_first' row {doc}: house numbers not sorted "
                                          rf"at housenumbers row {r + 1}"):
        open_bundle(bundle).table("geocoder/docs")


def test_checking_every_table_imports_no_heavy_module(bundle: Path) -> None:
    """The checks run on the query side: numpy and pyarrow's core only (pyarrow.compute costs
    ~70 ms to import, scipy more). pandas is hidden: where it is installed (the dask extra),
    pyarrow itself imports it, and pandas pyarrow.compute, on any array conversion."""
    import subprocess
    import sys

    script = ("import sys\nsys.modules['pandas'] = None\n"
              "from engine.bundle.reader import open_bundle\nb = open_bundle(sys.argv[1])\n"
              "for name in b.manifest['tables']:\n    b.table(name)\n"
              "print(sorted(m for m in ('pyarrow.compute', 'scipy') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(bundle)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", proc.stdout


def test_reading_every_table_does_not_import_pandas(bundle: Path) -> None:
    """Where pandas is installed, pyarrow's to_numpy / to_pandas_dtype import it (0.35-0.8 s
    paid by the first query of a worker): checks and numeric views read the buffers instead."""
    import subprocess
    import sys

    script = ("import sys\nimport pyarrow as pa\nfrom engine.bundle.reader import open_bundle\n"
              "b = open_bundle(sys.argv[1])\n"
              "for name in b.manifest['tables']:\n"
              "    t = b.table(name)\n"
              "    for f in t.schema:\n"
              "        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type):\n"
              "            b.column(name, f.name)\n"
              "        elif pa.types.is_list(f.type):\n"
              "            b.csr(name, f.name)\n"
              "print('pandas' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(bundle)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "False", proc.stdout
