"""Corrupted bundles never crash, hang or silently answer differently.

Seeded cases flip random bytes, truncate, or zero a range of a random file of a bundle (every
file, manifest included), then a worker subprocess opens the damaged copy and runs a plan, a
door-to-door plan, a street route, a stops_within, a geocode and a reverse. Each case must end
in one of:

* ``error``: some query raised a BundleError (the engine refused the damaged data) and every
  other query answered as on the intact bundle;
* ``same``: every answer equals the intact bundle's (the damage hit bytes no query read);
* ``different``: some answer differs (a value changed but stayed in range): allowed only if
  ``brique verify`` reports the damage (exit status 2), which the test checks for every such case.

Never: ``crash`` (the worker died, e.g. a segfault: the worker is restarted and the case
attributed), ``hang`` (no answer within the timeout) or ``unclean`` (an exception that is not an
engine error). Cases run in batches in one worker process (restarted after a crash), so a few
hundred cases take well under a minute. The outcome counts are printed (``pytest -s``).
"""
from __future__ import annotations

import json
import os
import queue
import random
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from engine.testing.data import shared_data_dir

WORKER = Path(__file__).with_name("fuzz_worker.py")
CASE_TIMEOUT_S = 60.0                       # generous: a case takes ~0.05 s; only a hang reaches it
N_CASES = int(os.environ.get("BRIQUE_FUZZ_CASES", "240"))
SEED = int(os.environ.get("BRIQUE_FUZZ_SEED", "16"))
KINDS = ("flip", "truncate", "zero")


