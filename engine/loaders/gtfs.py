"""Public GTFS loader: feeds (zip files or directories) -> one merged StagedTimetable.

``load_gtfs`` names each feed (file stem sanitised to [A-Za-z0-9_-], "-2", "-3" on clashes),
loads it with ``gtfs_feed.load_feed`` (cleaning and recording every skip/fix in the
BuildReport) and merges the feeds with ``gtfs_merge``. ``validate_gtfs`` runs the same loading
and returns only the report, turning fatal input errors into "error" issues.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Union

from engine.errors import InputError
from engine.loaders.gtfs_csv import FeedSource
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_feed import FeedPart, load_feed
from engine.loaders.gtfs_fares import load_feed_fares, merge_fares
from engine.loaders.gtfs_merge import merge_feeds
from engine.loaders.limits import InputLimits, resolve
from engine.timetable.staging import BuildReport, StagedTimetable

Source = Union[str, Path, tuple[str, Union[str, Path]]]

__all__ = ["load_gtfs", "validate_gtfs", "feed_names"]


def _sanitise(name: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_-]", "_", name).strip("_")
    return out or "feed"


def feed_names(sources: Iterable[Source]) -> list[tuple[str, Path]]:
    """(unique feed name, path) per source; default name = file stem (directory: its name)."""
    out: list[tuple[str, Path]] = []
    used: set[str] = set()
    for src in sources:
        if isinstance(src, tuple):
            name, path = src
            path = Path(path)
            name = _sanitise(str(name))
        else:
            path = Path(src)
            name = _sanitise(path.name if path.is_dir() else path.stem)
        base, k = name, 1
        while name in used:
            k += 1
            name = f"{base}-{k}"
        used.add(name)
        out.append((name, path))
    return out


def _as_list(sources) -> list[Source]:
    if isinstance(sources, (str, Path)) or (isinstance(sources, tuple) and len(sources) == 2
                                           and isinstance(sources[0], str)
                                           and not isinstance(sources[1], tuple)
                                           and Path(str(sources[0])).suffix == ""
                                           and not Path(str(sources[0])).exists()):
        return [sources]
    return list(sources)


def load_gtfs(sources: Iterable[Source] | Source,
              report: BuildReport | None = None, *,
              limits: InputLimits | None = None) -> StagedTimetable:
    """Load, clean and merge GTFS feeds into one trip-level timetable.

    Parameters
    ----------
    sources : list of path or (name, path)
        GTFS zip files or directories (members may be nested in a folder). A bare path is
        named after its file stem (directory: its name), sanitised to ``[A-Za-z0-9_-]``;
        clashing names get ``-2``, ``-3``. Every id of a feed is prefixed ``"NAME:"``.
    report : BuildReport, optional
        Receives counts (rows read, rows/trips skipped or fixed per reason) and warnings
        with file, 1-based line (header = 1) and field. A new one is made if omitted.
    limits : InputLimits, optional
        Size limits against hostile input (zip bombs, enormous lines, row counts); default:
        ``InputLimits.from_env()`` (``BRIQUE_MAX_*`` environment variables, see
        ``engine.loaders.limits``).

    Returns
    -------
    StagedTimetable
        All feeds merged with global indices; times in seconds since noon-minus-12h of the
        service day; one period from the earliest to the latest service date of all feeds.

    Raises
    ------
    InputError
        A source is missing or unreadable, lacks a required file or column, or exceeds a
        size limit (the message names the feed, the file and the column or limit).

    Examples
    --------
    >>> tt = load_gtfs(["cts.zip", ("ter", "export-ter-gtfs-last.zip")])  # doctest: +SKIP
    >>> tt.report.counts["stop_times.read"]                               # doctest: +SKIP
    """
    report = report if report is not None else BuildReport()
    named = feed_names(_as_list(sources))
    if not named:
        raise InputError("load_gtfs: no GTFS source given")
    limits = resolve(limits)
    parts: list[FeedPart] = []
    fares = []
    for name, path in named:
        src = FeedSource(name, path, limits)
        try:
            diag = Diag(report, name)
            parts.append(load_feed(src, diag))
            fares.append(load_feed_fares(src, parts[-1], diag))
        finally:
            src.close()
        report.count("feeds.loaded")
    staged = merge_feeds(parts, report)
    staged.fares = merge_fares(fares, parts)
    return staged


def validate_gtfs(path_or_paths: Iterable[Source] | Source, *,
                  limits: InputLimits | None = None) -> BuildReport:
    """Diagnose GTFS feeds without building anything.

    Parameters
    ----------
    path_or_paths : path, (name, path) or a list of them

    Returns
    -------
    BuildReport
        Same counts and warnings as ``load_gtfs``; a fatal problem of a feed (missing file or
        column, unreadable zip) becomes an issue of severity "error" instead of an exception.
    """
    report = BuildReport()
    limits = resolve(limits)
    for name, path in feed_names(_as_list(path_or_paths)):
        diag = Diag(report, name)
        try:
            src = FeedSource(name, path, limits)
        except InputError as exc:
            diag.error("feed.unreadable", "", str(exc))
            continue
        try:
            load_feed_fares(src, load_feed(src, diag), diag)
            report.count("feeds.loaded")
        except InputError as exc:
            diag.error("feed.invalid", "", str(exc))
        finally:
            src.close()
    return report
