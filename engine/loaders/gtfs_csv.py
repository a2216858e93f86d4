"""Read the members of a GTFS feed (zip or directory) into all-string pyarrow columns.

Why its own module: real feeds nest their files in a folder, carry ``__MACOSX/`` junk, BOMs,
quoted and padded values, extra columns, empty lines and legacy 8-bit encodings. This module
hides all of that: callers get trimmed string columns plus a map from data row to the 1-based
physical line of the file (header = line 1) so that every warning can name its line.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from engine.errors import InputError
from engine.loaders.limits import InputLimits, human, hint, over, resolve

_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 22
#: Compression ratios are only checked above this size: small repetitive files (a calendar)
#: legitimately compress very well, and cannot be bombs.
_RATIO_FLOOR = 1 << 20
#: The files the loader reads (sizes are checked for these only).
GTFS_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt",
              "calendar.txt", "calendar_dates.txt", "frequencies.txt", "transfers.txt",
              "shapes.txt")


def _skip_member(parts: tuple[str, ...]) -> bool:
    """macOS resource forks and hidden files are never GTFS members."""
    return any(p == "__MACOSX" or p.startswith(".") for p in parts)


class FeedSource:
    """A GTFS feed on disk: members found by basename, the shallowest one winning.

    Hostile input: the zip's declared sizes and compression ratios are checked against
    ``limits`` when it is opened (nothing is inflated), and the bytes really inflated are
    counted while reading, so a zip bomb or a lying header ends in an ``InputError``.
    """

    def __init__(self, name: str, path: str | Path, limits: InputLimits | None = None):
        self.name = name
        self.path = Path(path)
        self.limits = resolve(limits)
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, tuple[int, str]] = {}
        self._sizes: dict[str, tuple[int, int]] = {}     # key -> (declared size, compressed)
        self._read_total = 0
        if self.path.is_dir():
            for p in self.path.rglob("*"):
                rel = p.relative_to(self.path).parts
                if p.is_file() and not _skip_member(rel):
                    self._add(rel, str(p))
            for _, key in self._members.values():
                size = Path(key).stat().st_size
                self._sizes[key] = (size, size)
        elif self.path.is_file():
            self._check_zip_directory()
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise InputError(f"GTFS feed {name!r}: {self.path} is not a readable zip file "
                                 f"or directory ({exc})") from exc
            for info in self._zip.infolist():
                rel = PurePosixPath(info.filename).parts
                if not info.is_dir() and rel and not _skip_member(rel):
                    self._add(rel, info.filename)
                    self._sizes[info.filename] = (info.file_size, info.compress_size)
        else:
            raise InputError(f"GTFS feed {name!r}: {self.path} does not exist")
        self._check_declared_sizes()

    def _check_zip_directory(self) -> None:
        """Refuse a zip whose central directory claims too many entries, before parsing it
        (zipfile keeps one Python object per entry)."""
        lim = self.limits.max_zip_members
        if lim <= 0:
            return
        try:
            with open(self.path, "rb") as fh:
                end = zipfile._EndRecData(fh)       # reads the end record only
        except (OSError, ValueError, struct.error):
            return                                    # ZipFile() reports the real problem
        if end is not None and over(end[zipfile._ECD_ENTRIES_TOTAL], lim):
            raise InputError(f"GTFS feed {self.name!r}: {self.path} claims "
                             f"{end[zipfile._ECD_ENTRIES_TOTAL]} zip entries (limit {lim}; "
                             f"{hint('max_zip_members')})")

    def _check_declared_sizes(self) -> None:
        """Declared (zip) or on-disk (folder) sizes of the files the loader reads, and their
        compression ratios, against the limits: before any byte is inflated."""
        lim = self.limits
        what = "zip member" if self._zip is not None else "file"
        total = 0
        for base in GTFS_FILES:
            if base not in self._members:
                continue
            key = self._members[base][1]
            size, packed = self._sizes[key]
            total += size
            if over(size, lim.max_member_bytes):
                raise InputError(f"GTFS feed {self.name!r}: {what} {key} is {human(size)} "
                                 f"uncompressed (limit {human(lim.max_member_bytes)}; "
                                 f"{hint('max_member_bytes')})")
            if (self._zip is not None and size > _RATIO_FLOOR
                    and over(size / max(packed, 1), lim.max_ratio)):
                raise InputError(f"GTFS feed {self.name!r}: zip member {key} expands "
                                 f"{size / max(packed, 1):.0f} times ({human(packed)} -> "
                                 f"{human(size)}; limit {lim.max_ratio:g}; {hint('max_ratio')}): "
                                 f"refused as a possible zip bomb")
        if over(total, lim.max_unzipped_bytes):
            raise InputError(f"GTFS feed {self.name!r}: {self.path} holds {human(total)} of GTFS "
                             f"files uncompressed (limit {human(lim.max_unzipped_bytes)}; "
                             f"{hint('max_unzipped_bytes')})")

    def _add(self, rel: tuple[str, ...], key: str) -> None:
        base = rel[-1].lower()
        depth = len(rel)
        if base not in self._members or depth < self._members[base][0]:
            self._members[base] = (depth, key)

    def has(self, fname: str) -> bool:
        return fname in self._members

    def read_bytes(self, fname: str) -> bytes:
        """The member's bytes, reading at most the limits (the declared size may lie)."""
        key = self._members[fname][1]
        lim = self.limits
        cap = lim.max_member_bytes if lim.max_member_bytes > 0 else None
        if lim.max_unzipped_bytes > 0:
            left = lim.max_unzipped_bytes - self._read_total
            cap = left if cap is None else min(cap, left)
        try:
            if self._zip is not None:
                fh = self._zip.open(key)
            else:
                fh = open(key, "rb")
            with fh:
                chunks, n = [], 0
                while True:
                    block = fh.read(_CHUNK if cap is None else min(_CHUNK, cap + 1 - n))
                    if not block:
                        break
                    n += len(block)
                    chunks.append(block)
                    if cap is not None and n > cap:
                        which = ("max_member_bytes" if lim.max_member_bytes > 0
                                 and n > lim.max_member_bytes else "max_unzipped_bytes")
                        raise InputError(
                            f"GTFS feed {self.name!r}: {fname} inflates to more than "
                            f"{human(getattr(lim, which))} (declared {human(self._sizes[key][0])}; "
                            f"limit {which}; {hint(which)})")
        except (OSError, zipfile.BadZipFile, RuntimeError, EOFError, zlib.error,
                NotImplementedError, ValueError) as exc:
            raise InputError(f"GTFS feed {self.name!r}: cannot read {fname} ({exc})") from exc
        self._read_total += n
        return b"".join(chunks)

    def sha256(self) -> str:
        """Digest of the input: the zip file bytes, or every member (sorted) of a directory."""
        h = hashlib.sha256()
        if self._zip is not None:
            with open(self.path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        else:
            for base in sorted(self._members):
                h.update(base.encode())
                h.update(Path(self._members[base][1]).read_bytes())
        return h.hexdigest()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


@dataclass
class LineMap:
    """Maps 0-based data row numbers to 1-based physical lines (header = 1), computed lazily."""

    data: bytes
    has_empty_lines: bool
    skipped_lines: list[int] = field(default_factory=list)   # lines of rows the parser dropped
    base: int = 0                                            # blank lines before the header
    breaks_before: np.ndarray | None = None  # line breaks inside quoted values before each row
    _map: np.ndarray | None = None

    def lines(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if self.breaks_before is not None:     # approximate if blank lines exist as well
            extra = self.breaks_before[np.minimum(rows, len(self.breaks_before) - 1)]
            return rows + 2 + self.base + extra
        if not self.has_empty_lines and not self.skipped_lines:
            return rows + 2 + self.base
        if self._map is None:
            self._map = self._build()
        ok = rows < len(self._map)
        if not len(self._map):
            return rows + 2 + self.base
        return np.where(ok, self._map[np.minimum(rows, len(self._map) - 1)], rows + 2 + self.base)

    def _build(self) -> np.ndarray:
        buf = np.frombuffer(self.data, dtype=np.uint8)
        ends = np.flatnonzero(buf == 10)
        if len(buf) and buf[-1] != 10:
            ends = np.append(ends, len(buf))
        starts = np.concatenate(([0], ends[:-1] + 1)) if len(ends) else np.zeros(0, np.int64)
        length = ends - starts
        cr_only = (length == 1) & (buf[np.minimum(starts, max(len(buf) - 1, 0))] == 13)
        nonempty = np.flatnonzero((length > 0) & ~cr_only) + 1   # 1-based line numbers
        nonempty = nonempty[1:]                                   # drop the header line
        if self.skipped_lines:
            nonempty = nonempty[~np.isin(nonempty, np.asarray(self.skipped_lines))]
        return nonempty + self.base


@dataclass
class CsvTable:
    """One GTFS file as trimmed string columns (absent columns read as empty strings)."""

    file: str
    columns: dict[str, pa.Array]
    n_rows: int
    lines: LineMap
    header: list[str]

    def has(self, name: str) -> bool:
        return name in self.columns

    def get(self, name: str) -> pa.Array:
        col = self.columns.get(name)
        if col is None:
            return pa.nulls(self.n_rows, pa.string()).fill_null("")
        return col

    def nonempty(self, name: str) -> np.ndarray:
        """Bool mask: the column is present and the value is not empty."""
        col = self.columns.get(name)
        if col is None:
            return np.zeros(self.n_rows, dtype=bool)
        return pc.greater(pc.binary_length(col), 0).to_numpy(zero_copy_only=False)


def decode_text(data: bytes, where: str, fname: str, warn) -> bytes:
    """UTF-8 as is. Otherwise: a UTF-16 file (byte order mark) is decoded as such; bytes that
    are not UTF-8 are read as cp1252 (else latin-1), each run on its own, so a file that mixes
    UTF-8 lines and legacy lines keeps its UTF-8 text intact. Both with a warning naming the
    first bad line and the number of lines decoded so."""
    if data.isascii():
        return data
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(enc)
            except UnicodeDecodeError as exc:
                raise InputError(f"{where}: {fname} starts with a {enc} byte "
                                 f"order mark but is not {enc} ({exc.reason} at byte "
                                 f"{exc.start})") from exc
            warn("csv.encoding", fname, 0, "", f"{fname} is {enc.upper()}, not UTF-8 as GTFS "
                                              f"requires; decoded as {enc.upper()}")
            return text.encode("utf-8").lstrip(_BOM)
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError as exc:
        bad_line = data.count(b"\n", 0, exc.start) + 1
    text = data.decode("utf-8", "surrogateescape")   # undecodable bytes -> U+DC80..U+DCFF
    n_bad = 0

    def legacy(m: re.Match) -> str:
        nonlocal n_bad
        n_bad += 1
        raw = bytes(ord(c) - 0xDC00 for c in m.group())
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")

    mixed = _UTF8_MULTI.search(text) is not None
    text = _SURROGATES.sub(legacy, text)
    bad_lines = _non_utf8_lines(data)
    if mixed:
        warn("csv.encoding", fname, bad_line, "",
             f"{fname} mixes UTF-8 and another encoding: {bad_lines} line(s) are not valid "
             f"UTF-8 (first: line {bad_line}); those bytes decoded as cp1252, UTF-8 text kept")
    else:
        warn("csv.encoding", fname, bad_line, "",
             f"{fname} is not valid UTF-8 (first bad byte on line {bad_line}, {bad_lines} "
             f"line(s) affected); decoded as cp1252")
    return text.encode("utf-8")


#: Runs of bytes that were not UTF-8 (surrogate-escaped).
_SURROGATES = re.compile("[\udc80-\udcff]+")
#: A correctly encoded non-ASCII character (so the file is at least partly UTF-8).
_UTF8_MULTI = re.compile("[\u0080-\udc7f\udd00-\U0010ffff]")


def _non_utf8_lines(data: bytes) -> int:
    """Number of lines holding bytes that are not UTF-8 (only called on broken files)."""
    n = 0
    for line in data.split(b"\n"):
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                n += 1
    return n


def _check_size(data: bytes, src: FeedSource, fname: str) -> None:
    """Line length and row count against the limits, on the raw bytes, before parsing (a
    100 MB line would make pyarrow fail obscurely, a billion tiny rows exhaust memory)."""
    lim = src.limits
    if lim.max_rows > 0:
        rows = data.count(b"\n")
        if rows > lim.max_rows:
            raise InputError(f"GTFS feed {src.name!r}: {fname} has {rows} lines (limit "
                             f"{lim.max_rows}; {hint('max_rows')})")
    if lim.max_line_bytes <= 0 or len(data) <= lim.max_line_bytes:
        return
    last = -1                      # offset of the previous line break
    seen = 0                       # line breaks before the current chunk
    for start in range(0, len(data), _CHUNK * 4):
        chunk = np.frombuffer(data, np.uint8, min(_CHUNK * 4, len(data) - start), start)
        nl = np.flatnonzero(chunk == 10)
        ends = np.append(nl + start, len(data)) if start + len(chunk) == len(data) \
            else nl + start
        if not len(ends):
            if start + len(chunk) - last - 1 > lim.max_line_bytes:
                long_at = seen
                break
            continue
        prev = np.concatenate(([last], ends[:-1]))
        lengths = ends - prev - 1
        big = np.flatnonzero(lengths > lim.max_line_bytes)
        if len(big):
            long_at = seen + int(big[0])
            break
        seen += len(nl)
        last = int(ends[-1]) if len(nl) else last
    else:
        return
    raise InputError(f"GTFS feed {src.name!r}: {fname} line {long_at + 1} is longer than "
                     f"{human(lim.max_line_bytes)} ({hint('max_line_bytes')})")


def strip_nul(data: bytes, where: str, fname: str, warn) -> bytes:
    """NUL bytes are never GTFS text: a few are removed (warning naming the first line and
    the number of lines); a file made of them (UTF-16 without a byte order mark, a binary
    file renamed .txt) is refused."""
    n = data.count(b"\0")
    if not n:
        return data
    if n * 8 > len(data):
        raise InputError(f"{where}: {fname} is not a text file in UTF-8 "
                         f"({n} NUL bytes in {len(data)}: binary, or UTF-16 without a byte "
                         f"order mark)")
    first = data.count(b"\n", 0, data.find(b"\0")) + 1
    lines = sum(1 for line in data.split(b"\n") if b"\0" in line) if n > 1 else 1
    warn("csv.nul_bytes", fname, first, "",
         f"{fname}: {n} NUL byte(s) removed on {lines} line(s), first on line {first}")
    return data.replace(b"\0", b"")


def _parse_header(data: bytes, fname: str, feed: str) -> tuple[list[str], int]:
    """Column names of the first non-empty line, stripped; and the header's byte length."""
    pos = 0
    while True:
        nl = data.find(b"\n", pos)
        line = data[pos:] if nl < 0 else data[pos:nl]
        if line.strip() or nl < 0:
            break
        pos = nl + 1
    try:
        names = next(csv.reader(io.StringIO(line.decode("utf-8"))))
    except StopIteration:
        names = []
    names = [n.strip().strip("\ufeff").strip() for n in names]
    if not names or all(not n for n in names):
        raise InputError(f"GTFS feed {feed!r}: {fname} has no header line")
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}__dup{k}")
    return out, pos


def read_table(src: FeedSource, fname: str, warn, wanted: list[str] | None = None,
               required: tuple[str, ...] = ()) -> CsvTable:
    """Read ``fname`` (all values as strings, trimmed). ``warn(code, file, line, field, msg)``."""
    data = src.read_bytes(fname)
    if data.startswith(_BOM):
        data = data[3:]
    _check_size(data, src, fname)
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = strip_nul(data, f"GTFS feed {src.name!r}", fname, warn)
    data = decode_text(data, f"GTFS feed {src.name!r}", fname, warn)
    if len(data) < 4096 and not data.strip():
        if required:
            raise InputError(f"GTFS feed {src.name!r}: {fname} is empty "
                             f"(required column {required[0]!r} missing)")
        return CsvTable(fname, {}, 0, LineMap(b"", False), [])
    names, lead = _parse_header(data, fname, src.name)
    for col in required:
        if col not in names:
            raise InputError(f"GTFS feed {src.name!r}: {fname} lacks required column {col!r} "
                             f"(header: {','.join(names)})")
    data_lead_lines = data.count(b"\n", 0, lead)
    if lead:
        data = data[lead:]
    include = [n for n in names if wanted is None or n in wanted]
    nl = data.find(b"\n")
    if nl < 0 or (len(data) - nl < 4096 and not data[nl + 1:].strip()):   # header only
        cols0 = {n: pa.array([], pa.string()) for n in include}
        return CsvTable(fname, cols0, 0, LineMap(b"", False), names)

    block = max(1 << 22, 2 * src.limits.max_line_bytes + (1 << 16))
    table, skipped = _parse(data, names, include, newlines=False, feed=src.name, fname=fname,
                            block_size=block)
    multiline = None
    n_lines, empty = _line_stats(data)
    fewer_rows = not empty and table.num_rows + len(skipped) < n_lines - 1
    if (skipped or fewer_rows) and b'"' in data:
        # a quoted value holds a line break: parse again allowing it, keep the better result
        table2, skipped2 = _parse(data, names, names, newlines=True, feed=src.name, fname=fname,
                                  block_size=block)
        if len(skipped2) < len(skipped) or (fewer_rows and len(skipped2) <= len(skipped)):
            skipped = skipped2
            breaks = np.zeros(table2.num_rows, np.int64)
            for n in names:
                breaks += pc.count_substring(table2.column(n).combine_chunks().fill_null(""),
                                             "\n").to_numpy(zero_copy_only=False)
            multiline = np.concatenate(([0], np.cumsum(breaks)[:-1]))
            table = table2.select(include)
    padded = b" " in data or b"\t" in data
    cols: dict[str, pa.Array] = {}
    for n in include:
        arr = table.column(n).combine_chunks() if table.num_rows else pa.array([], pa.string())
        if arr.null_count:
            arr = arr.fill_null("")
        if padded:
            arr = pc.utf8_trim_whitespace(arr)
        cols[n] = arr
    bad_lines = _locate(data, [text for _, text in skipped[:1000]])
    lmap = LineMap(data, empty, [ln for ln in bad_lines if ln > 0], data_lead_lines, multiline)
    for ln, (_, text) in zip(bad_lines[:50], skipped[:50]):
        warn("csv.bad_row", fname, ln + data_lead_lines if ln > 0 else 0, "",
             f"{fname}: row with a wrong number of fields skipped: {text[:80]!r}")
    if skipped:
        warn("csv.bad_rows_total", fname, 0, "", f"{fname}: {len(skipped)} malformed rows skipped")
    return CsvTable(fname, cols, table.num_rows, lmap, names)


def _locate(data: bytes, texts: list[str]) -> list[int]:
    """1-based lines (within ``data``) of rows the CSV parser rejected, found by their text."""
    out, pos = [], 0
    for text in texts:
        at = data.find(text.encode("utf-8"), pos)
        if at < 0:
            out.append(0)
            continue
        out.append(data.count(b"\n", 0, at) + 1)
        pos = at + 1
    return out


def _parse(data: bytes, names: list[str], include: list[str], newlines: bool, feed: str,
           fname: str, block_size: int = 1 << 22) -> tuple[pa.Table, list[tuple[int, str]]]:
    """pyarrow.csv over the whole member, every column as string; rows with a wrong number
    of fields are collected (not fatal)."""
    skipped: list[tuple[int, str]] = []

    def on_invalid(row) -> str:
        skipped.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=True,
                                           block_size=block_size),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid,
                                             newlines_in_values=newlines),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, include_columns=include,
                strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=False))
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "straddl" in why:
            why = (f"a quoted value spans more than {human(block_size)}, probably an unclosed "
                   f"quote")
        raise InputError(f"GTFS feed {feed!r}: cannot parse {fname} as CSV ({why})") from exc
    return table, skipped


def _line_stats(data: bytes) -> tuple[int, bool]:
    """(number of lines, whether some line is empty), with numpy: ``b"\\n\\n" in data`` is
    ~40x slower on a 36 MB file full of line breaks."""
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    n_lines = len(nl) + (0 if data.endswith(b"\n") else 1)
    if len(nl) < 2:
        return n_lines, False
    gap = np.diff(nl)
    empty = bool(np.any(gap == 1))
    if not empty:
        two = np.flatnonzero(gap == 2)
        empty = bool(len(two)) and bool(np.any(buf[nl[two] + 1] == 13))
    return n_lines, empty
