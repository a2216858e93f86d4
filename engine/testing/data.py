"""Where the shared real data sets live (``BRIQUE_DATA``, default ``../shared/data``)."""
from __future__ import annotations

import os
import zipfile
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


def feed_with_files(src: str | os.PathLike, out: str | os.PathLike, files: dict[str, str | bytes]) -> Path:
    """A copy of the zip ``src`` at ``out`` with ``files`` (member name -> content) replacing or
    adding members (tests: one damaged or extra file in an otherwise intact feed)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            if name not in files:
                zout.writestr(name, zin.read(name))
        for name, text in files.items():
            zout.writestr(name, text)
    return Path(out)
