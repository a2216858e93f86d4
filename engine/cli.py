"""`brique` command line: build, info, validate, plan, route, geocode, reverse, demo, sample
verify (thin wrappers over the API).

The engine knows nothing of HTTP: ``brique serve`` is added by the server package, whose launcher
(``server.cli:main``, the installed ``brique`` script) passes its command to ``main(commands=...)``.

Every user error ends with a one-line message on stderr and exit status 2 (1 for other
engine errors); no tracebacks.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from .accessibility.cli import add_matrix_command
from .batch_cli import add_csv_commands
from .errors import BuildError, BundleError, EngineError, InputError, InvalidQueryError


def _gtfs_source(text: str):
    """'NAME=PATH' names a feed; a plain path is named after its file."""
    if "=" in text and not Path(text).exists():
        name, path = text.split("=", 1)
        return (name, path)
    return text


def _print_report(result, out=sys.stdout, max_issues: int = 20) -> None:
    report = result.report
    print(f"bundle: {result.path}", file=out)
    counts = result.manifest.get("timetable", {}).get("counts", {})
    if counts:
        print("timetable: " + ", ".join(f"{k}={v}" for k, v in counts.items()), file=out)
        period = result.manifest["timetable"]["period"]
        print(f"service period: {period['start']} .. {period['end']}", file=out)
    for key in ("streets", "geocoder"):
        if key in result.manifest:
            print(f"{key}: {json.dumps(result.manifest[key])}", file=out)
    summary = report.summary()
    if summary:
        print(f"skipped or fixed ({sum(summary.values())} issues):", file=out)
        for code, n in sorted(summary.items()):
            print(f"  {code}: {n}", file=out)
        for issue in report.issues[:max_issues]:
            where = f"{issue.feed}/{issue.file}" + (f":{issue.line}" if issue.line else "")
            field = f" [{issue.field}]" if issue.field else ""
            print(f"  - {where}{field}: {issue.message}", file=out)
        if len(report.issues) > max_issues:
            print(f"  ... {len(report.issues) - max_issues} more (see manifest.json 'report')", file=out)
    timing = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings_s.items())
    print(f"timings: {timing}", file=out)


def cmd_build(args) -> int:
    from .build import BuildOptions, build

    walk_speed = {} if args.walk_speed is None else {"walk_speed_mps": args.walk_speed}
    options = BuildOptions(walk_radius_m=args.walk_radius, use_transfers_txt=not args.no_transfers_txt,
                           **walk_speed)
    from .build_progress import StageProgress, stage_inputs

    gtfs = [_gtfs_source(g) for g in args.gtfs]
    progress = StageProgress(stage_inputs((g[1] if isinstance(g, tuple) else g for g in gtfs), args.addresses or ()))
    try:
        result = build(args.out, gtfs, osm=args.osm, addresses=args.addresses or (), options=options,
                       progress=progress)
    except BaseException:
        progress.abort()
        raise
    progress.close()
    _print_report(result)
    return 0


def cmd_info(args) -> int:
    from .bundle.reader import open_bundle
    from .datasets import datasets_of

    bundle = open_bundle(args.bundle)
    manifest = dict(bundle.manifest)
    if not args.json:
        manifest.pop("tables", None)
    manifest["datasets"] = datasets_of(manifest)        # the catalogue, every field present
    print(json.dumps(manifest, indent=2))
    return 0


def cmd_verify(args) -> int:
    """Every file's size and checksum, then every table's invariants: one line per problem."""
    from .bundle.integrity import verify_bundle

    problems = verify_bundle(args.bundle)
    for line in problems:
        print(line)
    if problems:
        print(f"brique: {args.bundle}: {len(problems)} problem(s); rebuild the bundle", file=sys.stderr)
        return 2
    print(f"{args.bundle}: ok")
    return 0


def cmd_validate(args) -> int:
    from .loaders.gtfs import validate_gtfs

    report = validate_gtfs([_gtfs_source(g) for g in args.gtfs])
    summary = report.summary()
    for issue in report.issues[: args.max_issues]:
        where = f"{issue.feed}/{issue.file}" + (f":{issue.line}" if issue.line else "")
        field = f" [{issue.field}]" if issue.field else ""
        print(f"{issue.severity}: {where}{field}: {issue.message}")
    print("counts: " + ", ".join(f"{k}={v}" for k, v in sorted(report.counts.items())))
    print(f"{sum(summary.values())} issues" + ("" if not summary else ": " + ", ".join(
        f"{k}={v}" for k, v in sorted(summary.items()))))
    return 0


def _clock(when: dt.datetime, date: dt.date) -> str:
    """HH:MM, and the days after (or before) the query's date it falls on: "05:02 (+1 day)"."""
    days = (when.date() - date).days
    return f"{when:%H:%M}" + (f" ({days:+d} day{'s' if abs(days) > 1 else ''})" if days else "")


