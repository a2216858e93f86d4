"""build(): the only place that chains loaders -> builders -> bundle writer (build time)."""
from __future__ import annotations

import os
import sys
import time
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ._geo import WALK_SPEED_MPS
from ._version import __version__
from .bundle.writer import write_bundle
from .errors import BuildError, EngineError, InputError
from .timetable.footpaths import FootpathOptions
from .timetable.staging import BuildReport

GtfsSource = str | os.PathLike | tuple[str, str | os.PathLike]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """Build-time options (the transfer model's walking part is baked into the bundle)."""

    walk_radius_m: float = 400.0        # straight-line footpaths between stops (0 = none)
    walk_speed_mps: float = WALK_SPEED_MPS
    use_transfers_txt: bool = True
    street_footpath_max_s: int = 900    # street footpaths between stops, when OSM is given
    max_snap_m: float = 500.0           # stops farther than this from a street stay unlinked


@dataclass(slots=True)
class BuildResult:
    """What build() wrote and what it skipped."""

    path: Path
    manifest: dict[str, Any]
    report: BuildReport
    timings_s: dict[str, float] = field(default_factory=dict)


def _progress_noop(stage: str) -> None:
    return None


def build(out: str | os.PathLike, gtfs: Sequence[GtfsSource] = (), *, osm: str | os.PathLike | None = None,
          addresses: Sequence[str | os.PathLike] = (), options: BuildOptions | None = None,
          progress: Callable[[str], None] = _progress_noop) -> BuildResult:
    """Build a bundle at ``out`` from GTFS feeds, an OSM extract and address files.

    Nothing is written unless everything succeeds (the writer renames a finished temp dir).
    """
    options = options or BuildOptions()
    if isinstance(gtfs, (str, os.PathLike)):
        gtfs = [gtfs]
    if isinstance(addresses, (str, os.PathLike)):
        addresses = [addresses]
    if not gtfs and osm is None and not addresses:
        raise BuildError("nothing to build: give at least one GTFS feed, an OSM file or an address file")
    for source in list(gtfs) + ([osm] if osm else []) + list(addresses):
        path = Path(source[1] if isinstance(source, tuple) else source)
        if not path.exists():
            raise InputError(f"input not found: {path}")
    # Fingerprint every input before reading any: compared again just before the new bundle
    # replaces the old one, so an input rewritten during the build cannot give a bundle that
    # mixes two versions of it (the build then fails and keeps the previous bundle).
    inputs = _input_fingerprints(gtfs, osm, addresses)
    report = BuildReport()
    timings: dict[str, float] = {}
    tables: dict = {}
    manifest: dict[str, Any] = {"engine_version": __version__, "options": asdict(options), "inputs": inputs}
    t0 = time.perf_counter()
    staged = None
    if gtfs:
        from .loaders.gtfs import load_gtfs

        progress("reading GTFS")
        staged = load_gtfs(list(gtfs), report)
        timings["load_gtfs"] = time.perf_counter() - t0
    street_footpaths = street_step_free = None
    if osm is not None:
        progress("building street graph")
        t = time.perf_counter()
        street_tables, street_footpaths, street_step_free = _build_streets(Path(osm), report, staged, options)
        tables.update(street_tables)
        timings["streets"] = time.perf_counter() - t
    if staged is not None:
        from .timetable.build import build_timetable_tables

        progress("building timetable")
        t = time.perf_counter()
        fp_options = FootpathOptions(options.walk_radius_m, options.walk_speed_mps, options.use_transfers_txt)
        tt_tables, summary = build_timetable_tables(staged, fp_options, street_footpaths, street_step_free)
        tables.update(tt_tables)
        tables.update(staged.fares or {})       # fares/* (engine.loaders.gtfs_fares), when given
        manifest["timetable"] = summary
        gtfs_inputs = iter(i for i in inputs if i["kind"] == "gtfs")
        for f in summary["feeds"]:            # feed names as the loader settled them
            entry = next(gtfs_inputs, None)
            if entry is not None:
                entry["feed"] = f["name"]
        timings["timetable"] = time.perf_counter() - t
    if addresses or osm is not None or staged is not None:
        geocoder_tables = _build_geocoder(list(addresses), osm, tables.get("timetable/stops"), report, progress)
        tables.update(geocoder_tables)
        manifest["geocoder"] = {"documents": geocoder_tables["geocoder/docs"].num_rows}
    manifest["report"] = {"counts": dict(sorted(report.counts.items())), "issues": report.summary()}
    from .datasets_build import describe_inputs

    manifest["datasets"] = describe_inputs(inputs, report, manifest)   # the catalogue (engine.datasets)
    progress("writing bundle")
    t = time.perf_counter()
    path = write_bundle(out, tables, manifest, before_swap=lambda: _check_inputs_unchanged(inputs))
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    from .bundle.reader import open_bundle

    return BuildResult(path, open_bundle(path).manifest, report, timings)


