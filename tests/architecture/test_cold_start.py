"""Instant start: a fresh process with an empty, read-only Numba cache opens a bundle and answers
every kind of query without compiling anything (every query-time loop is compiled at install).

The check is that Numba is never even imported (so no dispatcher can compile a signature), and
that opening maps no table at all: each is mapped (and checked) by the first query needing it.
No time is asserted: start-up speed is measured by benchmarks/cold_start.py.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, sys
import engine
net = engine.open(sys.argv[1])
opened = {"numba": "numba" in sys.modules, "tables": sorted(net.bundle._tables)}
tt = net.timetable
day = net.manifest["timetable"]["period"]["start"]
net.plan(tt.stop_id(0), tt.stop_id(len(tt.stop_lat) // 2), date="2026-03-03", time="08:00")
g = net.streets.graph
lat, lon = float(g.node_lat[0]), float(g.node_lon[0])
lat2, lon2 = float(g.node_lat[g.n_nodes // 2]), float(g.node_lon[g.n_nodes // 2])
net.plan((lat, lon), (lat2, lon2), date="2026-03-03", time="08:00")
net.plan((lat, lon), (lat2, lon2), date="2026-03-03", time="09:00", arrive_by=True)
for mode in ("walk", "bike", "car"):
    try:
        net.route(lat, lon, lat2, lon2, mode=mode)
    except engine.errors.EngineError:
        pass
    net.streets.stops_within(lat, lon, mode, 900)
    net.streets.stops_within(lat, lon, mode, 900, reverse=True)
net.geocode("rue victor hugo", limit=5)
net.geocode("gare centr", autocomplete=True, lat=lat, lon=lon)
net.reverse(lat, lon)
net.departures(tt.stop_id(0), date="2026-03-03", time="08:00")
print(json.dumps({"opened": opened, "numba_after_queries": "numba" in sys.modules}))
"""


def test_fresh_process_compiles_nothing(sample_bundle: Path, tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    cache.chmod(0o555)                   # empty and read-only, as in a Docker image
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(sample_bundle)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["opened"]["numba"] is False
    assert out["numba_after_queries"] is False, "a query imported Numba (a JIT compile at query time)"
    assert not [t for t in out["opened"]["tables"] if t.startswith(("streets/", "geocoder/"))], \
        f"opening read street/geocoder tables: {out['opened']['tables']}"
    assert out["opened"]["tables"] == [], "opening mapped tables (each is mapped on first use)"
    assert list(cache.iterdir()) == []


def test_the_command_line_loads_no_numpy_before_a_command_runs():
    """`brique --help`, and the `brique serve` launcher before it forks its workers, must not pay
    for numpy, pyarrow or the kernels: engine.cli adds the matrix command without loading the
    accessibility package (its names are loaded on first use)."""
    import subprocess
    import sys

    script = ("import sys\nimport engine.cli\nengine.cli.build_parser()\n"
              "print(sorted(m for m in ('numpy', 'pyarrow', 'engine._core', 'engine._isochrone') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", proc.stdout
