"""dask is an optional extra: only engine.distributed imports it, and without it that import
says how to install it. Runs whether or not dask is installed."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASK = ("dask", "distributed")


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module or "")
    return names


def test_only_engine_distributed_imports_dask():
    bad = [f"{f.relative_to(ROOT)} imports {name}"
           for f in sorted((ROOT / "engine").rglob("*.py")) + sorted((ROOT / "server").rglob("*.py"))
           if f != ROOT / "engine/distributed.py"
           for name in _imported(f) if name.split(".")[0] in DASK]
    assert not bad


def test_without_dask_the_import_error_says_what_to_install():
    code = ("import sys\nsys.modules['distributed'] = None\nsys.modules['dask'] = None\n"
            "try:\n    import engine.distributed\nexcept ImportError as exc:\n    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'pip install ".[dask]"' in proc.stdout


def test_a_matrix_on_one_process_loads_no_dask(sample_bundle):
    code = ("import json, sys, engine\n"
            "net = engine.open(sys.argv[1])\n"
            "net.travel_time_matrix(['briqueville:GARE'], 'stops', date='2026-03-03', time='08:00', threads=1)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(sample_bundle)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