def _format_plan(plan, arrive_by: bool = False) -> str:
    when = f"arrive by {plan.time}" if arrive_by else plan.time
    lines = [f"{plan.origin.name} -> {plan.destination.name}, {plan.date} {when}"]
    if not plan.itineraries:
        lines.append("  no journey found")
    for i, it in enumerate(plan.itineraries, 1):
        fare = "" if getattr(it, "fare", None) is None else f", {it.fare.describe()}"
        lines.append(f"  #{i} {_clock(it.departure, plan.date)} -> {_clock(it.arrival, plan.date)} "
                     f"({it.duration_s // 60} min, "
                     f"{it.transfers} transfer{'s' if it.transfers != 1 else ''}{fare})")
        for leg in it.legs:
            lines.append(f"      {leg.describe()}")
    return "\n".join(lines)


def cmd_plan(args) -> int:
    from .api import open as open_network

    net = open_network(args.bundle)
    plan = net.plan(args.origin, args.destination, date=args.date, time=args.time,
                    max_transfers=args.max_transfers, min_change_time=args.min_change_time,
                    mode=args.mode, max_access_s=args.max_access, arrive_by=args.arrive_by,
                    max_window_s=args.max_window, window_s=args.window * 60,
                    wheelchair=args.wheelchair, bikes=args.bikes, max_duration_s=args.max_duration,
                    time_budget_s=args.time_budget, rider_category=args.rider_category,
                    fare_media=args.fare_media,
                    optimize=("arrival", "transfers") + ((args.optimize,) if args.optimize != "transfers" else ()))
    print(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) if args.json
          else _format_plan(plan, args.arrive_by))
    return 0


def _point(text: str, parameter: str) -> tuple[float, float]:
    """'LAT,LON' -> (lat, lon); a clear InvalidQueryError otherwise."""
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidQueryError(f"{parameter} must be 'LAT,LON', got {text!r}", parameter) from None
    return lat, lon


def cmd_route(args) -> int:
    from .api import open as open_network

    net = open_network(args.bundle)
    a, b = _point(args.origin, "from"), _point(args.destination, "to")
    route = net.route(a[0], a[1], b[0], b[1], mode=args.mode)
    if args.json:
        print(json.dumps(route.to_dict()))
    else:
        print(f"{args.mode}: {route.distance_m:.0f} m, {route.duration_s // 60} min {route.duration_s % 60} s, "
              f"{len(route.geometry)} points")
    return 0


def _print_places(places, as_json: bool, query: str | None = None, net=None) -> None:
    """One line per place, or a GeoCodeJSON FeatureCollection (with the data's attribution and
    licence, as the HTTP API gives them)."""
    if as_json:
        from .geocoder.geocodejson import to_geocodejson

        geocoder = getattr(net, "geocoder", None)
        print(json.dumps(to_geocodejson(places, query=query,
                                        attribution=getattr(geocoder, "attribution", None),
                                        licence=getattr(geocoder, "licence", None)),
                         ensure_ascii=False))
        return
    if not places:
        print("no result")
    for p in places:
        extra = f", {p.distance_m:.0f} m" if p.distance_m is not None else ""
        print(f"{p.label}  ({p.type}, {p.lat:.6f}, {p.lon:.6f}, score {p.score:.2f}{extra})")


def _types(text: str | None) -> list[str] | None:
    """--type 'address,street' -> ['address', 'street'] (None: every type)."""
    return [t.strip() for t in text.split(",")] if text else None


def cmd_geocode(args) -> int:
    from .api import open as open_network

    net = open_network(args.bundle)
    focus = _point(args.focus, "focus") if args.focus else (None, None)
    places = net.geocode(args.query, limit=args.limit, autocomplete=args.autocomplete, lat=focus[0],
                         lon=focus[1], types=_types(args.type), postcode=args.postcode,
                         citycode=args.citycode)
    _print_places(places, args.json, args.query, net)
    return 0


