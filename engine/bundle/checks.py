"""Invariants of the bundle arrays that the compiled kernels rely on, checked when a table is mapped.

QUERY TIME, once per table: ``Bundle.table`` runs ``check_table`` the first time it maps a
table, before any component sees its arrays, so a kernel (engine/_core.pyx, engine/_streets.pyx,
engine/_geocode.pyx, all ``boundscheck=False``) never reads an unchecked array. The cost is one
vectorised numpy pass over the mapped table; a violation raises BundleError naming the file, the
column and the row.

What each kernel indexes with what (the rules below cover every line):

* RAPTOR (_core.pyx, views built by engine/timetable/model.py): patterns.stops offsets (pickup,
  dropoff share them) and values < stops; patterns.first_trip/n_trips address trips (contiguous,
  in pattern order, = trips.pattern_idx) and next_active columns; stop_times_offset addresses
  stop_times blocks of len(stops) * n_trips rows; departures non-decreasing per (pattern, pos)
  (binary search); max_day_offset sizes next_active and the day loop (= the block's max day);
  trips.service_idx < services (next_active); stop_patterns (pattern < patterns, pos < the
  pattern's length, one row per stop); footpaths (to < stops, duration >= 0, one row per stop);
  min_change_time >= -1. Python: parent_idx, feed_idx, route_idx, shape_idx, stop_id_index
  (sorted ids, stop_idx < stops), services.days (fixed width: reshaped into a bit matrix).
* Streets (_streets.pyx, views built by engine/streets/graph.py and hierarchy.py): grid cells
  strictly ascending (binary search), grid segments < segments; segment u/v < nodes; costs >= -1
  (negative = forbidden; a Dijkstra needs the rest >= 0); topology chain_offsets from 0 to
  n_segments, non-decreasing (chain_of's binary search), chain_a/chain_b < junctions,
  junction_node < nodes, junctions <= nodes (the workspace is sized by nodes); CH up/down: one
  row per junction, heads < junctions, costs >= 0 (pushes <= arcs: the heap capacity), edge codes
  in [-2 n_chains, n_shortcuts), shortcut children likewise and acyclic (unpacking terminates);
  junction graphs: CSR offsets of n_junctions + 1, heads < junctions, costs >= 0 (bucket queue),
  entries (stop < stop_links rows, ms >= 0), link_seg ascending and = the stop's segment,
  stop_conn_ms one per stop, shift in [0, 40]; stop_links segment < segments or -1, t in [0, 1],
  dist_m finite >= 0; meta values that bound the snapping rings (no runaway loop).
* Geocoder (_geocode.pyx, views built by engine/geocoder/index.py): token dictionary strictly
  sorted (binary searches), postings < docs, ngram codes strictly ascending, ngram tokens <
  tokens, doc tokens < tokens, doc type < 6 (a bit of type_mask), city_idx < cities or -1,
  house-number ranges inside housenumbers and sorted by number (binary search), suffix and canon
  < suffixes, grid refs in [-n_docs, n_housenumbers), grid cells strictly ascending with the
  INT64_MAX sentinel and start offsets from 0 to n_points; phonetic keys sorted, tokens < tokens.

Structure (string/list offsets, UTF-8, buffer sizes) is Arrow's full validation, run first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa

from ..errors import BundleError
from .arrow_numpy import numpy_view

INT64_MAX = np.iinfo(np.int64).max
DAY = 86_400
MAX_TIME_S = 1000 * 3600 + DAY      # GTFS hours go up to 999 (engine.loaders.gtfs_parse)
MAX_COST = 1 << 40                  # int64 ms costs: far above any real one, far below overflow


class Ctx:
    """One table being checked: its arrays, the bundle (for the sizes of other tables)."""

    def __init__(self, bundle, name: str, table: pa.Table, file):
        self.bundle, self.name, self.table, self.file = bundle, name, table, file

    def fail(self, column: str, row, message: str) -> None:
        where = f"row {int(row)}" if row is not None else "table"
        raise BundleError(f"bundle file {self.file} is corrupt: column {column!r} {where}: {message} "
                          f"(run `brique verify`, rebuild the bundle)")

    def array(self, column: str) -> pa.Array:
        col = self.table.column(column)
        if col.num_chunks == 0:             # an empty table: pa.nulls, not pa.array (imports pandas)
            return pa.nulls(0, col.type)
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()

    def values(self, column: str) -> np.ndarray:
        """A numeric column, or the flat values of a list column."""
        arr = self.array(column)
        if pa.types.is_list(arr.type):
            # the child values the offsets span (what Bundle.csr hands the kernels); not
            # ListArray.flatten(), which imports pyarrow.compute (~70 ms) on the query side
            off = arr.offsets
            start = off[0].as_py() if len(off) else 0
            arr = arr.values.slice(start, (off[-1].as_py() if len(off) else 0) - start)
        return numpy_view(arr)

    def offsets(self, column: str) -> np.ndarray:
        arr = self.array(column)
        return numpy_view(arr.offsets)

    def rows(self, table: str) -> int | None:
        """Rows of another table from the manifest (no mapping), None if absent."""
        info = self.bundle.manifest.get("tables", {}).get(table)
        return None if info is None else int(info["rows"])

    def other(self, table: str) -> "Ctx | None":
        """Another table, mapped (and checked) through the bundle; None if absent."""
        if table == self.name:
            return self
        if not self.bundle.has(table):
            return None
        return Ctx(self.bundle, table, self.bundle.table(table), self.bundle.path / f"{table}.arrow")


Size = Callable[[Ctx], "int | None"]


def rows_of(table: str) -> Size:
    return lambda ctx: ctx.rows(table)


def flat_len(table: str, column: str, minus: int = 0) -> Size:
    def size(ctx: Ctx) -> int | None:
        other = ctx.other(table)
        return None if other is None else len(other.values(column)) - minus
    return size


N_JUNCTIONS = flat_len("streets/topology", "junction_node")
N_CHAINS = flat_len("streets/topology", "chain_a")


def _first_bad(mask: np.ndarray) -> int | None:
    bad = np.flatnonzero(~mask)
    return int(bad[0]) if len(bad) else None


@dataclass(frozen=True)
class InRange:
    """Every value (flat values for a list column) in [lo, hi) or equal to ``allow``; hi is a
    number or the size of another table (the rule is skipped when that table is absent)."""

    column: str
    lo: float | Size
    hi: float | Size
    allow: int | None = None

    def check(self, ctx: Ctx) -> None:
        lo = self.lo(ctx) if callable(self.lo) else self.lo
        hi = self.hi(ctx) if callable(self.hi) else self.hi
        if lo is None or hi is None:
            return
        v = ctx.values(self.column)
        # Fast path: two reductions, no per-row temporaries (30 M stop_times: 11 ms, not 68);
        # the row-by-row mask only when a bound fails (NaN fails both comparisons: the mask path).
        if len(v) == 0 or (v.min() >= lo and v.max() < hi):
            return
        ok = (v >= lo) & (v < hi)
        if self.allow is not None:
            ok |= v == self.allow
        row = _first_bad(ok)
        if row is not None:
            extra = f" or {self.allow}" if self.allow is not None else ""
            ctx.fail(self.column, row, f"value {v[row]} outside [{lo}, {hi}){extra}")


def _binary_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int64 offsets, uint8 data) of a string/binary array, zero-copy (after Arrow validated it)."""
    _, off_buf, data_buf = arr.buffers()[:3]
    offsets = np.frombuffer(off_buf, dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.empty(0, np.uint8)
    return offsets.astype(np.int64), data


def _bytes_ascending(arr: pa.Array, strict: bool) -> np.ndarray:
    """ok[i]: value i <= value i + 1 bytewise (strict: <), as the kernels' binary searches compare.

    Numpy only (pyarrow.compute costs ~70 ms to import): each value laid in a row of a matrix,
    -1 past its end (so a prefix sorts first), compared at the first differing column; in blocks.
    """
    offsets, data = _binary_buffers(arr)
    lengths = np.diff(offsets)
    n = len(lengths)
    ok = np.ones(n - 1, dtype=bool)
    width = int(lengths.max()) if n else 0
    block = max(1, (1 << 22) // max(width, 1))
    for lo in range(0, n - 1, block):
        hi = min(n, lo + block + 1)
        rows = hi - lo
        m = np.full((rows, width + 1), -1, dtype=np.int16)     # -1: past the end (sorts first)
        col = np.arange(width + 1)
        inside = col[None, :] < lengths[lo:hi, None]
        starts = offsets[lo:hi, None] + col[None, :]
        m[inside] = data[starts[inside]]
        diff = m[1:] != m[:-1]
        first = diff.argmax(axis=1)
        r = np.arange(rows - 1)
        greater = m[1:][r, first] > m[:-1][r, first]
        ok[lo:hi - 1] = np.where(diff.any(axis=1), greater, not strict)
    return ok


@dataclass(frozen=True)
class Sorted:
    """Ascending (strict: no duplicates), numbers or strings (bytewise, as the kernels compare)."""

    column: str
    strict: bool = False

    def check(self, ctx: Ctx) -> None:
        arr = ctx.array(self.column)
        if len(arr) < 2:
            return
        if pa.types.is_string(arr.type) or pa.types.is_binary(arr.type):
            ok = _bytes_ascending(arr, self.strict)
        else:
            v = ctx.values(self.column)
            ok = v[1:] > v[:-1] if self.strict else v[1:] >= v[:-1]
        row = _first_bad(ok)
        if row is not None:
            ctx.fail(self.column, row + 1, "not in ascending order" + (" (or a duplicate)" if self.strict else ""))


@dataclass(frozen=True)
class Rows:
    """The table has as many rows as another (or exactly n)."""

    n: int | Size

    def check(self, ctx: Ctx) -> None:
        n = self.n(ctx) if callable(self.n) else self.n
        if n is not None and ctx.table.num_rows != n:
            ctx.fail("*", None, f"{ctx.table.num_rows} rows, expected {n}")


@dataclass(frozen=True)
class SameOffsets:
    """List columns that must share their offsets (parallel lists)."""

    column: str
    like: str

    def check(self, ctx: Ctx) -> None:
        a, b = ctx.offsets(self.column), ctx.offsets(self.like)
        if len(a) != len(b) or not np.array_equal(a, b):
            row = _first_bad(a == b) if len(a) == len(b) else None
            ctx.fail(self.column, row, f"list lengths differ from those of {self.like!r}")


@dataclass(frozen=True)
class FlatLen:
    """A one-row table's flat array has exactly n values (n may be 0 when ``or_empty``)."""

    column: str
    n: Size
    or_empty: bool = False

    def check(self, ctx: Ctx) -> None:
        n = self.n(ctx)
        got = len(ctx.values(self.column))
        if n is not None and got != n and not (self.or_empty and got == 0):
            ctx.fail(self.column, 0, f"{got} values, expected {n}")


@dataclass(frozen=True)
class FlatOffsets:
    """A one-row table's flat CSR offsets: n + 1 values from 0, non-decreasing, ending at the
    length of ``values`` (skipped when the array is empty and ``or_empty``)."""

    column: str
    n: Size
    values: str
    or_empty: bool = False
    end: Size | None = None          # the last offset, if not len(values)

    def check(self, ctx: Ctx) -> None:
        off = ctx.values(self.column)
        if self.or_empty and len(off) == 0:
            if len(ctx.values(self.values)):
                ctx.fail(self.column, 0, f"empty but {self.values!r} is not")
            return
        n = self.n(ctx)
        end = self.end(ctx) if self.end is not None else len(ctx.values(self.values))
        if end is None:
            return
        _check_offsets(ctx, self.column, off, None if n is None else n + 1, end)


def _check_offsets(ctx: Ctx, column: str, off: np.ndarray, n: int | None, end: int) -> None:
    if n is not None and len(off) != n:
        ctx.fail(column, 0, f"{len(off)} offsets, expected {n}")
    if len(off) == 0:
        ctx.fail(column, 0, "no offsets")
    if off[0] != 0:
        ctx.fail(column, 0, f"offsets start at {off[0]}, not 0")
    row = _first_bad(off[1:] >= off[:-1])
    if row is not None:
        ctx.fail(column, row + 1, "offsets decrease")
    if off[-1] != end:
        ctx.fail(column, len(off) - 1, f"offsets end at {off[-1]}, expected {end}")


@dataclass(frozen=True)
class Custom:
    """A check that does not fit the declarative rules (see its function's docstring)."""

    fn: Callable[[Ctx], None]

    def check(self, ctx: Ctx) -> None:
        self.fn(ctx)


# ---------------------------------------------------------------- custom checks
def _expect_starts(ctx: Ctx, column: str, counts: np.ndarray, why: str = "") -> np.ndarray:
    """``column`` holds the start of each of consecutive blocks of ``counts`` rows (the
    exclusive prefix sum of ``counts``); returns those starts."""
    start = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=start[1:])
    got = ctx.values(column)
    row = _first_bad(got == start)
    if row is not None:
        ctx.fail(column, row, f"value {got[row]}, expected {start[row]}{why}")
    return start


def _patterns(ctx: Ctx) -> None:
    """Trips and stop_times blocks are contiguous in pattern order; departures never decrease
    along the trips of a (pattern, pos) (the binary search); max_day_offset is the block's."""
    n_trips = ctx.values("n_trips").astype(np.int64)
    row = _first_bad(n_trips >= 1)
    if row is not None:
        ctx.fail("n_trips", row, f"value {n_trips[row]} < 1")
    _expect_starts(ctx, "first_trip", n_trips, " (trips are contiguous)")
    total_trips = ctx.rows("timetable/trips")
    if total_trips is not None and int(n_trips.sum()) != total_trips:
        ctx.fail("n_trips", None, f"sum {int(n_trips.sum())}, trips has {total_trips} rows")
    m = np.diff(ctx.offsets("stops")).astype(np.int64)
    size = m * n_trips
    block = _expect_starts(ctx, "stop_times_offset", size)
    st = ctx.other("timetable/stop_times")
    if st is None:
        return
    if int(size.sum()) != st.table.num_rows:
        ctx.fail("stop_times_offset", None, f"blocks cover {int(size.sum())} rows, stop_times has {st.table.num_rows}")
    dep, arr = st.values("dep"), st.values("arr")
    if len(dep) == 0:
        return
    # Only rows where the departure drops are looked at (one slice ends there, or the bundle
    # is corrupt): no per-row temporaries, so a 30-million-row table checks in ~0.1 s.
    down = np.flatnonzero(dep[1:] < dep[:-1])
    if len(down):
        pattern = np.searchsorted(block, down, side="right") - 1
        last_of_slice = (down - block[pattern]) % n_trips[pattern] == n_trips[pattern] - 1
        bad = _first_bad(last_of_slice)
        if bad is not None:
            ctx.fail("stop_times_offset", int(pattern[bad]),
                     f"departures decrease at stop_times row {int(down[bad]) + 1} (trips must not overtake)")
    nonempty = size > 0
    top = np.zeros(len(size), np.int64)
    if nonempty.any():
        starts = block[nonempty]
        top[nonempty] = np.maximum(np.maximum.reduceat(arr, starts), np.maximum.reduceat(dep, starts))
    row = _first_bad((ctx.values("max_day_offset") == top // DAY) | ~nonempty)
    if row is not None:
        ctx.fail("max_day_offset", row, f"value {ctx.values('max_day_offset')[row]}, "
                 f"the block's times give {top[row] // DAY}")


def _trips(ctx: Ctx) -> None:
    """trips.pattern_idx agrees with the patterns' contiguous ranges."""
    pat = ctx.other("timetable/patterns")
    if pat is None:
        return
    expected = np.repeat(np.arange(pat.table.num_rows, dtype=np.int32), pat.values("n_trips"))
    got = ctx.values("pattern_idx")
    if len(expected) != len(got):
        ctx.fail("pattern_idx", None, f"{len(got)} trips, patterns count {len(expected)}")
    row = _first_bad(got == expected)
    if row is not None:
        ctx.fail("pattern_idx", row, f"value {got[row]}, the patterns say {expected[row]}")


def _stop_patterns(ctx: Ctx) -> None:
    """Each (pattern, pos) visit is a stop_pos of that pattern holding this stop."""
    pat = ctx.other("timetable/patterns")
    if pat is None:
        return
    p, pos = ctx.values("pattern"), ctx.values("pos").astype(np.int64)
    p_off = pat.offsets("stops").astype(np.int64)
    length = np.diff(p_off)
    ok = (pos >= 0) & (pos < length[p])
    row = _first_bad(ok)
    if row is not None:
        ctx.fail("pos", row, f"value {pos[row]} outside pattern {p[row]}'s {length[p[row]]} stops")
    stop = np.repeat(np.arange(ctx.table.num_rows, dtype=np.int64), np.diff(ctx.offsets("pattern")))
    row = _first_bad(pat.values("stops")[p_off[p] + pos] == stop)
    if row is not None:
        ctx.fail("pattern", row, f"pattern {p[row]} does not visit stop {stop[row]} at pos {pos[row]}")


def _services(ctx: Ctx) -> None:
    """Every bitset has the width the service period needs (they are read as one matrix)."""
    period = ctx.bundle.manifest.get("timetable", {}).get("period", {})
    width = (int(period.get("n_days", 0)) + 7) // 8
    offsets, _ = _binary_buffers(ctx.array("days"))
    lengths = np.diff(offsets)
    row = _first_bad(lengths == width)
    if row is not None:
        ctx.fail("days", row, f"{lengths[row]} bytes, the period needs {width}")


def _meta(ctx: Ctx) -> None:
    """Snapping ring count ~ max_snap_m / grid_cell_m: bounded, so a lookup cannot run away."""
    cell, snap = float(ctx.values("grid_cell_m")[0]), float(ctx.values("max_snap_m")[0])
    if snap / cell > 2000:
        ctx.fail("max_snap_m", 0, f"{snap} m is more than 2000 grid cells of {cell} m")


_STREET_MODES = ("walk", "bike", "car", "wheelchair")     # engine.streets.options.MODES


def _stop_links(ctx: Ctx) -> None:
    """A linked stop (segment >= 0) has t in [0, 1] and a finite distance >= 0."""
    for mode in _STREET_MODES:
        linked = ctx.values(f"{mode}_segment") >= 0
        t, d = ctx.values(f"{mode}_t"), ctx.values(f"{mode}_dist_m")
        row = _first_bad(~linked | ((t >= 0) & (t <= 1)))
        if row is not None:
            ctx.fail(f"{mode}_t", row, f"value {t[row]} outside [0, 1]")
        row = _first_bad(~linked | (np.isfinite(d) & (d >= 0) & (d < 1e7)))
        if row is not None:
            ctx.fail(f"{mode}_dist_m", row, f"value {d[row]} is not a distance")


def _junctions(mode: str) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        """link_seg is each linked stop's segment (the walk along the query's own chain)."""
        links = ctx.other("streets/stop_links")
        seg, stop = ctx.values("link_seg"), ctx.values("link_stop")
        if len(seg) != len(stop):
            ctx.fail("link_stop", 0, f"{len(stop)} values, link_seg has {len(seg)}")
        if links is None:
            return
        expected = links.values(f"{mode}_segment")[stop]
        row = _first_bad(expected == seg)
        if row is not None:
            ctx.fail("link_seg", row, f"value {seg[row]}, stop {stop[row]} is linked to {expected[row]}")
        shift = int(ctx.values("shift")[0])
        if not 0 <= shift <= 40:
            ctx.fail("shift", 0, f"value {shift} outside [0, 40]")
    return check


def _shortcuts(ctx: Ctx) -> None:
    """Unpacking a shortcut terminates: its children form no cycle."""
    a, b = ctx.values("child_a"), ctx.values("child_b")
    n = len(a)
    if n == 0:
        return
    # Resolve level by level (a shortcut is resolved once both halves are): as many rounds as
    # the deepest nesting (12 on Heidelberg), each over the shortcuts still unresolved.
    done = np.zeros(n + 1, bool)           # done[n]: an original edge (code < 0)
    done[n] = True
    ia = np.where(a >= 0, a, n).astype(np.int32)
    ib = np.where(b >= 0, b, n).astype(np.int32)
    ready = done[ia] & done[ib]
    done[:n] = ready
    todo = np.flatnonzero(~ready).astype(np.int32)
    ia, ib = ia[todo], ib[todo]
    while len(todo):
        ready = done[ia] & done[ib]
        if not ready.any():
            ctx.fail("child_a", int(todo[0]), "shortcut unpacking is cyclic")
        done[todo[ready]] = True
        keep = ~ready
        todo, ia, ib = todo[keep], ia[keep], ib[keep]


def _grid_cells(ctx: Ctx) -> None:
    """A last sentinel cell INT64_MAX; starts from 0 to n points, non-decreasing."""
    cell, start = ctx.values("cell"), ctx.values("start")
    if len(cell) == 0 or cell[-1] != INT64_MAX:
        ctx.fail("cell", max(len(cell) - 1, 0), "the last row is not the INT64_MAX sentinel")
    n_points = ctx.rows("geocoder/grid_points")
    _check_offsets(ctx, "start", start, None, n_points if n_points is not None else int(start[-1]))


def _docs(ctx: Ctx) -> None:
    """House-number ranges inside geocoder/housenumbers, sorted by number (binary search)."""
    first, count = ctx.values("hn_first").astype(np.int64), ctx.values("hn_count").astype(np.int64)
    hn = ctx.other("geocoder/housenumbers")
    if hn is None:
        return
    n_hn = hn.table.num_rows
    ok = (count >= 0) & ((count == 0) | ((first >= 0) & (first + count <= n_hn)))
    row = _first_bad(ok)
    if row is not None:
        ctx.fail("hn_first", row, f"range {first[row]} + {count[row]} outside the {n_hn} house numbers")
    number = hn.values("number")
    if n_hn < 2:
        return
    has = count > 1
    cover = (np.bincount(first[has], minlength=n_hn + 1)
             - np.bincount(first[has] + count[has] - 1, minlength=n_hn + 1))
    inside = np.cumsum(cover)[:n_hn - 1] > 0          # rows r with r + 1 in the same range
    bad = np.flatnonzero(inside & (number[1:] < number[:-1]))
    if len(bad):
        r = int(bad[0])                                   # rows r and r + 1 of one doc's range
        doc = int(np.flatnonzero(has & (first <= r) & (r + 1 < first + count))[0])
        ctx.fail("hn_first", doc, f"house numbers not sorted at housenumbers row {r + 1}")


def _junctions_fit(ctx: Ctx) -> None:
    """Junctions fit the node-sized workspace (that chains cover the segments exactly is
    FlatOffsets' ``end``)."""
    n_nodes = ctx.rows("streets/nodes")
    if n_nodes is not None and len(ctx.values("junction_node")) > n_nodes:
        ctx.fail("junction_node", 0, f"{len(ctx.values('junction_node'))} junctions for {n_nodes} nodes")


# ---------------------------------------------------------------- the rules, per table
def _costs(*columns: str) -> list:
    return [InRange(c, -1, 1 << 31) for c in columns]


RULES: dict[str, list] = {
    "timetable/stops": [
        InRange("parent_idx", 0, rows_of("timetable/stops"), allow=-1),
        InRange("feed_idx", 0, rows_of("timetable/feeds")),
        InRange("min_change_time", -1, 2 * DAY),
        InRange("street_step_free", 0, 8),
    ],
    "timetable/stop_id_index": [
        Rows(rows_of("timetable/stops")),
        Sorted("stop_id", strict=True),
        InRange("stop_idx", 0, rows_of("timetable/stops")),
    ],
    "timetable/routes": [InRange("feed_idx", 0, rows_of("timetable/feeds"))],
    "timetable/patterns": [
        InRange("route_idx", 0, rows_of("timetable/routes")),
        InRange("stops", 0, rows_of("timetable/stops")),
        SameOffsets("pickup", "stops"), SameOffsets("dropoff", "stops"),
        InRange("first_trip", 0, rows_of("timetable/trips")),
        InRange("max_day_offset", 0, MAX_TIME_S // DAY + 1),
        Custom(_patterns),
    ],
    "timetable/trips": [
        InRange("route_idx", 0, rows_of("timetable/routes")),
        InRange("service_idx", 0, rows_of("timetable/services")),
        InRange("shape_idx", 0, rows_of("timetable/shapes"), allow=-1),
        Custom(_trips),
    ],
    "timetable/shapes": [SameOffsets("lon", "lat")],
    "timetable/stop_times": [InRange("arr", 0, MAX_TIME_S), InRange("dep", 0, MAX_TIME_S)],
    "timetable/stop_patterns": [
        Rows(rows_of("timetable/stops")),
        SameOffsets("pos", "pattern"),
        InRange("pattern", 0, rows_of("timetable/patterns")),
        Custom(_stop_patterns),
    ],
    "timetable/footpaths": [
        Rows(rows_of("timetable/stops")),
        SameOffsets("duration", "to"),
        InRange("to", 0, rows_of("timetable/stops")),
        InRange("duration", 0, 2 * DAY),
    ],

    **{name: [
        Rows(rows_of("timetable/stops")),
        SameOffsets("duration", "to"),
        InRange("to", 0, rows_of("timetable/stops")),
        InRange("duration", 0, 2 * DAY),
    ] for name in ("timetable/footpaths_step_free", "timetable/station_gates", "timetable/station_gates_step_free")},
    "timetable/pathways": [
        InRange("from_idx", 0, rows_of("timetable/stops")),
        InRange("to_idx", 0, rows_of("timetable/stops")),
        InRange("mode", 1, 8),
        InRange("seconds", 0, 2 * DAY),
        InRange("step_free", 0, 2),
    ],
    "timetable/services": [InRange("feed_idx", 0, rows_of("timetable/feeds")), Custom(_services)],
    # ------------------------------------------------------------ streets
    "streets/meta": [
        Rows(1),
        *(InRange(c, 0.01, 1000.0) for c in ("walk_speed_mps", "bike_speed_mps", "car_max_mps")),
        InRange("max_snap_m", 0.0, 1e6), InRange("grid_cell_m", 1.0, 1e6),
        InRange("footpath_max_s", 0, 7 * DAY),
        InRange("grid_lat0", -90.0, 90.0001), InRange("grid_lon0", -180.0, 180.0001),
        InRange("grid_cos0", 1e-6, 1.0001),
        Custom(_meta),
    ],
    "streets/nodes": [InRange("lat", -90.0, 90.0001), InRange("lon", -180.0, 180.0001)],
    "streets/segments": [
        InRange("u", 0, rows_of("streets/nodes")),
        InRange("v", 0, rows_of("streets/nodes")),
        InRange("way_idx", 0, rows_of("streets/ways")),
        InRange("length_m", 0.0, 1e7),
        *_costs("walk_ms", "bike_fwd_ms", "bike_bwd_ms", "car_fwd_ms", "car_bwd_ms", "wheelchair_ms"),
        InRange("modes", 0, 16),
    ],
    "streets/topology": [
        Rows(1),
        FlatOffsets("chain_offsets", N_CHAINS, "chain_a", end=rows_of("streets/segments")),
        FlatLen("chain_b", N_CHAINS),
        InRange("chain_a", 0, N_JUNCTIONS),
        InRange("chain_b", 0, N_JUNCTIONS),
        InRange("junction_node", 0, rows_of("streets/nodes")),
        Custom(_junctions_fit),
    ],
    "streets/grid": [
        Sorted("cell", strict=True),
        InRange("segments", 0, rows_of("streets/segments")),
    ],
    "streets/stop_links": [
        Rows(rows_of("timetable/stops")),
        *(InRange(f"{m}_segment", 0, rows_of("streets/segments"), allow=-1) for m in _STREET_MODES),
        Custom(_stop_links),
    ],
    # ------------------------------------------------------------ geocoder
    "geocoder/docs": [
        InRange("type", 0, 6),
        InRange("city_idx", 0, rows_of("geocoder/cities"), allow=-1),
        InRange("tokens", 0, rows_of("geocoder/tokens")),
        InRange("n_name_tokens", 0, 1 << 15),
        Custom(_docs),
    ],
    "geocoder/housenumbers": [InRange("suffix", 0, rows_of("geocoder/suffixes"))],
    "geocoder/suffixes": [InRange("canon", 0, rows_of("geocoder/suffixes"))],
    "geocoder/tokens": [Sorted("token", strict=True), InRange("docs", 0, rows_of("geocoder/docs"))],
    "geocoder/ngrams": [Sorted("ngram", strict=True), InRange("tokens", 0, rows_of("geocoder/tokens"))],
    "geocoder/phonetic": [Sorted("key"), InRange("tokens", 0, rows_of("geocoder/tokens"))],
    "geocoder/grid_points": [
        InRange("ref", lambda ctx: -(ctx.rows("geocoder/docs") or 0), rows_of("geocoder/housenumbers")),
    ],
    "geocoder/grid_cells": [Sorted("cell", strict=True), Custom(_grid_cells)],
}


def _ch_rules(mode: str) -> dict[str, list]:
    n_short = rows_of(f"streets/{mode}_ch_shortcuts")
    lo_code = lambda ctx: -2 * (N_CHAINS(ctx) or 0)          # noqa: E731
    csr = [
        Rows(N_JUNCTIONS),
        SameOffsets("cost_ms", "to"), SameOffsets("edge", "to"),
        InRange("to", 0, N_JUNCTIONS),
        InRange("cost_ms", 0, 1 << 31),
        InRange("edge", lo_code, n_short),
    ]
    side = []
    for s in ("fwd", "bwd"):
        side += [
            FlatOffsets(f"{s}_off", N_JUNCTIONS, f"{s}_head", or_empty=(s == "bwd")),
            FlatLen(f"{s}_ms", flat_len(f"streets/{mode}_junctions", f"{s}_head")),
            InRange(f"{s}_head", 0, N_JUNCTIONS),
            InRange(f"{s}_ms", 0, 1 << 31),
            FlatOffsets(f"{s}_entry_off", N_JUNCTIONS, f"{s}_entry_stop"),
            FlatLen(f"{s}_entry_ms", flat_len(f"streets/{mode}_junctions", f"{s}_entry_stop")),
            InRange(f"{s}_entry_stop", 0, rows_of("streets/stop_links")),
            InRange(f"{s}_entry_ms", 0, MAX_COST),
        ]
    return {
        f"streets/{mode}_ch_up": csr,
        f"streets/{mode}_ch_down": csr,
        f"streets/{mode}_ch_shortcuts": [
            InRange("child_a", lo_code, n_short), InRange("child_b", lo_code, n_short), Custom(_shortcuts),
        ],
        f"streets/{mode}_junctions": [
            Rows(1),
            Sorted("link_seg"),
            InRange("link_seg", 0, rows_of("streets/segments")),
            InRange("link_stop", 0, rows_of("streets/stop_links")),
            FlatLen("stop_conn_ms", rows_of("streets/stop_links")),
            InRange("stop_conn_ms", 0, MAX_COST),
            *side,
            Custom(_junctions(mode)),
        ],
    }


for _mode in _STREET_MODES:
    RULES.update(_ch_rules(_mode))


# ------------------------------------------------------------ fares (engine.fares indexes with these)
def _fare_idx(table: str) -> Size:
    return rows_of(f"fares/{table}")


RULES.update({
    "fares/agencies": [], "fares/zones": [], "fares/networks": [], "fares/areas": [],
    "fares/leg_groups": [], "fares/timeframe_groups": [],
    "fares/stops": [Rows(rows_of("timetable/stops")), InRange("zone_idx", 0, _fare_idx("zones"), allow=-1)],
    "fares/routes": [Rows(rows_of("timetable/routes")),
                     InRange("agency_idx", 0, _fare_idx("agencies"), allow=-1),
                     InRange("network_idx", 0, _fare_idx("networks"), allow=-1)],
    "fares/attributes": [InRange("price_minor", 0, 10 ** 15), InRange("minor_digits", 0, 4),
                         InRange("transfers", -1, 3), InRange("transfer_duration_s", -1, 11 * DAY),
                         InRange("agency_idx", 0, _fare_idx("agencies"), allow=-1),
                         InRange("feed_idx", 0, rows_of("timetable/feeds"))],
    "fares/rules": [InRange("fare_idx", 0, _fare_idx("attributes")),
                    InRange("route_idx", 0, rows_of("timetable/routes"), allow=-1),
                    *(InRange(c, 0, _fare_idx("zones"), allow=-1)
                      for c in ("origin_zone", "destination_zone", "contains_zone"))],
    "fares/stop_areas": [InRange("stop_idx", 0, rows_of("timetable/stops")),
                         InRange("area_idx", 0, _fare_idx("areas")), Sorted("stop_idx")],
    # a v2 amount may be negative ("to represent transfer discounts")
    "fares/products": [InRange("amount_minor", -10 ** 15 + 1, 10 ** 15), InRange("minor_digits", 0, 4),
                       InRange("priced", 0, 2)],
    "fares/rider_categories": [InRange("is_default", 0, 2), InRange("feed_idx", 0, rows_of("timetable/feeds"))],
    "fares/fare_media": [InRange("media_type", -1, 5), InRange("feed_idx", 0, rows_of("timetable/feeds"))],
    "fares/product_prices": [InRange("product_idx", 0, _fare_idx("products")),
                             InRange("rider_idx", 0, _fare_idx("rider_categories"), allow=-1),
                             InRange("media_idx", 0, _fare_idx("fare_media"), allow=-1),
                             InRange("amount_minor", -10 ** 15 + 1, 10 ** 15), InRange("minor_digits", 0, 4),
                             Sorted("product_idx")],
    "fares/attribute_prices": [InRange("fare_idx", 0, _fare_idx("attributes")),
                               InRange("rider_idx", 0, _fare_idx("rider_categories")),
                               InRange("price_minor", 0, 10 ** 15), Sorted("fare_idx")],
    "fares/timeframes": [InRange("group_idx", 0, _fare_idx("timeframe_groups")),
                         InRange("start_s", 0, DAY + 1), InRange("end_s", 0, DAY + 1),
                         InRange("service_idx", 0, rows_of("timetable/services"))],
    "fares/leg_rules": [InRange("leg_group_idx", 0, _fare_idx("leg_groups"), allow=-1),
                        InRange("network_idx", 0, _fare_idx("networks"), allow=-1),
                        InRange("from_area", 0, _fare_idx("areas"), allow=-1),
                        InRange("to_area", 0, _fare_idx("areas"), allow=-1),
                        InRange("from_timeframe", 0, _fare_idx("timeframe_groups"), allow=-1),
                        InRange("to_timeframe", 0, _fare_idx("timeframe_groups"), allow=-1),
                        InRange("product_idx", 0, _fare_idx("products"), allow=-1),
                        InRange("feed_idx", 0, rows_of("timetable/feeds"))],
    "fares/transfer_rules": [InRange("from_leg_group", 0, _fare_idx("leg_groups"), allow=-1),
                             InRange("to_leg_group", 0, _fare_idx("leg_groups"), allow=-1),
                             InRange("fare_transfer_type", 0, 3),
                             InRange("product_idx", 0, _fare_idx("products"), allow=-1),
                             InRange("feed_idx", 0, rows_of("timetable/feeds"))],
    "fares/leg_join_rules": [InRange("from_network_idx", 0, _fare_idx("networks")),
                             InRange("to_network_idx", 0, _fare_idx("networks")),
                             InRange("from_stop_idx", 0, rows_of("timetable/stops"), allow=-1),
                             InRange("to_stop_idx", 0, rows_of("timetable/stops"), allow=-1),
                             InRange("feed_idx", 0, rows_of("timetable/feeds"))],
})

def check_table(bundle, name: str, table: pa.Table, file) -> None:
    """Arrow's full validation, then the rules of ``name``; raises BundleError on the first
    violation (naming the file, the column and the row)."""
    try:
        table.validate(full=True)
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise BundleError(f"bundle file {file} is corrupt: {exc} (run `brique verify`, rebuild the bundle)") from exc
    ctx = Ctx(bundle, name, table, file)
    for rule in RULES.get(name, ()):
        try:
            rule.check(ctx)
        except BundleError:
            raise
        except (IndexError, ValueError, OverflowError, pa.ArrowException) as exc:
            # a rule indexing with a value an earlier rule did not cover (e.g. a dependency's)
            raise BundleError(f"bundle file {file} is corrupt: {type(rule).__name__} "
                              f"{getattr(rule, 'column', '')!r} failed: {exc}") from exc

