"""Builds that cannot half-happen: killed builds, concurrent builds, interrupted swaps, stale
temp directories, inputs changed during a build."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import engine
from engine.bundle import writer
from engine.bundle.integrity import verify_bundle
from engine.bundle.reader import open_bundle
from engine.errors import BuildError, BundleError


def _inputs(sample_paths) -> list[str]:
    return ["--gtfs", str(sample_paths.gtfs), "--osm", str(sample_paths.osm),
            "--addresses", str(sample_paths.addresses)]


def _cli_build(out: Path, sample_paths) -> subprocess.Popen:
    env = dict(os.environ, NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", "/tmp/brique-numba-fuzz"))
    return subprocess.Popen([sys.executable, "-m", "engine", "build", str(out), *_inputs(sample_paths)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)


def _answers(path: Path) -> list:
    net = engine.open(path)
    tt = net.timetable
    date = net.manifest["timetable"]["period"]["start"]
    g = net.streets.graph
    a, b = (float(g.node_lat[0]), float(g.node_lon[0])), (float(g.node_lat[g.n_nodes // 2]),
                                                           float(g.node_lon[g.n_nodes // 2]))
    return [net.plan(tt.stop_id(0), tt.stop_id(len(tt.stop_lat) // 2), date=date, time="08:00").to_dict(),
            net.route(*a, *b).to_dict(),
            [p.to_dict() for p in net.geocode(tt.stop_name(1), limit=3)]]


def _siblings(out: Path) -> list[Path]:
    return sorted(p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.") and p.is_dir())


@pytest.fixture()
def built(sample_bundle: Path, tmp_path: Path) -> Path:
    out = tmp_path / "city.bundle"
    shutil.copytree(sample_bundle, out)
    return out


def test_killed_builds_leave_the_previous_bundle(built: Path, sample_paths) -> None:
    """SIGKILL `brique build` after a random delay (seeded), 10 times: the output path always
    holds a complete bundle answering as before, and a leftover directory is never a partial
    bundle that opens; the next build removes the leftovers."""
    reference = _answers(built)
    start = time.perf_counter()
    proc = _cli_build(built, sample_paths)            # one full build, to know how long one takes
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    duration = time.perf_counter() - start
    assert _answers(built) == reference
    rng = random.Random(16)
    for _ in range(10):
        proc = _cli_build(built, sample_paths)
        time.sleep(rng.uniform(0.0, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert verify_bundle(built) == []             # complete, every file as recorded
        assert _answers(built) == reference
        for leftover in _siblings(built):
            if (leftover / "manifest.json").is_file():
                assert verify_bundle(leftover) == [], f"{leftover} is a partial bundle with a manifest"
            else:
                with pytest.raises(BundleError):
                    open_bundle(leftover)
    engine.build(built, gtfs=[sample_paths.gtfs], osm=sample_paths.osm, addresses=[sample_paths.addresses])
    assert _siblings(built) == []
    assert _answers(built) == reference


def test_a_second_build_to_a_busy_path_fails_clearly(built: Path, sample_paths) -> None:
    before = (built / "manifest.json").read_text()
    with writer.output_lock(built.resolve()):       # a build in progress holds this lock
        proc = _cli_build(built, sample_paths)
        assert proc.wait(timeout=300) == 2          # a build error: one line, status 2
        assert "path is busy" in proc.stderr.read()
    assert (built / "manifest.json").read_text() == before
    assert _siblings(built) == []


def test_two_builds_at_once_one_wins_cleanly(built: Path, sample_paths) -> None:
    procs = [_cli_build(built, sample_paths) for _ in range(2)]
    codes = [p.wait(timeout=300) for p in procs]
    errors = [p.stderr.read() for p in procs]
    assert 0 in codes
    for code, err in zip(codes, errors):
        assert code == 0 or "path is busy" in err, err
    assert verify_bundle(built) == []
    assert _siblings(built) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_replacing_a_bundle_swaps_it_whole(built: Path, sample_paths, monkeypatch, exchange) -> None:
    if not exchange:
        monkeypatch.setattr(writer, "_exchange", lambda a, b: False)
    reference = _answers(built)
    held = open_bundle(built)                        # a reader of the old bundle, mapped
    held.table("timetable/stop_times")
    engine.build(built, gtfs=[sample_paths.gtfs], osm=sample_paths.osm, addresses=[sample_paths.addresses])
    assert held.table("timetable/stop_times").num_rows > 0
    assert verify_bundle(built) == [] and _answers(built) == reference
    assert _siblings(built) == []


def test_a_crash_between_the_two_renames_is_recovered(built: Path, sample_paths) -> None:
    """Without renameat2: killed after `out -> .out.old-*`, before `tmp -> out`. The next open
    renames the previous bundle back; the next build removes the new one's temp directory."""
    reference = _answers(built)
    old = built.with_name(f".{built.name}.old-abcd1234")
    os.rename(built, old)
    partial = built.with_name(f".{built.name}.build-efgh5678.tmp")
    shutil.copytree(old, partial)
    assert _answers(built) == reference              # open recovered it
    assert not old.exists() and partial.exists()
    engine.build(built, gtfs=[sample_paths.gtfs], osm=sample_paths.osm, addresses=[sample_paths.addresses])
    assert _siblings(built) == []


def test_stale_temp_directories_are_removed_by_the_next_build(built: Path, sample_paths) -> None:
    for name in (f".{built.name}.build-0000aaaa.tmp", f".{built.name}.old-0000bbbb"):
        (built.parent / name / "timetable").mkdir(parents=True)
        (built.parent / name / "timetable" / "stops.arrow").write_bytes(b"partial")
    other = built.parent / ".other.bundle.build-0000cccc.tmp"     # another output's: kept
    other.mkdir()
    engine.build(built, gtfs=[sample_paths.gtfs], osm=sample_paths.osm, addresses=[sample_paths.addresses])
    assert _siblings(built) == []
    assert other.exists()


def test_an_input_changed_during_the_build_fails_and_keeps_the_bundle(built: Path, sample_paths,
                                                                      tmp_path: Path) -> None:
    addresses = tmp_path / f"copy-{Path(sample_paths.addresses).name}"
    shutil.copyfile(sample_paths.addresses, addresses)
    before = (built / "manifest.json").read_text()

    def progress(stage: str) -> None:
        if stage == "writing bundle":                # everything read: rewrite an input
            addresses.write_bytes(addresses.read_bytes() + b"\n")

    with pytest.raises(BuildError, match=rf"{addresses.name} changed during the build \(size"):
        engine.build(built, gtfs=[sample_paths.gtfs], osm=sample_paths.osm, addresses=[addresses],
                     progress=progress)
    assert (built / "manifest.json").read_text() == before
    assert _siblings(built) == []


def test_manifest_records_size_mtime_and_sha256_of_every_input(built: Path, sample_paths) -> None:
    result = engine.build(built, gtfs=[sample_paths.gtfs], osm=sample_paths.osm,
                          addresses=[sample_paths.addresses])
    inputs = result.manifest["inputs"]
    assert sorted(i["kind"] for i in inputs) == ["addresses", "gtfs", "osm"]
    for entry in inputs:
        path = Path(entry["path"])
        st = path.stat()
        assert entry["size"] == (st.st_size if path.is_file() else entry["size"])
        assert entry["mtime_ns"] >= 0 and len(entry["sha256"]) == 64
    assert next(i for i in inputs if i["kind"] == "gtfs")["feed"]
