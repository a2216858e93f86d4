"""Server test fixtures: a TestClient over create_app (template tests/conftest.py) on the sample
city of the ``engine.testing`` plugin (``sample_bundle``, built once per run), and a live uvicorn
server for the browser test."""
from __future__ import annotations

import socket
from contextlib import contextmanager
import threading
import time

import pytest

pytest.importorskip("fastapi")


@pytest.fixture(scope="session")
def network(sample_network):
    """The plugin's ``sample_network``: the sample city with streets and addresses, as `brique demo`."""
    return sample_network


@pytest.fixture(scope="session")
def app(network, sample_bundle):
    from server.main import create_app
    from server.settings import Settings

    return create_app(Settings(bundle=str(sample_bundle)), network=network)


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def demo():
    from engine.sample import DEMO

    return DEMO


@contextmanager
def serve_in_thread(app, settings=None, with_server: bool = False):
    """Run an ASGI app with uvicorn on a free loopback port in a thread; yields "host:port".

    The connection settings are `brique serve`'s (server.cli.uvicorn_config: request-head
    deadline and size cap, keep-alive timeout), from ``settings`` (default: Settings())."""
    import uvicorn

    from server.cli import uvicorn_config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, settings, host="127.0.0.1", port=port, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield (f"127.0.0.1:{port}", server) if with_server else f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def serve_app():
    """``serve_app(app)``: a context manager serving an ASGI app on loopback (see serve_in_thread)."""
    return serve_in_thread


@pytest.fixture(scope="session")
def live_server(network, sample_bundle):
    """A second app on a free loopback port (uvicorn in a thread); yields its base URL."""
    from server.main import create_app
    from server.settings import Settings

    with serve_in_thread(create_app(Settings(bundle=str(sample_bundle)), network=network)) as address:
        yield f"http://{address}"
