"""Slow and idle connections against a live server on 127.0.0.1 (the `brique serve` protocol,
server/protocol.py): hundreds of idle sockets and slow header senders do not stop normal
requests from answering, and the request-head deadline closes them (408 JSON when part of a
request arrived). Protocol-level errors (oversized head, unparseable HTTP) answer JSON too.

Every wait has a deadline; nothing asserts on speed. About 5 s in all.
"""
from __future__ import annotations

import json
import select
import socket
import threading
import time
import urllib.request
from contextlib import contextmanager

import pytest

N_IDLE = 300          # connections that send nothing
N_SLOW = 60           # connections that send a request head a byte at a time, never finishing it


def _budget() -> tuple[int, int]:
    """(idle, slow) sockets to hold, within this process's file descriptor limit (client and
    server ends both live in this process)."""
    try:
        import resource

        from server.cli import _raise_fd_limit

        _raise_fd_limit()
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except ImportError:
        soft = 1024
    room = max(40, (soft - 300) // 2)
    idle = min(N_IDLE, room * 5 // 6)
    return idle, min(N_SLOW, room - idle)


@contextmanager
def _serve(serve_app, network, sample_bundle, **limits):
    """The sample app with these settings on a loopback port, with `brique serve`'s connection
    settings; yields (port, uvicorn server)."""
    from server.main import create_app
    from server.settings import Settings

    settings = Settings(bundle=str(sample_bundle), **limits)
    with serve_app(create_app(settings, network=network), settings, with_server=True) as (address, server):
        yield int(address.rsplit(":", 1)[1]), server


def _wait(condition, seconds: float, message: str, thread=None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline or (thread is not None and not thread.is_alive()):
            pytest.fail(message)
        time.sleep(0.02)


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    return s


def _get(port: int, path: str) -> tuple[int, dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return r.status, json.loads(r.read())


def _trickle(socks: list[socket.socket], byte: bytes = b"a") -> None:
    for s in socks:
        try:
            s.send(byte)
        except OSError:
            pass


def _read_until_closed(s: socket.socket, seconds: float) -> bytes | None:
    """All bytes the server sends before closing the connection, or None if still open at the end."""
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([s], [], [], 0.1)
        if ready:
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                return data
            if not chunk:
                return data
            data += chunk
    return None


def test_idle_and_slow_connections_do_not_starve_requests(serve_app, network, sample_bundle, demo):
    n_idle, n_slow = _budget()
    plan = (f"/v1/plan?from={demo['origin']}&to={demo['destination']}&date={demo['date']}"
            f"&time={demo['time']}")
    idle: list[socket.socket] = []
    slow: list[socket.socket] = []
    with _serve(serve_app, network, sample_bundle, head_timeout_s=60) as (port, server):   # held throughout
        try:
            idle = [_connect(port) for _ in range(n_idle)]
            slow = [_connect(port) for _ in range(n_slow)]
            for s in slow:
                s.send(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            _wait(lambda: len(server.server_state.connections) >= n_idle + n_slow, 20,
                  "the server did not accept every idle/slow connection")
            answered = 0
            for i in range(30):                 # fresh connections, while the others are held
                _trickle(slow)
                status, body = _get(port, ("/health", "/v1/geocode/autocomplete?q=victor%20hu", plan)[i % 3])
                assert status == 200 and body
                answered += 1
            assert answered == 30
            # the held connections are still open: the requests above were served beside them
            assert len(server.server_state.connections) >= n_idle + n_slow
        finally:
            for s in idle + slow:
                s.close()


def test_request_head_deadline_closes_idle_and_slow_connections(serve_app, network, sample_bundle):
    with _serve(serve_app, network, sample_bundle, head_timeout_s=1.0, keep_alive_s=1) as (port, server):
        idle = [_connect(port) for _ in range(40)]
        slow = [_connect(port) for _ in range(20)]
        try:
            for s in slow:
                s.send(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            # keep trickling: bytes arriving must not extend the deadline
            stop = threading.Event()

            def trickle():
                while not stop.wait(0.1):
                    _trickle(slow)

            feeder = threading.Thread(target=trickle, daemon=True)
            feeder.start()
            try:
                for s in idle:                  # closed without a word: no request started
                    assert _read_until_closed(s, 15) == b""
                for s in slow:                  # a JSON 408, then closed
                    answer = _read_until_closed(s, 15)
                    assert answer is not None, "a slow sender was not cut off"
                    head, _, body = answer.partition(b"\r\n\r\n")
                    assert head.startswith(b"HTTP/1.1 408") and b"application/json" in head
                    assert json.loads(body)["error"]["code"] == "request_timeout"
            finally:
                stop.set()
                feeder.join(5)
            _wait(lambda: len(server.server_state.connections) == 0, 10, "connections left open")
            # a kept-alive connection that goes quiet after a response is closed too (keep-alive
            # timeout, 1 s here), and a normal request still answers
            kept = _connect(port)
            kept.send(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = _read_until_closed(kept, 15)
            kept.close()
            assert answer is not None, "a quiet kept-alive connection was not closed"
            assert answer.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in answer
            assert _get(port, "/health")[0] == 200
        finally:
            for s in idle + slow:
                s.close()


def test_protocol_errors_are_json(serve_app, network, sample_bundle):
    with _serve(serve_app, network, sample_bundle, max_head_bytes=8192) as (port, _):
        big = _connect(port)
        big.setblocking(True)
        try:
            big.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 10_000 + b"\r\n\r\n")
        except OSError:
            pass
        big.setblocking(False)
        head, _, body = (_read_until_closed(big, 10) or b"").partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 431"), head
        assert json.loads(body)["error"]["code"] == "headers_too_large"
        garbage = _connect(port)
        garbage.send(b"\x16\x03\x01 not http\r\n\r\n")
        head, _, body = (_read_until_closed(garbage, 10) or b"").partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), head
        assert json.loads(body)["error"]["code"] == "bad_request"
        big.close()
        garbage.close()
        assert _get(port, "/health")[0] == 200
