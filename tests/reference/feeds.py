"""Shared helpers for differential tests, property tests and benchmarks of journey planning.

Finds the real GTFS feeds, builds one bundle per feed (public ``engine.build``), loads the same
feed's StagedTimetable for the reference solver, and draws seeded random queries.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from engine.testing.data import gtfs_feeds, shared_data_dir  # noqa: F401  (gtfs_feeds: re-exported)

LARGEST_FEED = "gtfs-fr-strasbourg-cts/google_transit.zip"
_ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("BRIQUE_BENCH_CACHE", "/tmp/brique-bench-cache"))


def feed_name(path: Path) -> str:
    """A short id prefix for a feed file: dataset folder (minus ``gtfs-``), plus the file stem
    when the folder holds several feeds; only [a-z0-9_]."""
    folder = path.parent.name.removeprefix("gtfs-")
    siblings = sorted(path.parent.glob("*.zip"))
    name = folder if len(siblings) == 1 else f"{folder}_{path.stem}"
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")



def sources_for(paths: list[Path]) -> list[tuple[str, Path]]:
    """``(feed name, path)`` inputs for ``engine.build`` / ``load_staged``."""
    return [(feed_name(p), p) for p in paths]


def bench_short() -> bool:
    """True when benchmarks run in short (CI) mode: BRIQUE_BENCH_SHORT=1."""
    import os

    return os.environ.get("BRIQUE_BENCH_SHORT", "") not in ("", "0")


def load_staged(sources: list[tuple[str, Path]]):
    """The StagedTimetable that ``engine.build`` builds from the same ``(name, path)`` inputs."""
    from engine.loaders.gtfs import load_gtfs

    return load_gtfs([(name, str(path)) for name, path in sources])


@dataclass
class BuiltFeed:
    """A bundle built from real GTFS inputs, plus the inputs' staged timetable."""

    name: str
    bundle: Path
    staged: object            # engine.timetable.staging.StagedTimetable


def build_feed(out_dir: Path, sources: list[tuple[str, Path]], name: str,
               with_staged: bool = True) -> BuiltFeed:
    """Build ``sources`` into ``out_dir/name.bundle`` with the public API."""
    import engine

    bundle = out_dir / f"{name}.bundle"
    engine.build(str(bundle), gtfs=[(n, str(p)) for n, p in sources])
    staged = load_staged(sources) if with_staged else None
    return BuiltFeed(name, bundle, staged)


def sample_and_feed_params(folders: list[str]) -> list:
    """pytest params for a module fixture: "sample" (the built-in city), then the first zip of
    each ``../shared/data`` folder (marked realdata), skipped with a reason when it is absent."""
    import pytest

    params = [pytest.param("sample", id="sample")]
    root = shared_data_dir()
    for folder in folders:
        paths = sorted((root / folder).glob("*.zip")) if root.is_dir() else []
        params.append(pytest.param(paths[0], id=folder, marks=pytest.mark.realdata) if paths else
                      pytest.param(None, id=folder, marks=pytest.mark.skip(reason=f"{folder} absent (BRIQUE_DATA)")))
    return params


def build_param_feed(request, out_dir: Path) -> BuiltFeed:
    """Build the feed of a ``sample_and_feed_params`` param into ``out_dir``."""
    path = request.getfixturevalue("sample_paths").gtfs if request.param == "sample" else request.param
    name = "sample" if request.param == "sample" else feed_name(path)
    return build_feed(out_dir, [(name, path)], name)


def _engine_digest() -> str:
    h = hashlib.sha256()
    for path in sorted((_ROOT / "engine").rglob("*")):
        if path.suffix in (".py", ".pyx", ".so") and path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(_ROOT)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def cached_bundle(sources: list[tuple[str, Path]], label: str, osm: Path | None = None,
                  addresses: list[Path] = ()) -> Path:
    """Build (once) the bundle of ``sources`` (+ an OSM extract, address files) into the cache,
    keyed by the inputs and the engine's sources; returns its path. The build goes to a side
    folder renamed into place, so an interrupted build never leaves a half bundle in the cache."""
    import shutil

    import engine

    h = hashlib.sha256(_engine_digest().encode())
    inputs = [*sources, *((("osm", osm),) if osm is not None else ()), *(("addresses", a) for a in addresses)]
    for name, path in inputs:
        st = Path(path).stat()
        h.update(f"{name}:{path}:{st.st_size}:{st.st_mtime_ns}".encode())
    out = CACHE / f"{label}-{h.hexdigest()[:12]}.bundle"
    if not (out / "manifest.json").is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        fresh = CACHE / f"{out.name}.build"
        shutil.rmtree(fresh, ignore_errors=True)
        engine.build(str(fresh), gtfs=[(n, str(p)) for n, p in sources],
                     osm=str(osm) if osm is not None else None, addresses=[str(a) for a in addresses])
        shutil.rmtree(out, ignore_errors=True)
        fresh.rename(out)
    return out


