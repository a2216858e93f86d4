"""Progress of `brique build`, one bar per stage, on stderr.

BUILD TIME, CLI only. The loaders stream their inputs and report nothing while they do, so the
bar does not hook into them (no callback in a hot loop, no slower build): a background thread
wakes twice a second and reads what the process has read so far (``rchar`` of /proc/self/io)
against the size of the stage's inputs, plus the elapsed time and the resident memory. A stage
that reads no input (timetable, writing) shows elapsed time and memory only. On a terminal the
bar is redrawn in place; in a log, one line every ``log_every_s`` seconds. The build report
printed at the end is not touched.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

WIDTH = 24


def input_bytes(paths: Iterable[str | os.PathLike]) -> int:
    """Total size of files and folders (a GTFS folder: all its files)."""
    total = 0
    for path in map(Path, paths):
        if path.is_dir():
            total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        elif path.exists():
            total += path.stat().st_size
    return total


#: The GTFS and address loaders read each input twice (a streaming check of the input limits,
#: then the parse): measured 2.1x and 2.0x the input size on the generated national inputs.
READ_PASSES = 2


def stage_inputs(gtfs: Iterable[str | os.PathLike], addresses: Iterable[str | os.PathLike]) -> dict[str, int]:
    """Bytes each stage of engine.build reads (its bar); the street graph and the timetable get
    no bar (pyosmium's passes are not ours to count; the timetable reads nothing)."""
    return {"reading GTFS": READ_PASSES * input_bytes(gtfs),
            "building geocoder index": READ_PASSES * input_bytes(addresses)}


def _bytes_read() -> int | None:
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


class StageProgress:
    """``progress(stage)`` callback for engine.build: ends the previous stage (a line with its
    time) and shows the new stage's bar until the next call, ``close()`` (the build succeeded) or
    ``abort()`` (it failed: the bar is cleared, no line claims the stage finished). Every line
    starts with ``[elapsed]``, as the stage lines always did (what tests and scripts filter)."""

    def __init__(self, stage_inputs: dict[str, int], out: TextIO = sys.stderr, interval_s: float = 0.5,
                 log_every_s: float = 15.0, clock: Callable[[], float] = time.perf_counter):
        self.stage_inputs, self.out, self.interval_s, self.clock = stage_inputs, out, interval_s, clock
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self.log_every_s = log_every_s
        self.started = clock()
        self.stage: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, stage: str) -> None:
        self._end_stage(finished=True)
        with self._lock:
            self.stage, self.stage_started, self.read0 = stage, self.clock(), _bytes_read()
            self._last_log = self.stage_started
            print(f"{self._stamp()} {stage}...", file=self.out, flush=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, args=(self._stop,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        """The build returned: end the last stage's line."""
        self._end_stage(finished=True)

    def abort(self) -> None:
        """The build failed: stop the bar and clear it, print nothing (the error follows)."""
        self._end_stage(finished=False)

    def line(self) -> str:
        """The current stage's status:
        ``[  40.2s] reading GTFS [#######-----]  58% 1.20/2.10 GB read  34 s  RSS 3.10 GB``."""
        parts = [f"{self._stamp()} {self.stage}"]
        total, now = self.stage_inputs.get(self.stage or "", 0), _bytes_read()
        if total > 0 and now is not None and self.read0 is not None:
            done = min(max(now - self.read0, 0), total)
            filled = int(WIDTH * done / total)
            parts.append(f"[{'#' * filled}{'-' * (WIDTH - filled)}] {100 * done / total:3.0f}% "
                         f"{done / 1e9:.2f}/{total / 1e9:.2f} GB read")
        parts.append(f"{self.clock() - self.stage_started:.0f} s")
        rss = _rss_mb()
        if rss is not None:
            parts.append(f"RSS {rss / 1024:.2f} GB")
        return "  ".join(parts)

    def _stamp(self) -> str:
        return f"[{self.clock() - self.started:6.1f}s]"

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval_s):
            with self._lock:
                if self.tty:
                    self.out.write("\r" + self.line() + "\033[K")
                    self.out.flush()
                elif self.clock() - self._last_log >= self.log_every_s:
                    print(self.line(), file=self.out, flush=True)
                    self._last_log = self.clock()

    def _end_stage(self, finished: bool) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        with self._lock:
            clear = "\r\033[K" if self.tty else ""
            if not finished:
                self.out.write(clear)
                self.out.flush()
                return
            rss, now = _rss_mb(), _bytes_read()
            memory = f", RSS {rss / 1024:.2f} GB" if rss is not None else ""
            read = (f", {(now - self.read0) / 1e9:.2f} GB read"
                    if now is not None and self.read0 is not None and self.stage_inputs.get(self.stage or "") else "")
            print(f"{clear}{self._stamp()} {self.stage} done: {self.clock() - self.stage_started:.1f} s{read}{memory}",
                  file=self.out, flush=True)
