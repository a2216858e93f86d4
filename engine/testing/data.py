"""Where the shared real data sets live (``BRIQUE_DATA``, default ``../shared/data``)."""
from __future__ import annotations

import os
from pathlib import Path


def shared_data_dir() -> Path:
    """Return the folder of real public data sets; it may not exist on every machine."""
    env = os.environ.get("BRIQUE_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2]     # the checkout (engine/testing/data.py)
    for candidate in (here.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return here.parent / "shared" / "data"


def gtfs_feeds() -> list[Path]:
    """Every GTFS zip under the shared data folder, sorted by path."""
    root = shared_data_dir()
    return sorted(root.glob("gtfs-*/*.zip")) if root.is_dir() else []