def bundle_mb(path: Path) -> float:
    """Size of a bundle directory on disk, MB."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def percentiles(values_s) -> dict[str, float]:
    """median / p90 / p99 / mean / max in ms of per-query seconds (benchmarks' extra_info)."""
    ms = np.asarray(values_s) * 1e3
    return {"median_ms": round(float(np.median(ms)), 3), "p90_ms": round(float(np.percentile(ms, 90)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3), "mean_ms": round(float(ms.mean()), 3),
            "max_ms": round(float(ms.max()), 3)}


def warm_service_days(net, queries) -> None:
    """Plan every query once with two criteria, untimed, before a benchmark times two modes of
    them alternately: each service day's tables (next_active, pricing's calendar) are then
    built for both, not paid by the first mode and found ready by the second (random dates:
    63 of 100 queries are the first of their day; on Strasbourg that flattered a third
    criterion's ratio by 0.15 (walking) to 0.55 (fares v1, v2-simple))."""
    for q in queries:
        net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=4)


# ---------------------------------------------------------------------------- random queries
def active_days(staged) -> np.ndarray:
    """Day indices (from staged.period_start) on which at least one trip runs."""
    services = staged.trips.column("service_idx").to_numpy()
    used = np.zeros(staged.service_days.shape[0], dtype=bool)
    used[services] = True
    return np.flatnonzero(staged.service_days[used].any(axis=0))


def stable_offset_day(staged, day_idx: int, span: int) -> bool:
    """True when every feed timezone has the same UTC offset from day-span-1 to day+2, so that
    naive local datetimes and seconds on the noon-minus-12h axis convert without a DST hour."""
    day = staged.period_start + dt.timedelta(days=int(day_idx))
    for feed in staged.feeds:
        try:
            zone = ZoneInfo(feed.timezone)
        except Exception:        # unknown/empty zone: nothing to check against
            continue
        offsets = {dt.datetime.combine(day + dt.timedelta(days=d), dt.time(12), zone).utcoffset()
                   for d in range(-span - 1, 3)}
        if len(offsets) > 1:
            return False
    return True


def served_stops(staged) -> np.ndarray:
    """Stops where at least one trip calls."""
    return np.unique(np.asarray(staged.st_stop_idx))


@dataclass(frozen=True)
class Query:
    origin: int               # stop_idx
    target: int               # stop_idx (for plan comparisons)
    date: dt.date
    time_s: int               # seconds after midnight (05:00-23:00)


def sweep_settings(environ=None) -> tuple[int | None, int]:
    """(sweep seed or None, scale) from BRIQUE_SWEEP_SEED and BRIQUE_SWEEP_SCALE: a sweep runs
    the differential tests on other random queries than the suite's fixed ones (.ci/sweep runs
    tests/differential; any test calling random_queries in that environment draws them too).
    Why: the fixed seeds can miss a whole class of cases (a fares v2 potentials bug was found
    only by a new seed, cfbb021). Unset: (None, 1), the suite as it is."""
    environ = os.environ if environ is None else environ
    raw_seed, raw_scale = environ.get("BRIQUE_SWEEP_SEED", ""), environ.get("BRIQUE_SWEEP_SCALE", "")
    try:
        seed = int(raw_seed) if raw_seed.strip() else None
        scale = int(raw_scale) if raw_scale.strip() else 1
    except ValueError:
        raise ValueError(f"BRIQUE_SWEEP_SEED / BRIQUE_SWEEP_SCALE must be integers (got {raw_seed!r}, "
                         f"{raw_scale!r})") from None
    if seed is not None and seed < 0:
        raise ValueError(f"BRIQUE_SWEEP_SEED must be >= 0 (got {seed})")
    if not 1 <= scale <= 100:
        raise ValueError(f"BRIQUE_SWEEP_SCALE must be within 1..100 (got {scale})")
    return seed, scale


def random_queries(staged, n: int, seed: int, avoid_dst: bool = True,
                   night_every: int = 0) -> list[Query]:
    """``n`` seeded queries: origin/target among served stops, a date on which trips run, a
    time between 05:00 and 23:00 (00:00-05:00 for every ``night_every``-th query, which is
    when trips of the previous service day, past 24:00, matter). In a sweep (sweep_settings),
    n times the scale queries from the test's seed mixed with the sweep's."""
    sweep, scale = sweep_settings()
    n *= scale
    rng = np.random.default_rng(seed if sweep is None else [seed, sweep])
    stops = served_stops(staged)
    days = active_days(staged)
    span = int(max(np.max(staged.st_arr, initial=0), np.max(staged.st_dep, initial=0))) // 86_400
    if avoid_dst:
        stable = np.array([stable_offset_day(staged, d, span) for d in days], dtype=bool)
        if stable.any():
            days = days[stable]
    out = []
    for i in range(n):
        origin, target = rng.choice(stops, size=2, replace=stops.size < 2)
        day = int(rng.choice(days))
        night = night_every and i % night_every == night_every - 1
        time_s = int(rng.integers(0, 5 * 3600) if night else rng.integers(5 * 3600, 23 * 3600))
        out.append(Query(int(origin), int(target),
                         staged.period_start + dt.timedelta(days=day), time_s))
    return out


def hhmmss(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# ---------------------------------------------------------------------------- bundle-side queries
def bundle_active_dates(bundle_path: Path) -> dict[int, list[dt.date]]:
    """Per feed index: the dates of the bundle's period on which one of its trips runs."""
    from engine.bundle.reader import open_bundle

    b = open_bundle(bundle_path)
    period = b.manifest["timetable"]["period"]
    start, n_days = dt.date.fromisoformat(period["start"]), int(period["n_days"])
    days = b.strings("timetable/services", "days").to_pylist()
    service_feed = np.asarray(b.column("timetable/services", "feed_idx"))
    used = np.unique(np.asarray(b.column("timetable/trips", "service_idx")))
    active: dict[int, np.ndarray] = {}
    for s in used.tolist():
        bits = np.unpackbits(np.frombuffer(days[s], dtype=np.uint8), bitorder="little")[:n_days]
        row = active.setdefault(int(service_feed[s]), np.zeros(n_days, dtype=bool))
        row[: bits.size] |= bits.astype(bool)
    return {f: [start + dt.timedelta(days=int(d)) for d in np.flatnonzero(row)]
            for f, row in active.items()}


def station_refs(bundle_path: Path) -> list[tuple[str, int]]:
    """Station-level query strings and their feed: ids of parent stations (location_type 1)
    and, for served stops without a parent, the stop name (names group platforms).

    Only stations where some trip calls are kept (through a child, or the name's platforms).
    """
    from engine.bundle.reader import open_bundle

    b = open_bundle(bundle_path)
    ids = b.strings("timetable/stops", "stop_id").to_pylist()
    names = b.strings("timetable/stops", "name").to_pylist()
    parent = np.asarray(b.column("timetable/stops", "parent_idx"))
    feed = np.asarray(b.column("timetable/stops", "feed_idx"))
    offsets, _ = b.csr("timetable/stop_patterns", "pattern")
    served = np.diff(offsets) > 0
    out: dict[str, int] = {}
    name_count: dict[str, set[int]] = {}
    for i, name in enumerate(names):
        name_count.setdefault(name, set()).add(int(feed[i]))
    for i in np.flatnonzero(served).tolist():
        p = int(parent[i])
        if p >= 0:
            out[ids[p]] = int(feed[p])
        elif name_count[names[i]] == {int(feed[i])} and names[i].strip():
            out[names[i]] = int(feed[i])
        else:
            out[ids[i]] = int(feed[i])
    return sorted(out.items())


def station_queries(bundle_path: Path, n: int, seed: int) -> list[tuple[str, str, str, str]]:
    """``n`` seeded (from, to, date, time) station-to-station queries within one feed (chosen
    with probability proportional to its stations), on a weekday when that feed runs, between
    06:00 and 22:00."""
    rng = np.random.default_rng(seed)
    refs = station_refs(bundle_path)
    by_feed: dict[int, list[str]] = {}
    for ref, f in refs:
        by_feed.setdefault(f, []).append(ref)
    dates = bundle_active_dates(bundle_path)
    feeds = [f for f, v in by_feed.items() if len(v) >= 2 and dates.get(f)]
    weights = np.array([len(by_feed[f]) for f in feeds], dtype=float)
    out = []
    for _ in range(n):
        f = feeds[int(rng.choice(len(feeds), p=weights / weights.sum()))]
        a, b = rng.choice(len(by_feed[f]), size=2, replace=False)
        weekdays = [d for d in dates[f] if d.weekday() < 5] or dates[f]
        date = weekdays[int(rng.integers(len(weekdays)))]
        out.append((by_feed[f][a], by_feed[f][b], date.isoformat(),
                    hhmmss(int(rng.integers(6 * 3600, 22 * 3600)))))
    return out


def mixed_queries(net, n: int, seed: int, point_every: int, jitter_deg: float = 0.0) -> list[tuple]:
    """``n`` seeded (origin, destination, "HH:MM:SS") queries between random located stops of an
    open network, 05:00-23:59: every ``point_every``-th one (i % point_every == point_every - 1)
    between the stops' points, moved by a normal ``jitter_deg``, the others by stop id."""
    tt = net._planner.tt
    rng = np.random.default_rng(seed)
    located = np.flatnonzero(np.isfinite(tt.stop_lat) & (tt.stop_location_type == 0))
    out = []
    for i in range(n):
        a, b = rng.choice(located, 2, replace=False)
        when = f"{rng.integers(5, 23):02d}:{rng.integers(0, 60):02d}:00"
        if i % point_every == point_every - 1:
            jitter = rng.normal(0, jitter_deg, 4) if jitter_deg else np.zeros(4)
            out.append(((float(tt.stop_lat[a] + jitter[0]), float(tt.stop_lon[a] + jitter[1])),
                        (float(tt.stop_lat[b] + jitter[2]), float(tt.stop_lon[b] + jitter[3])), when))
        else:
            out.append((tt.stop_id(int(a)), tt.stop_id(int(b)), when))
    return out
