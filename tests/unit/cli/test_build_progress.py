"""`brique build` progress (engine.build_progress): one line per stage with its time, a bar of
the stage's input read so far, nothing added to the build report."""
from __future__ import annotations

import io
import re
from pathlib import Path

from engine.build_progress import StageProgress, input_bytes, stage_inputs


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_stage_gets_a_start_line_and_an_end_line_with_its_time() -> None:
    out, clock = io.StringIO(), Clock()
    progress = StageProgress({}, out=out, interval_s=60, clock=clock)
    progress("reading GTFS")
    clock.now += 2.5
    progress("writing bundle")
    clock.now += 0.25
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "[   0.0s] reading GTFS..."
    assert re.fullmatch(r"\[   2\.5s\] reading GTFS done: 2\.5 s(, RSS \d+\.\d\d GB)?", lines[1]), lines[1]
    assert lines[2] == "[   2.5s] writing bundle..."
    assert re.fullmatch(r"\[   2\.8s\] writing bundle done: 0\.2 s(, RSS \d+\.\d\d GB)?", lines[3]), lines[3]
    assert len(lines) == 4
    progress.close()                       # idempotent: nothing more
    assert len(out.getvalue().splitlines()) == 4


def test_the_bar_shows_the_share_of_the_stage_input_read(tmp_path: Path) -> None:
    data = tmp_path / "feed"
    data.mkdir()
    (data / "stop_times.txt").write_bytes(b"x" * 3_000_000)
    total = input_bytes([data])
    assert total == 3_000_000
    progress = StageProgress({"reading GTFS": total}, out=io.StringIO(), interval_s=60)
    progress("reading GTFS")
    (data / "stop_times.txt").read_bytes()            # the stage reads its input
    line = progress.line()
    progress.close()
    if Path("/proc/self/io").exists():
        match = re.search(r"\[#{24}\]\s+100% 0\.00/0\.00 GB read", line)    # capped at 100 %
        assert match, line
    assert "reading GTFS" in line and " s" in line


def test_a_stage_without_input_shows_time_only() -> None:
    progress = StageProgress({"reading GTFS": 10}, out=io.StringIO(), interval_s=60)
    progress("building timetable")
    line = progress.line()
    progress.close()
    assert "#" not in line and "%" not in line and "building timetable" in line


def test_stage_inputs_count_both_passes_of_the_loaders(tmp_path: Path) -> None:
    feed, addresses = tmp_path / "feed", tmp_path / "ban.csv.gz"
    feed.mkdir()
    (feed / "stops.txt").write_bytes(b"x" * 100)
    addresses.write_bytes(b"y" * 40)
    sizes = stage_inputs([feed], [addresses])
    assert sizes == {"reading GTFS": 200, "building geocoder index": 80}


def test_a_failed_build_gets_no_done_line() -> None:
    out = io.StringIO()
    progress = StageProgress({}, out=out, interval_s=60)
    progress("reading GTFS")
    progress.abort()                       # the CLI's error line follows, alone
    assert out.getvalue().splitlines() == [out.getvalue().splitlines()[0]]
    assert out.getvalue().startswith("[") and "reading GTFS..." in out.getvalue()