def cmd_reverse(args) -> int:
    from .api import open as open_network

    net = open_network(args.bundle)
    lat, lon = _point(args.point, "point")
    _print_places(net.reverse(lat, lon, limit=args.limit, types=_types(args.type)), args.json, net=net)
    return 0


def cmd_sample(args) -> int:
    from .sample import write_sample

    paths = write_sample(Path(args.out))
    for key in ("gtfs", "osm", "addresses"):
        print(f"{key}: {getattr(paths, key)}")
    return 0


def cmd_demo(args) -> int:
    """Write the built-in sample city, build a bundle from it and answer a few queries."""
    from . import sample
    from .api import open as open_network
    from .build import build

    out = Path(args.out)
    paths = sample.write_sample(out / "sample")
    print(f"sample city written to {out / 'sample'}")
    result = build(out / "sample.bundle", [paths.gtfs], osm=paths.osm, addresses=[paths.addresses])
    _print_report(result)
    net = open_network(result.path)
    demo = sample.DEMO
    print()
    print(f"$ brique plan {result.path} --from {demo['origin']} --to {demo['destination']} "
          f"--date {demo['date']} --time {demo['time']}")
    print(_format_plan(net.plan(demo["origin"], demo["destination"], date=demo["date"], time=demo["time"])))
    for extra in _demo_extras(net, demo):
        print()
        print(extra)
    return 0


def _demo_extras(net, demo) -> list[str]:
    """Door-to-door and geocoding parts of the demo, for the components the bundle has."""
    out = []
    if demo.get("from_point"):
        plan = net.plan(tuple(demo["from_point"]), tuple(demo["to_point"]), date=demo["date"], time=demo["time"])
        out.append(f"door to door {demo['from_point']} -> {demo['to_point']}:\n" + _format_plan(plan))
    if getattr(net, "geocoder", None) is not None and demo.get("geocode"):
        places = net.geocode(demo["geocode"], limit=3)
        lines = [f"geocode {demo['geocode']!r}:"]
        lines += [f"  {p.label} ({p.type}, {p.lat:.5f}, {p.lon:.5f}, score {p.score:.2f})" for p in places]
        lat, lon = demo["reverse"]
        for p in net.reverse(lat, lon, limit=1):
            lines.append(f"reverse ({lat}, {lon}): {p.label} at {p.distance_m:.0f} m")
        out.append("\n".join(lines))
    return out


#: A command added by another package: ``add(subparsers)`` adds its subparser and sets ``func``.
AddCommand = Callable[[Any], None]


