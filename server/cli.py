"""The `brique` command with `brique serve BUNDLE`: run the HTTP server with uvicorn (one bundle
opened per worker).

``main`` is the installed ``brique`` script (and ``python -m server``): it adds ``serve`` to the
engine's commands (``engine.cli``) and runs them, so the engine never imports the server while
every command, ``serve`` included, parses and reports errors the same way. Importing this module
loads neither FastAPI nor uvicorn: ``brique plan`` works without the ``server`` extra.
"""
from __future__ import annotations

import importlib.util
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from engine import errors
from engine.bundle.manifest import read_manifest


def serve(bundle: str, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          log_level: str = "warning", access_log: bool = False) -> None:
    """Serve ``bundle`` with ``workers`` processes, each opening the bundle (mmap: pages shared).

    Several workers each bind their own SO_REUSEPORT socket, so the kernel spreads connections
    over them evenly. With uvicorn's own multi-process mode all workers accept from one shared
    socket, and under load one worker often grabbed most connections (measured: half the
    throughput of two balanced workers, and a longer tail).
    """
    path = Path(bundle)
    # fail fast, with a clear message, before starting workers; a light check (no pyarrow):
    # each worker opens the bundle fully, in parallel
    read_manifest(path)
    if not 1 <= workers <= 64:
        raise ValueError("workers must be in 1..64")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be in 0..65535, got {port}")
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
    _supervise(lambda: ctx.Process(target=_run_worker, args=(_bind, options), daemon=False), workers)


#: A worker that dies is replaced, at most this many times in any RESTART_WINDOW_S seconds; past
#: that something is wrong with every worker (bundle, memory) and the server stops, saying why.
MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
#: Exit status of a worker that refuses its settings (sysexits' EX_CONFIG): not restarted.
EX_CONFIG = 78
#: uvicorn's log levels (uvicorn.config.LOG_LEVELS), listed here so that parsing imports no uvicorn.
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _supervise(new_worker, workers: int) -> None:
    """Start ``workers`` processes and keep that many running until SIGINT/SIGTERM.

    A worker that exits (killed by the OOM killer, a crash in a native library) is replaced by a
    new one on the same port; its connections in flight are lost, the other workers keep
    answering. More than MAX_RESTARTS replacements within RESTART_WINDOW_S: stop everything
    and exit with a message.
    """
    procs = [new_worker() for _ in range(workers)]
    for proc in procs:
        proc.start()
    stop = threading.Event()
    restarts: list[float] = []
    failure = None

    def terminate(*_):
        stop.set()

    previous = {sig: signal.signal(sig, terminate) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.2):
            for i, proc in enumerate(procs):
                if proc.is_alive():
                    continue
                if proc.exitcode == EX_CONFIG:     # a bad BRIQUE_* setting: every new worker would refuse it too
                    failure = "brique serve: invalid configuration (see above); stopping"
                    stop.set()
                    break
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < RESTART_WINDOW_S] + [now]
                status = _describe_exit(proc.exitcode)
                if len(restarts) > MAX_RESTARTS:
                    failure = (f"brique serve: workers exited {len(restarts)} times within "
                               f"{RESTART_WINDOW_S:g} s (last: pid {proc.pid}, {status}); giving up")
                    stop.set()
                    break
                print(f"brique serve: worker pid {proc.pid} exited ({status}); starting a new one",
                      file=sys.stderr, flush=True)
                proc.join(0)
                procs[i] = new_worker()
                procs[i].start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
    if failure:
        raise SystemExit(failure)


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


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


def uvicorn_config(app, settings=None, **options):
    """The uvicorn.Config of a Brique server: bounded connections (server/protocol.py), no
    server header, the keep-alive timeout and request-head limits from ``settings``."""
    import uvicorn

    from .settings import Settings

    settings = settings or Settings()
    try:
        from .protocol import protocol_class

        http = protocol_class(settings.head_timeout_s, settings.max_head_bytes)
    except ImportError:                          # no httptools: uvicorn's h11 protocol, size-capped
        http = "h11"
    options.setdefault("log_level", "warning")
    return uvicorn.Config(app, http=http, server_header=False, proxy_headers=False,
                          timeout_keep_alive=settings.keep_alive_s,
                          h11_max_incomplete_event_size=settings.max_head_bytes, **options)