def _env() -> dict:
    return dict(os.environ, NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", "/tmp/brique-numba-fuzz"))


def _queries(bundle: Path) -> dict:
    """Query parameters taken from the intact bundle (the same for every damaged copy)."""
    import engine

    net = engine.open(bundle)
    tt, g = net.timetable, net.streets.graph
    n = len(tt.stop_lat)
    a, b = 0, g.n_nodes // 2
    return {
        "stop_a": tt.stop_id(0), "stop_b": tt.stop_id(n // 2),
        "date": net.manifest["timetable"]["period"]["start"],
        "pt_a": [float(g.node_lat[a]), float(g.node_lon[a])],
        "pt_b": [float(g.node_lat[b]), float(g.node_lon[b])],
        "text": tt.stop_name(n // 2),
    }


def _mutate(rng: random.Random, src: Path, dst: Path, kind: str) -> str:
    """A copy of bundle ``src`` at ``dst`` with one file damaged; returns a description."""
    files = sorted(p.relative_to(src) for p in src.rglob("*") if p.is_file())
    target = rng.choice(files)
    for rel in files:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        if rel != target:
            try:
                os.link(src / rel, dst / rel)
            except OSError:
                shutil.copyfile(src / rel, dst / rel)
    data = bytearray((src / target).read_bytes())
    size = len(data)
    if kind == "flip" and size:
        positions = [rng.randrange(size) for _ in range(rng.randint(1, 4))]
        for p in positions:
            data[p] ^= rng.randrange(1, 256)
        what = f"flip at {positions}"
    elif kind == "truncate" and size:
        cut = rng.randrange(size)
        del data[cut:]
        what = f"truncate to {cut}/{size}"
    elif size:
        start = rng.randrange(size)
        length = min(rng.randint(1, 4096), size - start)
        data[start:start + length] = bytes(length)
        what = f"zero [{start}, {start + length})"
    else:
        what = "empty file"
    (dst / target).write_bytes(bytes(data))
    return f"{target}: {what}"


class _Worker:
    """One worker subprocess; ``run`` returns ("done", result), ("crash", rc) or ("hang", None)."""

    def __init__(self, queries: dict):
        self.proc = subprocess.Popen([sys.executable, str(WORKER), json.dumps(queries)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env())
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def run(self, case: str, path: Path):
        self.proc.stdin.write(f"{case} {path}\n")
        self.proc.stdin.flush()
        while True:
            try:
                line = self.lines.get(timeout=CASE_TIMEOUT_S)
            except queue.Empty:
                self.proc.kill()
                self.proc.wait()
                return "hang", None
            if line is None:
                return "crash", self.proc.wait()
            if line.startswith(f"done {case} "):
                return "done", json.loads(line[len(f"done {case} "):])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def _classify(result: dict, reference: dict) -> str:
    if any(v[0] == "unclean" for v in result.values()):
        return "unclean"
    if result == reference:
        return "same"
    differing = [k for k in set(result) | set(reference) if result.get(k) != reference.get(k)]
    if all(result.get(k, ["bundle"])[0] == "bundle" for k in differing):
        return "error"
    return "different"


def _verify_exit_codes(paths: list[Path]) -> dict[str, int]:
    """`brique verify` on every path, in one subprocess (a crash there fails the test too)."""
    if not paths:
        return {}
    script = ("import json, sys, contextlib, io\nfrom engine.cli import main\nout = {}\n"
              "for p in sys.argv[1:]:\n    with contextlib.redirect_stdout(io.StringIO()), "
              "contextlib.redirect_stderr(io.StringIO()):\n        out[p] = main(['verify', p])\n"
              "print(json.dumps(out))\n")
    proc = subprocess.run([sys.executable, "-c", script, *map(str, paths)], capture_output=True, text=True,
                          timeout=600, env=_env())
    assert proc.returncode == 0, f"brique verify crashed ({proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fuzz(bundle: Path, work: Path, seed: int, n_cases: int) -> Counter:
    queries = _queries(bundle)
    rng = random.Random(seed)
    worker = _Worker(queries)
    status, reference = worker.run("ref", bundle)
    assert status == "done", f"the intact bundle gave {status}"
    assert all(v[0] == "ok" for v in reference.values()), reference
    counts: Counter = Counter()
    failures: list[str] = []
    different: dict[Path, str] = {}
    try:
        for i in range(n_cases):
            kind = KINDS[i % len(KINDS)]
            dst = work / f"case{i}"
            what = _mutate(rng, bundle, dst, kind)
            status, result = worker.run(str(i), dst)
            if status != "done":
                outcome = status
                worker = _Worker(queries)              # attribute, restart, go on
            else:
                outcome = _classify(result, reference)
            counts[(kind, outcome)] += 1
            if outcome in ("crash", "hang", "unclean"):
                detail = result if outcome == "unclean" else status
                failures.append(f"case {i} ({what}): {outcome} {str(detail)[:400]}")
            elif outcome == "different":
                different[dst] = what
                continue
            shutil.rmtree(dst, ignore_errors=True)
    finally:
        worker.close()
    codes = _verify_exit_codes(list(different))
    for path, what in different.items():
        if codes.get(str(path)) != 2:
            failures.append(f"{path.name} ({what}): a different answer that `brique verify` did not report")
    summary = {f"{k}/{o}": n for (k, o), n in sorted(counts.items())}
    print(f"\nfuzz {bundle.name} seed={seed}: {n_cases} cases: {json.dumps(summary)}")
    assert not failures, "\n".join(failures[:20])
    # the damage reached the engine: some cases were refused cleanly (a mutation that never
    # landed, or checks that never ran, would leave every case "same")
    assert sum(n for (_, o), n in counts.items() if o == "error") > 0, summary
    return counts


def test_fuzz_sample_bundle(sample_bundle: Path, tmp_path: Path) -> None:
    counts = _fuzz(sample_bundle, tmp_path, seed=SEED, n_cases=N_CASES)
    assert sum(counts.values()) == N_CASES


REAL = shared_data_dir()
CALTRAIN = REAL / "gtfs-us-caltrain" / "caltrain.zip"


@pytest.mark.realdata
@pytest.mark.skipif(not CALTRAIN.is_file(), reason=f"shared data not found: {CALTRAIN} (set BRIQUE_DATA)")
def test_fuzz_real_bundle(sample_paths, tmp_path: Path) -> None:
    """Caltrain's GTFS with the sample's OSM and addresses: real timetable shapes."""
    import engine

    bundle = engine.build(tmp_path / "caltrain.bundle", gtfs=[("caltrain", CALTRAIN)], osm=sample_paths.osm,
                          addresses=[sample_paths.addresses]).path
    counts = _fuzz(bundle, tmp_path / "cases", seed=SEED + 100, n_cases=max(N_CASES // 3, 30))
    assert sum(counts.values()) == max(N_CASES // 3, 30)