def build_parser(commands: Sequence[AddCommand] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="brique", description="Journey planning and geocoding on an Arrow bundle.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build a bundle from GTFS / OSM / address files")
    p.add_argument("out", help="bundle directory to write")
    p.add_argument("--gtfs", action="append", default=[], metavar="[NAME=]PATH", help="GTFS zip or folder (repeat)")
    p.add_argument("--osm", help="OpenStreetMap extract (.osm.pbf, .osm)")
    p.add_argument("--addresses", action="append", metavar="CSV", help="BAN-format address CSV (repeat)")
    p.add_argument("--walk-radius", type=float, default=400.0, help="straight-line footpath radius, m (0 = none)")
    # default: BuildOptions' (engine._geo.WALK_SPEED_MPS), not restated here: this module imports no numpy
    p.add_argument("--walk-speed", type=float, default=None, help="walking speed, m/s (default 1.33)")
    p.add_argument("--no-transfers-txt", action="store_true", help="ignore transfers.txt")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("info", help="summarise a bundle")
    p.add_argument("bundle")
    p.add_argument("--json", action="store_true", help="full manifest including tables")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("verify", help="check a bundle's files (sizes, checksums) and invariants")
    p.add_argument("bundle")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("validate", help="GTFS diagnostics without building")
    p.add_argument("gtfs", nargs="+", metavar="[NAME=]PATH")
    p.add_argument("--max-issues", type=int, default=50)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("plan", help="journeys between two stops or points (LAT,LON)")
    p.add_argument("bundle")
    p.add_argument("--from", dest="origin", required=True, help="stop id (FEED:ID), exact stop name, or LAT,LON (door to door)")
    p.add_argument("--to", dest="destination", required=True)
    p.add_argument("--date", required=True, help="YYYY-MM-DD")
    p.add_argument("--time", required=True, help="HH:MM[:SS] (departure, or latest arrival with --arrive-by)")
    p.add_argument("--arrive-by", action="store_true",
                   help="--time is the latest arrival: journeys leaving as late as possible")
    p.add_argument("--max-window", type=int, default=None, metavar="SECONDS",
                   help="with --arrive-by: how long before --time a journey may leave (default 14400)")
    p.add_argument("--window", type=int, default=0, metavar="MINUTES",
                   help="range query: every journey worth taking leaving in the next MINUTES minutes")
    p.add_argument("--max-duration", type=int, default=None, metavar="SECONDS",
                   help="leave out journeys arriving more than SECONDS after --time (not with --arrive-by/--window)")
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="with --optimize walking/fare: stop with an error past SECONDS of search")
    p.add_argument("--max-transfers", type=int, default=4)
    p.add_argument("--min-change-time", type=int, default=60, help="seconds at the same stop")
    p.add_argument("--mode", default="walk", choices=["walk", "bike"], help="access/egress mode at point ends")
    p.add_argument("--max-access", type=int, default=900, help="access/egress street time limit, s")
    p.add_argument("--wheelchair", action="store_true",
                   help="step-free: wheelchair-accessible trips, stops and footpaths only, step-free streets")
    p.add_argument("--bikes", action="store_true", help="trips that take bikes only; access/egress by bike")
    p.add_argument("--optimize", default="transfers", choices=["transfers", "walking", "fare"],
                   help="walking / fare: every journey worth taking for arrival (with --arrive-by: departure), "
                        "vehicles and walking seconds / "
                        "the GTFS fares price (v1 or v2)")
    p.add_argument("--rider-category", default=None, metavar="ID",
                   help="price (and, with --optimize fare, search) for this rider category (fares v2 "
                        "rider_categories.txt, or fares v1 GTFS+ fare_rider_categories.txt; default: the default one)")
    p.add_argument("--fare-media", default=None, metavar="ID",
                   help="fares v2: pay with this fare medium of fare_media.txt (default: each product's cheapest)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plan)

    add_matrix_command(sub)

    p = sub.add_parser("route", help="street-only route (walk, bike, car) between two points")
    p.add_argument("bundle")
    p.add_argument("--from", dest="origin", required=True, help="LAT,LON (use --from=-23.5,-46.6 for negatives)")
    p.add_argument("--to", dest="destination", required=True, help="LAT,LON")
    p.add_argument("--mode", default="walk", choices=["walk", "bike", "car"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("geocode", help="search addresses, streets, places and stops")
    p.add_argument("bundle")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--autocomplete", action="store_true", help="the last word is a prefix")
    p.add_argument("--focus", help="LAT,LON: prefer results near this point")
    p.add_argument("--type", help="address, street, locality, poi or stop (comma-separated)")
    p.add_argument("--postcode")
    p.add_argument("--citycode")
    p.add_argument("--json", action="store_true", help="GeoCodeJSON FeatureCollection")
    p.set_defaults(func=cmd_geocode)

    p = sub.add_parser("reverse", help="nearest places to a point")
    p.add_argument("bundle")
    p.add_argument("point", help="LAT,LON (use -- before a negative latitude)")
    p.add_argument("--limit", type=int, default=1)
    p.add_argument("--type", help="address, street, locality, poi or stop (comma-separated)")
    p.add_argument("--json", action="store_true", help="GeoCodeJSON FeatureCollection")
    p.set_defaults(func=cmd_reverse)

    add_csv_commands(sub)

    p = sub.add_parser("demo", help="build the built-in sample city and answer example queries")
    p.add_argument("--out", default="brique-demo", help="folder for the sample data and bundle")
    p.set_defaults(func=cmd_demo)

    for add in commands:
        add(sub)

    p = sub.add_parser("sample", help="write the built-in sample city (GTFS, OSM, addresses)")
    p.add_argument("out")
    p.set_defaults(func=cmd_sample)
    return parser


def main(argv: Sequence[str] | None = None, commands: Sequence[AddCommand] = ()) -> int:
    """Run one ``brique`` command; ``commands`` adds other packages' commands (``serve``)."""
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (InvalidQueryError, InputError, BuildError, BundleError) as exc:
        # the user's input (a query, an input file, build options, a bundle): one line, status 2
        print(f"brique: error: {exc}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"brique: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("brique: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError) as exc:
        print(f"brique: error: {exc}", file=sys.stderr)
        return 1


def _entry() -> Any:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
