"""Test helpers for Brique and for projects that embed it; also a pytest plugin (``pytest11``).

Importing this module is cheap (standard library only; pytest fixtures are defined only when
pytest is importable and do no work until requested).

Submodules, imported only by who needs them: ``dsl`` (the timetable text language),
``check`` (a strict checker of small GTFS zips), ``data`` (where the shared real data sets live),
``geocoder`` (a geocoder over inline rows) and ``geocoder_quality`` (query sets and recall, for
the real-data tests and the benchmarks).

Timetable text (``feed_from_text``), in the spirit of OpenTripPlanner's raptor test DSL::

    stops: A 48.0 2.0; B 48.001 2.0 name="Gare Centrale"; C 48.01 2.0
    station S name=Central: A B           # parent station S with platforms A and B
    route L1 type=0                       # route id, optional GTFS type, name, service
      A      B          C
      08:00  08:10/08:11 08:20            # arrival/departure
      08:30  08:40>     08:50             # '>' board only (no drop-off), '<' alight only
      08:45  -          09:05 id=L1-x     # '-' does not stop; optional id=, service=, headsign=
    route L2
      B      D
      08:15  08:30 every 10m until 10:00  # frequencies.txt (add 'exact' for exact_times=1)
      23:50  24:40                        # times may exceed 24:00
    transfers: B D 120; D B forbidden     # seconds (type 2) | forbidden (3) | recommended | timed
    calendar WK 1111100 2026-01-01 2026-12-31
    dates WK -2026-05-01 +2026-05-02      # calendar_dates: + added, - removed

Stops used without a ``stops:`` line get coordinates 0.1 deg (about 11 km) apart, so that no
walking footpath links them. Trips without ``service=`` use service ``DAY``, active on ``date``
(a date or a list of dates). Trip ids default to ``<route>-<n>`` (n = 1, 2, ... in text order).

Pytest fixtures (plugin ``brique``): ``sample_paths`` (session: the Briqueville sample files),
``sample_bundle`` / ``sample_network`` (session: the sample built with streets and addresses,
and opened), ``gtfs_from_text`` (factory writing feeds into the test's tmp folder).
"""
from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["feed_from_text", "parse_feed_text", "network_from_text", "tiny_bundle", "itinerary_text",
           "plan_text", "gtfs_problems", "read_gtfs_tables", "DslError"]


def __getattr__(name: str) -> Any:
    if name == "DslError":
        from .dsl import DslError

        return DslError
    raise AttributeError(f"module 'engine.testing' has no attribute {name!r}")


def gtfs_problems(path: Path | str) -> list[str]:
    """Problems of a small GTFS zip (missing files/columns, dangling ids, bad times); [] if valid."""
    from .check import gtfs_problems as check

    return check(path)


def read_gtfs_tables(path: Path | str) -> dict[str, list[dict[str, str]]]:
    """Every table of a small GTFS zip as lists of row dicts (csv module, for assertions)."""
    from .check import read_tables

    return read_tables(path)


def parse_feed_text(text: str) -> Any:
    """Parse a timetable text into an ``engine.testing.dsl.FeedSpec`` (for inspection in tests)."""
    from .dsl import parse

    return parse(text)


def feed_from_text(path: Path | str, text: str, *, date: str | dt.date | Sequence[str | dt.date]
                   = "2026-03-02", timezone: str = "Europe/Paris") -> Path:
    """Write a small GTFS zip described by a timetable text (grammar in the module docstring).

    Parameters
    ----------
    path
        Zip file to write (its folder must exist). Overwritten if present.
    text
        The timetable text.
    date
        Day (or days) on which the default service ``DAY`` runs: ``YYYY-MM-DD`` or a date.
    timezone
        ``agency_timezone`` of the feed.

    Returns
    -------
    Path
        ``path``. The same text gives the same bytes.

    Raises
    ------
    engine.testing.DslError
        (a ValueError) naming the offending line.
    """
    from .dsl import gtfs_date, parse, write_feed

    dates = [date] if isinstance(date, (str, dt.date)) else list(date)
    return write_feed(Path(path), parse(text), [gtfs_date(d) for d in dates], timezone)


def network_from_text(folder: Path | str, text: str, *,
                      date: str | dt.date | Sequence[str | dt.date] = "2026-03-02",
                      name: str = "feed", **build_options: Any) -> Any:
    """Write the feed, build a bundle with ``engine.build`` and return ``engine.open(bundle)``.

    Stops are addressed as ``"<name>:<stop_id>"`` (the feed is given to the build as
    ``(name, zip)``). ``build_options`` are passed to ``engine.BuildOptions``.
    """
    import engine

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    zpath = feed_from_text(folder / f"{name}.zip", text, date=date)
    bundle = folder / f"{name}.bundle"
    engine.build(bundle, gtfs=[(name, zpath)], options=engine.BuildOptions(**build_options))
    return engine.open(bundle)


