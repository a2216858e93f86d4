"""`brique serve --workers 2`: both SO_REUSEPORT workers answer, a taken port is a one-line error
(never a second server silently sharing the port), SIGTERM stops every process, and a worker
killed under load is replaced while the other keeps answering."""
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
    return subprocess.Popen([sys.executable, "-m", "server", "serve", str(bundle), "--port", str(port),
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
    """Live uvicorn worker processes of the server (not multiprocessing's resource tracker)."""
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
    pids = set()
    for pid in map(int, out.split()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            cmdline = b"spawn_main"                  # no /proc: count every child
        if b"resource_tracker" not in cmdline and _running(pid):
            pids.add(pid)
    return pids


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


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="SO_REUSEPORT not available here")
def test_a_killed_worker_is_replaced_while_the_other_keeps_answering(sample_bundle):
    """SIGKILL one of two workers under a bounded request loop: requests keep succeeding (a
    request on the killed worker's connections may fail once; never two in a row), the parent
    starts a new worker, and the server answers through both again."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(sample_bundle, port, 2)
    try:
        _wait_health(base, proc)
        before = _worker_pids(proc)
        assert len(before) == 2
        victim = min(before)
        ok = failed = consecutive = worst = 0
        killed_at = None
        replaced = set()
        deadline = time.monotonic() + 60
        for i in range(3000):                     # bounded loop; stops once the new worker answered
            if i == 20:
                os.kill(victim, signal.SIGKILL)
                killed_at = i
            try:
                _get(base + "/v1/geocode/autocomplete?q=victor%20hu&limit=1")
                ok += 1
                consecutive = 0
            except OSError:
                failed += 1
                consecutive += 1
                worst = max(worst, consecutive)
            if killed_at is not None and i % 10 == 0:
                replaced = _worker_pids(proc) - before
                if replaced and i > killed_at + 50:
                    break
            assert proc.poll() is None, "the parent exited when a worker died"
            assert time.monotonic() < deadline, "no new worker within 60 s"
        assert replaced, "no new worker was started"
        assert victim not in _worker_pids(proc) and len(_worker_pids(proc)) == 2
        assert worst <= 1 and failed <= 3, (ok, failed)
        # the new worker answers too: fresh connections spread over both workers
        for _ in range(20):
            assert _get(base + "/health")["status"] == "ok"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert "starting a new one" in err and "SIGKILL" in err


def test_workers_dying_too_often_stop_the_server_with_a_message(monkeypatch):
    """Past MAX_RESTARTS replacements in RESTART_WINDOW_S the supervisor gives up, saying why."""
    from server import cli

    class Dies:
        pid = 4242
        exitcode = 3
        started = 0

        def start(self):
            Dies.started += 1

        def is_alive(self):
            return False

        def join(self, timeout=None):
            pass

        def terminate(self):
            pass

    with pytest.raises(SystemExit) as exc:
        cli._supervise(Dies, 2)
    assert "giving up" in str(exc.value) and "exit status 3" in str(exc.value)
    assert Dies.started == 2 + cli.MAX_RESTARTS
