"""`brique serve BUNDLE`: run the HTTP server with uvicorn (one bundle opened per worker)."""
from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from engine import errors


def serve(bundle: str, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          log_level: str = "warning", access_log: bool = False) -> None:
    """Serve ``bundle`` with ``workers`` processes, each opening the bundle (mmap: pages shared).

    Several workers each bind their own SO_REUSEPORT socket, so the kernel spreads connections
    over them evenly. With uvicorn's own multi-process mode all workers accept from one shared
    socket, and under load one worker often grabbed most connections (measured: half the
    throughput of two balanced workers, and a longer tail).
    """
    path = Path(bundle)
    if not (path / "manifest.json").is_file():
        raise errors.BundleError(f"{bundle}: not a bundle directory (no manifest.json)")
    if not 1 <= workers <= 64:
        raise ValueError("workers must be in 1..64")
    os.environ["BRIQUE_BUNDLE"] = str(path.resolve())
    options = dict(host=host, port=port, log_level=log_level, access_log=access_log)
    # Fail now, in the parent, if the port is taken. The probe binds WITHOUT SO_REUSEPORT: another
    # SO_REUSEPORT server on this port would otherwise silently share it with us.
    _bind(host, port, reuse_port=False).close()
    if workers == 1:
        _run_worker(None, options)
        return
    if not hasattr(socket, "SO_REUSEPORT"):      # not Linux/BSD/macOS: uvicorn's shared socket
        import uvicorn

        uvicorn.run(APP, factory=True, workers=workers, server_header=False, proxy_headers=False, **options)
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_run_worker, args=(_bind, options), daemon=False) for _ in range(workers)]
    for proc in procs:
        proc.start()
    stop = threading.Event()

    def terminate(*_):
        stop.set()

    previous = {sig: signal.signal(sig, terminate) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # A worker that dies takes the server down (with its exit status) rather than silently
        # serving on fewer processes.
        while not stop.wait(0.2) and all(proc.is_alive() for proc in procs):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(10)
    failed = [proc.exitcode for proc in procs if proc.exitcode not in (0, -signal.SIGTERM, None)]
    if failed and not stop.is_set():
        raise SystemExit(f"brique serve: a worker exited with status {failed[0]}")


APP = "server.main:app_from_env"


def _bind(host: str, port: int, reuse_port: bool = True) -> socket.socket:
    """A listening TCP socket, with SO_REUSEPORT unless told otherwise (each worker binds its own)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port and hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise errors.EngineError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    return sock


def _run_worker(bind, options: dict) -> None:
    """One uvicorn server process; ``bind(host, port)`` gives its own socket (None: uvicorn binds)."""
    import uvicorn

    config = uvicorn.Config(APP, factory=True, server_header=False, proxy_headers=False, **options)
    server = uvicorn.Server(config)
    if bind is None:
        server.run()
    else:
        server.run(sockets=[bind(options["host"], options["port"])])


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m server.cli BUNDLE``) until ``brique serve`` is wired."""
    import argparse

    p = argparse.ArgumentParser(prog="brique serve", description=__doc__)
    p.add_argument("bundle")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--log-level", default="warning")
    p.add_argument("--access-log", action="store_true")
    args = p.parse_args(argv)
    try:
        serve(args.bundle, args.host, args.port, args.workers, args.log_level, args.access_log)
    except (errors.EngineError, ValueError) as exc:
        print(f"brique serve: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