#: The network of :func:`tiny_bundle`: two lines meeting at B (ids are prefixed "tiny:").
TINY_TEXT = """
stops: A 48.0 2.0; B 48.01 2.0; C 48.02 2.0; D 48.01 2.01
route L1
  A      B      C
  08:00  08:10  08:20
  08:30  08:40  08:50
route L2
  B      D
  08:15  08:25
"""
_TINY: dict[str, Path] = {}


def tiny_bundle(folder: Path | str | None = None) -> Path:
    """Path of a tiny bundle (``TINY_TEXT``, feed "tiny", running on 2026-03-02), for doctests.

    Without ``folder`` it is built once per process in a temporary directory.

    >>> import engine
    >>> net = engine.open(tiny_bundle())
    >>> plan_text(net.plan("tiny:A", "tiny:D", date="2026-03-02", time="07:55"))
    ['L1 A 08:00 -> B 08:10 | L2 B 08:15 -> D 08:25']
    """
    key = str(folder) if folder is not None else ""
    if key not in _TINY or not _TINY[key].exists():
        import tempfile

        import engine

        out = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="brique-tiny-"))
        out.mkdir(parents=True, exist_ok=True)
        zpath = feed_from_text(out / "tiny.zip", TINY_TEXT)
        _TINY[key] = Path(engine.build(out / "tiny.bundle", gtfs=[("tiny", zpath)]).path)
    return _TINY[key]


def _clock(t: Any, base: dt.date) -> str:
    days = (t.date() - base).days
    text = t.strftime("%H:%M:%S" if t.second else "%H:%M")
    return text + (f"+{days}d" if days else "")


def _short(stop_id: str | None) -> str:
    return (stop_id or "?").split(":", 1)[-1]


def itinerary_text(itinerary: Any, base_date: dt.date | None = None) -> str:
    """One line per journey, for exact assertions (feed prefixes dropped), e.g.
    ``"L1 A 08:00 -> B 08:10 | walk B -> D 120s | L2 D 08:15 -> E 08:30"``.

    Times are local clock times; ``+1d`` marks a day after ``base_date`` (default: the date of
    the journey's departure).
    """
    base = base_date or itinerary.departure.date()
    parts = []
    for leg in itinerary.legs:
        a, b = _short(leg.origin.stop_id), _short(leg.destination.stop_id)
        if leg.mode == "transit":
            name = leg.route_short_name or _short(leg.route_id)
            parts.append(f"{name} {a} {_clock(leg.departure, base)} -> "
                         f"{b} {_clock(leg.arrival, base)}")
        else:
            parts.append(f"{leg.mode} {a} -> {b} {leg.duration_s}s")
    return " | ".join(parts)


def plan_text(plan: Any) -> list[str]:
    """``itinerary_text`` of every itinerary of a plan, relative to the plan's date."""
    return [itinerary_text(it, plan.date) for it in plan.itineraries]


# The fixtures are defined only when pytest is already loaded (as it is when this module is a
# pytest plugin or imported from a test), so a plain import never pulls pytest in.
pytest = sys.modules.get("pytest")

if pytest is not None:

    @pytest.fixture(scope="session")
    def sample_paths(tmp_path_factory: Any) -> Any:
        """The built-in Briqueville sample (GTFS, OSM, BAN CSV), written once per session."""
        from engine.sample import write_sample

        return write_sample(tmp_path_factory.mktemp("brique-sample"))

    @pytest.fixture(scope="session")
    def sample_bundle(sample_paths: Any, tmp_path_factory: Any) -> Path:
        """A bundle built once per session from the whole sample (GTFS + OSM + addresses)."""
        import engine

        out = tmp_path_factory.mktemp("brique-sample-bundle") / "briqueville.bundle"
        return engine.build(out, gtfs=[sample_paths.gtfs], osm=sample_paths.osm,
                            addresses=[sample_paths.addresses]).path

    @pytest.fixture(scope="session")
    def sample_network(sample_bundle: Path) -> Any:
        """``engine.open(sample_bundle)``, shared by the session (the network is thread-safe)."""
        import engine

        return engine.open(sample_bundle)

    @pytest.fixture()
    def gtfs_from_text(tmp_path: Path) -> Any:
        """Factory ``make(text, **kw) -> Path``: ``feed_from_text`` into the test's tmp folder."""
        counter = iter(range(1, 1_000_000))

        def make(text: str, **kw: Any) -> Path:
            return feed_from_text(tmp_path / f"feed{next(counter)}.zip", text, **kw)

        return make
