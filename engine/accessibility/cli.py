"""`brique matrix`: a travel-time matrix from CSV (or Parquet) ends to a Parquet, Arrow or CSV file.

Ends files: a table with ``id, lat, lon`` (points, door to door) or with ``stop_id`` (stops);
``--destinations stops`` means every boardable stop; no ``--destinations``: the origins.
Imports nothing heavy until the command runs (``brique --help`` stays fast).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import InputError, InvalidQueryError


def add_matrix_command(sub) -> None:
    p = sub.add_parser("matrix", help="travel-time matrix (percentiles over a departure window)")
    p.add_argument("bundle")
    p.add_argument("--origins", required=True, metavar="FILE",
                   help="CSV or Parquet with id,lat,lon (points) or stop_id (stops)")
    p.add_argument("--destinations", metavar="FILE|stops",
                   help="same format, or 'stops' for every stop (default: the origins)")
    p.add_argument("--date", required=True, help="YYYY-MM-DD")
    p.add_argument("--time", required=True, help="HH:MM[:SS], the first departure")
    p.add_argument("--window", type=int, default=60, metavar="MINUTES", help="departure window (0 = one departure)")
    p.add_argument("--percentiles", default="50", help="comma-separated, e.g. 25,50,75")
    p.add_argument("--max-time", type=int, default=120, metavar="MINUTES", help="longer travel times are empty")
    p.add_argument("--mode", default="walk", choices=["walk", "bike"], help="access/egress mode at point ends")
    p.add_argument("--max-transfers", type=int, default=4)
    p.add_argument("--max-access", type=int, default=900, metavar="SECONDS", help="access/egress street time limit")
    p.add_argument("--threads", type=int, default=None, help="native threads (default: every core)")
    p.add_argument("--out", required=True, metavar="FILE", help=".parquet, .arrow / .feather, or .csv")
    p.set_defaults(func=cmd_matrix)


def read_ends(path: str, parameter: str):
    """A table of ends from a CSV or Parquet file: id,lat,lon (points) or stop_id (stops)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{parameter}: {path} is not a file")
    try:
        table = pq.read_table(p) if p.suffix == ".parquet" else pacsv.read_csv(
            p, convert_options=pacsv.ConvertOptions(column_types={"id": pa.string(), "stop_id": pa.string()}))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{parameter}: {path}: {exc}") from None
    names = set(table.column_names)
    if "stop_id" in names:
        return [str(v) for v in table.column("stop_id").to_pylist()]
    if not {"lat", "lon"} <= names:
        raise InputError(f"{parameter}: {path} needs columns id,lat,lon (points) or stop_id (stops); "
                         f"it has {', '.join(table.column_names)}")
    return table


def _percentiles(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InvalidQueryError(f"percentiles must be comma-separated integers, got {text!r}", "percentiles") from None


def _write(table, path: str) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        pq.write_table(table, path)
    elif suffix in (".arrow", ".feather"):
        feather.write_feather(table, path)
    elif suffix == ".csv":
        pacsv.write_csv(table, path)
    else:
        raise InvalidQueryError(f"--out must end in .parquet, .arrow, .feather or .csv, got {path!r}", "out")


class _Progress:
    """Origins done and origins per second on stderr (one updating line on a terminal)."""

    def __init__(self, total: int):
        self.total, self.start, self.last = total, time.perf_counter(), 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if done < self.total and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        line = f"matrix: {done}/{self.total} origins, {rate:.1f} origins/s"
        print(("\r" + line) if self.tty else line, end="\n" if not self.tty or done == self.total else "",
              file=sys.stderr, flush=True)


def cmd_matrix(args) -> int:
    from ..api import open as open_network

    if args.window < 0 or args.max_time <= 0:
        raise InvalidQueryError("--window must be >= 0 and --max-time > 0 minutes", "window")
    origins = read_ends(args.origins, "origins")
    if args.destinations is None:
        destinations = None
    elif args.destinations == "stops":
        destinations = "stops"
    else:
        destinations = read_ends(args.destinations, "destinations")
    net = open_network(args.bundle)
    n = len(origins) if isinstance(origins, list) else origins.num_rows
    started = time.perf_counter()
    table = net.travel_time_matrix(origins, destinations, date=args.date, time=args.time,
                                   window_s=args.window * 60, percentiles=_percentiles(args.percentiles),
                                   max_time_s=args.max_time * 60, mode=args.mode, max_transfers=args.max_transfers,
                                   max_access_s=args.max_access, threads=args.threads, progress=_Progress(n))
    _write(table, args.out)
    print(f"matrix: {table.num_rows} cells ({n} origins) in {time.perf_counter() - started:.1f} s -> {args.out}",
          file=sys.stderr)
    return 0
