"""`brique serve --workers 2`: both SO_REUSEPORT workers answer, a taken port is a one-line error
(never a second server silently sharing the port), and SIGTERM stops every process."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(bundle, port: int, workers: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "server.cli", str(bundle), "--port", str(port),
                             "--workers", str(workers)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def _wait_health(base: str, proc: subprocess.Popen, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited early: {proc.stderr.read()[-2000:]}")
        try:
            return _get(base + "/health")
        except OSError:
            time.sleep(0.1)
    pytest.fail("server did not answer in time")


def _worker_pids(proc: subprocess.Popen) -> set[int]:
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
    return {int(x) for x in out.split()}


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="SO_REUSEPORT not available here")
def test_two_workers_share_the_port_and_stop_together(sample_bundle):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(sample_bundle, port, 2)
    try:
        assert _wait_health(base, proc)["status"] == "ok"
        workers = _worker_pids(proc)
        assert len(workers) >= 2, "two worker processes expected"
        for _ in range(20):                      # fresh connections through the shared port
            _get(base + "/v1/geocode/autocomplete?q=victor%20hu&limit=1")

        second = _serve(sample_bundle, port, 2)
        out, err = second.communicate(timeout=60)
        assert second.returncode != 0
        assert "Address already in use" in err and "Traceback" not in err
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_running(pid) for pid in workers):
        time.sleep(0.2)
    alive = [pid for pid in workers if _running(pid)]
    assert not alive, f"workers left running: {alive}"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