def _build_streets(osm: Path, report: BuildReport, staged, options: BuildOptions):
    """Street graph tables + street footpaths between stops (engine.streets): walking, and on
    the wheelchair profile (no steps)."""
    try:
        from .streets import StreetOptions, build_street_tables
    except ImportError as exc:  # streets not available in this build
        raise BuildError(f"street support is not available: {exc}") from exc
    import numpy as np

    if staged is not None:
        lat = staged.stops.column("lat").to_numpy()
        lon = staged.stops.column("lon").to_numpy()
        kind = staged.stops.column("location_type").to_numpy()
        # (stops, and the entrances of stations with pathways: walks reach platforms through them)
        gates = np.zeros(len(kind), bool)
        gates[staged.pathway_from] = gates[staged.pathway_to] = True
        usable = (kind == 0) | (gates & (kind == 2))
        lat = np.where(usable, lat, np.nan)
        lon = np.where(usable, lon, np.nan)
    else:
        lat = lon = np.empty(0)
    street_options = StreetOptions(walk_speed_mps=options.walk_speed_mps, max_snap_m=options.max_snap_m,
                                   footpath_max_s=options.street_footpath_max_s)
    tables, footpaths = build_street_tables(osm, report, lat, lon, street_options)
    fp = step_free = None
    if staged is not None:
        fp = (footpaths.from_stop, footpaths.to_stop, footpaths.duration_s)
        sf = footpaths.step_free
        step_free = (sf.from_stop, sf.to_stop, sf.duration_s)
    return tables, fp, step_free


def _build_geocoder(addresses, osm, stops, report, progress):
    """Geocoder tables from the address files, the OSM places and the timetable's stops.

    The geocoder is part of every build: a failing import is a bug to report, never a reason to
    write a bundle without it.
    """
    from .geocoder import build_geocoder_tables

    progress("building geocoder index")
    try:
        return build_geocoder_tables([Path(a) for a in addresses], [Path(osm)] if osm else [], stops, report)
    except EngineError:
        raise
    except (OSError, ValueError) as exc:
        raise BuildError(f"geocoder index failed: {exc}") from exc


def _input_fingerprints(gtfs, osm, addresses) -> list[dict[str, Any]]:
    """kind, path, size, mtime_ns and sha256 of every input (a GTFS folder: of all its files)."""
    out: list[dict[str, Any]] = []
    for source in gtfs:
        name, path = (source[0], source[1]) if isinstance(source, tuple) else (None, source)
        entry: dict[str, Any] = {"kind": "gtfs"}
        if name is not None:
            entry["feed"] = name
        out.append({**entry, **_fingerprint(Path(path))})
    if osm is not None:
        out.append({"kind": "osm", **_fingerprint(Path(osm))})
    out.extend({"kind": "addresses", **_fingerprint(Path(a))} for a in addresses)
    return out


def _fingerprint(path: Path) -> dict[str, Any]:
    import hashlib

    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    size = mtime = 0
    for file in files:
        st = file.stat()
        size += st.st_size
        mtime = max(mtime, st.st_mtime_ns)
        if path.is_dir():
            h.update(str(file.relative_to(path)).encode() + b"\0")
        with open(file, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return {"path": str(path), "size": size, "mtime_ns": mtime, "sha256": h.hexdigest()}


def _check_inputs_unchanged(inputs: list[dict[str, Any]]) -> None:
    """BuildError if an input's size, mtime or content differs from when the build started."""
    for entry in inputs:
        path = Path(entry["path"])
        try:
            now = _fingerprint(path)
        except OSError as exc:
            raise BuildError(f"input {path} disappeared or became unreadable during the build ({exc}); "
                             f"the previous bundle is kept: run the build again") from None
        changed = [k for k in ("size", "mtime_ns", "sha256") if now[k] != entry[k]]
        if changed:
            raise BuildError(f"input {path} changed during the build ({', '.join(changed)} differ); "
                             f"the previous bundle is kept: run the build again")


class _CallableModule(types.ModuleType):
    """``import engine.build`` makes the package attribute ``engine.build`` this module (Python
    binds submodules on their package), hiding the function ``engine.build()``; calling the
    module calls the function, so ``engine.build(...)`` works whatever was imported first."""

    def __call__(self, *args, **kwargs) -> BuildResult:
        return build(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