def _raise_fd_limit() -> None:
    """Soft RLIMIT_NOFILE up to the hard limit: idle sockets then cost memory, not refusals."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):
        pass


def check_settings() -> None:
    """Read the BRIQUE_* settings now: a bad one is a one-line ValueError naming the variable,
    not a traceback from inside uvicorn's app factory."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from .settings import Settings

    try:
        Settings()
    except ValidationError as exc:
        problems = "; ".join(f"BRIQUE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"invalid server setting: {problems}") from None
    except SettingsError as exc:                 # a list setting that is not JSON
        raise ValueError(f"invalid server setting: {exc} (list settings are JSON, e.g. "
                         "BRIQUE_CORS_ORIGINS='[\"https://example.org\"]')") from None


def _run_worker(bind, options: dict) -> None:
    """One uvicorn server process; ``bind(host, port)`` gives its own socket (None: uvicorn binds)."""
    try:
        check_settings()
    except ValueError as exc:
        if bind is None:                  # in the brique process itself: it reports the error
            raise
        print(f"brique serve: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(EX_CONFIG) from None
    import uvicorn

    _raise_fd_limit()
    server = uvicorn.Server(uvicorn_config(APP, factory=True, **options))
    if bind is None:
        server.run()
    else:
        server.run(sockets=[bind(options["host"], options["port"])])


def add_serve_command(sub) -> None:
    """Add ``serve`` to the ``brique`` subcommands (``sub``: argparse subparsers)."""
    p = sub.add_parser("serve", help="serve a bundle over HTTP (JSON API + map page)")
    p.add_argument("bundle")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="worker processes (each maps the same bundle)")
    p.add_argument("--log-level", default="warning", choices=LOG_LEVELS)
    p.add_argument("--access-log", action="store_true")
    p.add_argument("--realtime", action="append", default=[], metavar="URL_OR_FILE",
                   help="GTFS-Realtime feed (TripUpdates, Alerts) polled and applied by every worker; repeatable")
    p.add_argument("--realtime-interval", type=float, default=30.0, metavar="S", help="seconds between polls")
    p.add_argument("--realtime-feed", default="", help="the bundle's GTFS feed the realtime ids belong to")
    p.add_argument("--realtime-push", action="store_true", help="accept POST /v1/realtime (off by default)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    # found, not imported: the workers import them (in parallel), the parent never needs them
    missing = [name for name in ("fastapi", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"brique: error: the server needs its extra: pip install 'brique[server]' "
              f"(missing: {', '.join(missing)})", file=sys.stderr)
        return 1
    if args.realtime or args.realtime_push:
        # the workers read these (server/settings.py); each polls the feeds itself
        os.environ["BRIQUE_REALTIME"] = " ".join(args.realtime)
        os.environ["BRIQUE_REALTIME_INTERVAL_S"] = str(args.realtime_interval)
        os.environ["BRIQUE_REALTIME_FEED"] = args.realtime_feed
        os.environ["BRIQUE_REALTIME_PUSH"] = "1" if args.realtime_push else "0"
        if args.realtime_push and not os.environ.get("BRIQUE_REALTIME_SPOOL"):
            import tempfile

            os.environ["BRIQUE_REALTIME_SPOOL"] = os.path.join(tempfile.mkdtemp(prefix="brique-rt-"), "push.pb")
    serve(args.bundle, host=args.host, port=args.port, workers=args.workers, log_level=args.log_level,
          access_log=args.access_log)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``brique [command] ...``: the engine's commands plus ``serve``."""
    from engine.cli import main as brique

    return brique(argv, commands=(add_serve_command,))


if __name__ == "__main__":
    raise SystemExit(main())
