"""`brique serve BUNDLE`: run the HTTP server with uvicorn (one bundle opened per worker)."""
from __future__ import annotations

import os
from pathlib import Path

from engine import errors


def serve(bundle: str, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          log_level: str = "warning", access_log: bool = False) -> None:
    """Serve ``bundle``; ``workers > 1`` runs uvicorn's multi-process mode (bundle path by env)."""
    import uvicorn

    path = Path(bundle)
    if not (path / "manifest.json").is_file():
        raise errors.BundleError(f"{bundle}: not a bundle directory (no manifest.json)")
    if not 1 <= workers <= 64:
        raise ValueError("workers must be in 1..64")
    os.environ["BRIQUE_BUNDLE"] = str(path.resolve())
    uvicorn.run("server.main:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=access_log, server_header=False)


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
    serve(args.bundle, args.host, args.port, args.workers, args.log_level, args.access_log)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
