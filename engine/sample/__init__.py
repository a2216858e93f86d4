"""Built-in sample data: a small invented city, "Briqueville", generated offline by the project.

``write_sample(out_dir)`` writes three files describing the same place, so that the README's
main command works on a fresh machine without any third-party data:

- ``briqueville.zip``: GTFS (tram T1, metro A, buses 2/3/4/5, night bus N1; weekday,
  Saturday and Sunday services over 2026 with public holidays; frequencies, a night bus past
  midnight, parent stations with platforms, transfers of types 2 and 3, shapes);
- ``briqueville.osm``: OSM XML 0.6 street grid with French street names, special ways (steps,
  pedestrian, one-way, cycleway, motorway, foot=no, access=private), buildings with addresses,
  POIs and place nodes;
- ``adresses-briqueville.csv``: addresses in the BAN CSV format (same 23 columns as the real
  files), consistent with the OSM streets.

Output is deterministic: the same bytes on every run (no clock, no random state).

Command line: ``python -m engine.sample OUT_DIR`` prints the three paths, one per line
(GTFS, OSM, addresses).

Modules: ``city`` (the layout: grid, streets, stops, lines), ``gtfs``, ``osm`` and ``addresses``
(one writer per file), ``_zip`` (deterministic CSV-in-zip writing, also used by
``engine.testing.dsl``). The writers are imported only by :func:`write_sample`.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SamplePaths", "write_sample", "CITY_NAME", "FEED_NAME", "TIMEZONE", "LAT", "LON",
           "DEMO"]

CITY_NAME = "Briqueville"
TIMEZONE = "Europe/Paris"
LAT = 47.20
LON = 1.55
#: Feed name of the sample in a bundle (the GTFS zip's stem), i.e. the stop id prefix.
FEED_NAME = "briqueville"

#: Queries for ``brique demo`` on a bundle built from the sample. Gare -> Bellevue takes tram T1
#: to Hôtel de Ville then metro A (a 180 s platform change); 2026-03-03 is a weekday.
DEMO = dict(
    origin=f"{FEED_NAME}:GARE",
    destination=f"{FEED_NAME}:BELV",
    date="2026-03-03",
    time="08:00",
    geocode="45 rue Victor Hugo Briqueville",
    reverse=(47.195630, 1.528030),
    from_point=(47.2025181, 1.5244541),   # near Les Tilleuls (tram T1 terminus)
    to_point=(47.2129502, 1.5534414),     # near Bellevue (metro A terminus)
)


@dataclass(frozen=True)
class SamplePaths:
    """Paths of the three sample files written by :func:`write_sample`."""

    gtfs: Path
    osm: Path
    addresses: Path


def write_sample(out_dir: Path | str) -> SamplePaths:
    """Write the Briqueville GTFS zip, OSM XML file and BAN CSV into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into; created if missing. Existing sample files are overwritten.

    Returns
    -------
    SamplePaths
        ``.gtfs`` (zip), ``.osm`` (OSM XML, readable by pyosmium) and ``.addresses`` (CSV).
    """
    from .addresses import build_addresses, write_addresses
    from .gtfs import write_gtfs
    from .osm import write_osm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = SamplePaths(out / f"{FEED_NAME}.zip", out / f"{FEED_NAME}.osm",
                        out / "adresses-briqueville.csv")
    addresses = build_addresses()
    write_gtfs(paths.gtfs)
    write_osm(paths.osm, addresses)
    write_addresses(paths.addresses, addresses)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m engine.sample OUT_DIR``: write the sample and print the three paths."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m engine.sample OUT_DIR", file=sys.stderr)
        return 2
    try:
        paths = write_sample(Path(args[0]))
    except OSError as exc:
        print(f"error: cannot write the sample into {args[0]}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    print(paths.gtfs)
    print(paths.osm)
    print(paths.addresses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
