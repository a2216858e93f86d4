"""`brique geocode-csv` and `brique reverse-csv`: a CSV file through the geocoder, streaming.

The bodies of the two commands (``engine.cli`` adds them with ``add_csv_commands``). The work is
``engine.geocoder.csv_io.CsvJob``'s, the same as the server's ``POST /search/csv/``: same options,
same bytes out. Progress (rows, rows/s) and malformed rows (line numbers) go to stderr; the output
file appears complete or not at all (written beside it, then renamed).
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from .errors import InvalidQueryError

#: Malformed rows printed one by one; past that only counted.
MAX_PRINTED_PROBLEMS = 50


def _columns(values: list[str] | None, option: str) -> list[str] | None:
    """--columns a,b --columns c -> [a, b, c]; an option given with no name is refused (not
    read as its default)."""
    if not values:
        return None
    names = [c for v in values for c in v.split(",") if c != ""]
    if not names:
        raise InvalidQueryError(f"{option} names no column", option.lstrip("-").replace("-", "_"))
    return names


class _Progress:
    """Rows and rows/s on stderr: one line rewritten in place on a terminal, else a line every 10 s."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, rows: int, seconds: float) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if now - self.last < (0.2 if self.tty else 10.0):
            return
        self.last = now
        rate = rows / seconds if seconds > 0 else 0.0
        if self.tty:
            print(f"\r{rows:,} rows, {rate:,.0f} rows/s ", end="", file=sys.stderr, flush=True)
        else:
            print(f"{rows:,} rows, {rate:,.0f} rows/s", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.tty and not self.quiet and self.last:
            print(file=sys.stderr)


def _run(args, reverse: bool) -> int:
    import engine

    from .geocoder.csv_io import CsvJob

    printed = 0

    def problem(line: int, message: str) -> None:
        nonlocal printed
        printed += 1
        if printed <= MAX_PRINTED_PROBLEMS:
            print(f"{args.input}:{line}: {message}", file=sys.stderr)

    net = engine.open(args.bundle)
    progress = _Progress(args.quiet)
    options = {"reverse": reverse, "lat": args.lat, "lon": args.lon,
               "result_columns": _columns(args.result_columns, "--result-columns"),
               "delimiter": args.delimiter, "encoding": args.encoding, "quote": args.quote,
               "with_bom": args.with_bom, "threads": args.threads, "on_problem": problem, "on_progress": progress}
    if not reverse:
        options.update(columns=_columns(args.columns, "--columns"), postcode=args.postcode, citycode=args.citycode)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        source = sys.stdin.buffer if args.input == "-" else stack.enter_context(open(args.input, "rb"))
        job = CsvJob(net, source, **options)
        if args.output in (None, "-"):
            out = sys.stdout.buffer
            for chunk in job:
                out.write(chunk)
            out.flush()
        else:
            target = Path(args.output)
            partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
            try:
                with open(partial, "wb") as out:
                    for chunk in job:
                        out.write(chunk)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
    progress.done()
    seconds = time.perf_counter() - started
    if not args.quiet:
        more = f" ({job.problems - MAX_PRINTED_PROBLEMS} not printed)" if job.problems > MAX_PRINTED_PROBLEMS else ""
        print(f"{job.rows:,} rows in {seconds:.1f} s ({job.rows / max(seconds, 1e-9):,.0f} rows/s): "
              f"{job.found:,} found, {job.rows - job.found:,} not found, {job.problems:,} malformed{more}; "
              f"{job.encoding}, delimiter {job.delimiter!r}", file=sys.stderr)
    return 0


def cmd_geocode_csv(args) -> int:
    return _run(args, reverse=False)


def cmd_reverse_csv(args) -> int:
    return _run(args, reverse=True)


def _common(p) -> None:
    p.add_argument("bundle")
    p.add_argument("input", help="CSV file with a header line ('-': standard input)")
    p.add_argument("-o", "--output", help="output CSV (default: standard output)")
    p.add_argument("--result-columns", action="append", metavar="NAMES",
                   help="result columns to write, comma-separated (default: addok-csv's)")
    p.add_argument("--delimiter", help="field delimiter (default: detected among ; , tab |)")
    p.add_argument("--encoding", help="input encoding (default: detected: UTF-8 with or without BOM, "
                                      "UTF-16 with BOM, else Windows-1252); the output uses the same")
    p.add_argument("--quote", default='"', help="quote character (default \")")
    p.add_argument("--with-bom", action="store_true", help="UTF-8 output starts with a BOM (for Excel)")
    p.add_argument("--threads", type=int, default=None, help="geocoding threads (default: the cores)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")


def add_csv_commands(sub) -> None:
    """Add geocode-csv and reverse-csv to the ``brique`` subparsers."""
    p = sub.add_parser("geocode-csv", help="geocode every row of a CSV file (addok-csv compatible)")
    _common(p)
    p.add_argument("--columns", action="append", metavar="NAMES",
                   help="columns joined into each row's query, comma-separated or repeated (default: all)")
    p.add_argument("--postcode", metavar="COLUMN", help="column filtering each row by postcode")
    p.add_argument("--citycode", metavar="COLUMN", help="column filtering each row by INSEE code")
    p.add_argument("--lat", metavar="COLUMN", help="with --lon: columns of a point to prefer results near")
    p.add_argument("--lon", metavar="COLUMN")
    p.set_defaults(func=cmd_geocode_csv)

    p = sub.add_parser("reverse-csv", help="nearest address for every row of a CSV file with lat/lon columns")
    _common(p)
    p.add_argument("--lat", metavar="COLUMN", help="latitude column (default: latitude or lat)")
    p.add_argument("--lon", metavar="COLUMN", help="longitude column (default: longitude, lon, lng or long)")
    p.set_defaults(func=cmd_reverse_csv)
