"""CSV files in, geocoded CSV out, streaming: one implementation for ``brique geocode-csv`` /
``reverse-csv`` and the server's ``POST /search/csv/`` / ``/reverse/csv/`` (same bytes out).

Reading: the encoding is detected from the first 64 kB (a BOM: UTF-8 or UTF-16; else valid
UTF-8; else Windows-1252, else Latin-1) unless given; the delimiter likewise among ``;`` ``,``
tab ``|`` (the one that splits the first lines into the same number of fields). Rows are read
with the ``csv`` module (quoted fields, doubled quotes, newlines inside quotes), a block of
BLOCK_ROWS at a time, geocoded by ``batch.BatchGeocoder`` and written out before the next block
is read: memory stays flat whatever the file's length.

Writing follows addok-csv: the input columns as read, then the result columns (a result column
named like an input column is overwritten in place), the input's delimiter and quote character,
``\\r\\n`` line ends, the input's encoding (a BOM when the input had one or ``with_bom``), score
rounded to 2 decimals, reverse distance in whole metres, empty fields where nothing was found.
Blank lines are skipped; a row with the wrong number of fields is reported (line number) and kept:
padded with empty fields, or cut to the header's width.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import time
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import BinaryIO

from ..errors import InvalidQueryError
from .batch import batch_geocoder
from .batch_table import _geocoder_of, check_result_columns, result_text

SNIFF_BYTES = 64 * 1024
REPLACEMENT = "\ufffd"         # what the decoder puts for a byte the encoding does not allow
BLOCK_ROWS = 8192
DELIMITERS = (";", ",", "\t", "|")
#: Longest field accepted (the build's per-line limit): a quote left open cannot swallow the file.
MAX_FIELD_CHARS = 1 << 20
_LAT_NAMES = ("latitude", "lat")
_LON_NAMES = ("longitude", "lon", "lng", "long")


def detect_encoding(sample: bytes, whole: bool | None = None) -> str:
    """Encoding of a file from its first bytes: BOM, else UTF-8 if valid, else cp1252 / latin-1.
    ``whole``: the sample is the whole file (default: when shorter than SNIFF_BYTES); else its
    last character may be cut."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SNIFF_BYTES if whole is None
                                                       else whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_delimiter(text: str, quotechar: str = '"') -> str:
    """The delimiter that splits the sample's first lines into the most equal rows of >= 2 fields
    (ties: the order of DELIMITERS); for a one-column file one that does not occur in it."""
    lines = text.splitlines(keepends=True)[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]                      # the sample may cut the last line
    best, best_score = None, (0, 0)
    for d in DELIMITERS:
        if d == quotechar:
            continue
        try:
            rows = [r for r in csv.reader(lines, delimiter=d, quotechar=quotechar) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        score = (sum(len(r) == len(rows[0]) for r in rows), len(rows[0]))
        if score > best_score:
            best, best_score = d, score
    if best is not None:
        return best
    return next((d for d in DELIMITERS if d not in text and d != quotechar),
                next(d for d in DELIMITERS if d != quotechar))


class _Prefixed(io.RawIOBase):
    """The bytes already read for detection, then the rest of the source."""

    def __init__(self, head: bytes, source: BinaryIO):
        self._head, self._source = head, source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._source.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _check_encoding(name: str) -> str:
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError):
        raise InvalidQueryError(f"unknown encoding {name!r}", "encoding") from None
    if not getattr(info, "_is_text_encoding", True):        # base64, rot13, zlib...: what io refuses
        raise InvalidQueryError(f"{name!r} is not a text encoding", "encoding")
    return info.name


def _check_quote(quote: str | None) -> str:
    quote = quote or '"'
    if len(quote) != 1 or quote in ("\r", "\n"):
        raise InvalidQueryError(f"quote must be one character (not a line end), got {quote!r}", "quote")
    return quote


def _open_csv(source: BinaryIO, delimiter: str | None, encoding: str | None, quote: str | None,
              parameter: str) -> tuple:
    """(csv reader, encoding, delimiter, quote) of a CSV stream: options checked, encoding and
    delimiter detected when not given (CsvJob and read_csv_table alike)."""
    quote = _check_quote(quote)
    head = source.read(SNIFF_BYTES)
    if not head:
        raise InvalidQueryError("the file is empty", parameter)
    encoding = _check_encoding(encoding) if encoding else detect_encoding(head)
    if delimiter is not None and (len(delimiter) != 1 or delimiter in (quote, "\r", "\n")):
        raise InvalidQueryError(f"delimiter must be one character (not the quote or a line end), got "
                                f"{delimiter!r}", "delimiter")
    text = io.TextIOWrapper(io.BufferedReader(_Prefixed(head, source)), encoding=encoding,
                            errors="replace", newline="")
    if delimiter is None:
        delimiter = detect_delimiter(head.decode(encoding, errors="replace").lstrip("\ufeff"), quote)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    reader = csv.reader(_no_nul(text), delimiter=delimiter, quotechar=quote, doublequote=True)
    return reader, encoding, delimiter, quote


def _no_nul(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        yield line.replace("\0", "") if "\0" in line else line


def _find(header: list[str], name: str, parameter: str) -> int:
    if name not in header:
        raise InvalidQueryError(f"no column {name!r} in the file (columns: {', '.join(header)})", parameter)
    return header.index(name)


class CsvJob:
    """One CSV through the geocoder: ``iter(job)`` yields the output's bytes block by block.

    Everything that can be refused (encoding, delimiter, missing columns, empty file) is checked
    when the job is made, before any byte is written. ``on_problem(line, message)`` hears about
    malformed rows as they are met; ``on_progress(rows, seconds)`` after each block.
    """

    def __init__(self, net, source: BinaryIO, *, reverse: bool = False, columns: Sequence[str] | None = None,
                 postcode: str | None = None, citycode: str | None = None, lat: str | None = None,
                 lon: str | None = None, result_columns: Sequence[str] | None = None,
                 delimiter: str | None = None, encoding: str | None = None, quote: str | None = None,
                 with_bom: bool = False, threads: int | None = None,
                 on_problem: Callable[[int, str], None] | None = None,
                 on_progress: Callable[[int, float], None] | None = None):
        self.batch = batch_geocoder(_geocoder_of(net))
        self.reverse = reverse
        self.threads = threads
        self.names = check_result_columns(result_columns, reverse)
        self.on_problem = on_problem or (lambda line, message: None)
        self.on_progress = on_progress
        self.rows = 0               # data rows written
        self.found = 0              # of which found something
        self.problems = 0           # malformed rows and queries that could not be searched
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise InvalidQueryError(f"threads must be a positive integer, got {threads!r}", "threads")
        self._reader, encoding, delimiter, quote = _open_csv(source, delimiter, encoding, quote, "data")
        self.encoding, self.delimiter, self.quote = encoding, delimiter, quote
        out_encoding = "utf-8-sig" if with_bom and encoding in ("utf-8", "utf-8-sig") else encoding
        self._encoder = codecs.getincrementalencoder(out_encoding)(errors="replace")
        header = self._next_row()
        if header is None:
            raise InvalidQueryError("the file has no header line", "data")
        self.header = header
        self._width = len(header)
        if reverse:
            self._lat = _find(header, lat, "lat") if lat else self._guess(header, _LAT_NAMES, "lat")
            self._lon = _find(header, lon, "lon") if lon else self._guess(header, _LON_NAMES, "lon")
        else:
            names = list(columns) if columns else list(header)
            idx = [_find(header, c, "columns") for c in names]
            self._query = (lambda row, i=idx[0]: row[i]) if len(idx) == 1 else \
                (lambda row, get=itemgetter(*idx): " ".join(get(row)))
            self._postcode = _find(header, postcode, "postcode") if postcode else None
            self._citycode = _find(header, citycode, "citycode") if citycode else None
            if (lat is None) != (lon is None):
                raise InvalidQueryError("lat and lon name the focus columns together", "lat" if lat is None else "lon")
            self._focus = (_find(header, lat, "lat"), _find(header, lon, "lon")) if lat else None
        # result column i goes to output field slots[i]: its input column, else appended
        out_header = list(header)
        self._slots = []
        for name in self.names:
            if name in out_header:
                self._slots.append(out_header.index(name))
            else:
                self._slots.append(len(out_header))
                out_header.append(name)
        self.out_header = out_header
        self._append_only = self._slots == list(range(len(header), len(out_header)))

    @staticmethod
    def _guess(header: list[str], names: tuple[str, ...], parameter: str) -> int:
        lower = [h.strip().lower() for h in header]
        for n in names:
            if n in lower:
                return lower.index(n)
        raise InvalidQueryError(f"no {parameter} column (looked for {', '.join(names)}; name it with "
                                f"{parameter}=COLUMN)", parameter)

    def _next_row(self) -> list[str] | None:
        try:
            for row in self._reader:
                if row:
                    return row
        except csv.Error as exc:
            raise InvalidQueryError(f"line {self._reader.line_num}: {exc}", "data") from None
        return None

    def _read_block(self) -> tuple[list[list[str]], list[int]]:
        rows: list[list[str]] = []
        lines: list[int] = []
        reader, width = self._reader, self._width
        try:
            for row in reader:
                if not row:
                    continue
                if len(row) != width:
                    self.problems += 1
                    self.on_problem(reader.line_num, f"{len(row)} fields where the header has {width}"
                                    + ("; the extra fields are dropped" if len(row) > width else ""))
                    row = row[:width] if len(row) > width else row + [""] * (width - len(row))
                if any(REPLACEMENT in field for field in row):
                    # the stream is decoded with errors="replace" (one bad byte must not stop a
                    # ten-million-row file): say where, instead of geocoding mangled text silently
                    self.problems += 1
                    self.on_problem(reader.line_num, f"bytes not valid {self.encoding} were replaced by U+FFFD "
                                    "(give the file's encoding)")
                rows.append(row)
                lines.append(reader.line_num)
                if len(rows) == BLOCK_ROWS:
                    break
        except csv.Error as exc:
            raise InvalidQueryError(f"line {reader.line_num}: {exc}", "data") from None
        return rows, lines

    def _geocode(self, rows: list[list[str]]):
        if self.reverse:
            lat, lon = self._lat, self._lon
            return self.batch.reverse([r[lat] for r in rows], [r[lon] for r in rows], threads=self.threads)
        query = self._query
        pcs = [r[self._postcode] for r in rows] if self._postcode is not None else None
        ccs = [r[self._citycode] for r in rows] if self._citycode is not None else None
        lats = lons = None
        if self._focus is not None:
            lats = [r[self._focus[0]] for r in rows]
            lons = [r[self._focus[1]] for r in rows]
        return self.batch.search([query(r) for r in rows], pcs, ccs, lats, lons, threads=self.threads)

    def _write(self, rows: list[list[str]], buffer: io.StringIO, writer) -> None:
        """The rows as csv.writer writes them: a row whose fields hold no delimiter, quote or line
        break is its fields joined (what QUOTE_MINIMAL writes for it), the others go through the
        writer."""
        d, q = self.delimiter, self.quote
        lines = []
        for r in rows:
            line = d.join(r)
            if line.count(d) != len(r) - 1 or q in line or "\n" in line or "\r" in line or line == "":
                if lines:
                    buffer.write("".join(lines))
                    lines = []
                writer.writerow(r)
            else:
                lines.append(line + "\r\n")
        buffer.write("".join(lines))

    def __iter__(self) -> Iterator[bytes]:
        started = time.perf_counter()
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.delimiter, quotechar=self.quote, lineterminator="\r\n")
        writer.writerow(self.out_header)
        while True:
            rows, lines = self._read_block()
            if rows:
                places, problems = self._geocode(rows)
                for i, message in problems.items():
                    if not self.reverse:            # reverse: rows without coordinates are expected
                        self.problems += 1
                        self.on_problem(lines[i], message)
                self.found += sum(p is not None for p in places)
                results = result_text(places, self.names)
                if self._append_only:
                    rows = [r + res for r, res in zip(rows, results)]
                else:
                    for r, res in zip(rows, results):
                        r.extend([""] * (len(self.out_header) - len(r)))
                        for slot, value in zip(self._slots, res):
                            r[slot] = value
                self._write(rows, buffer, writer)
                self.rows += len(rows)
            data = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if not rows:
                yield self._encoder.encode(data, final=True)
                break
            yield self._encoder.encode(data)
            if self.on_progress is not None:
                self.on_progress(self.rows, time.perf_counter() - started)


def read_csv_table(path: str | os.PathLike, **options):
    """A CSV file as a pyarrow Table of text columns (detection as for CsvJob)."""
    import pyarrow as pa

    with open(path, "rb") as fh:
        reader = _TableReader(fh, **options)
        return pa.table({name: pa.array(col, pa.string()) for name, col in zip(reader.header, reader.columns())})


class _TableReader:
    """Reads a whole CSV (detection as CsvJob) into columns of text."""

    def __init__(self, source: BinaryIO, delimiter: str | None = None, encoding: str | None = None,
                 quote: str | None = None):
        reader = _open_csv(source, delimiter, encoding, quote, "table")[0]
        self._rows = (r for r in reader if r)
        self.header = next(self._rows, None)
        if self.header is None:
            raise InvalidQueryError("the file has no header line", "table")

    def columns(self) -> list[list[str]]:
        width = len(self.header)
        cols: list[list[str]] = [[] for _ in range(width)]
        for row in self._rows:
            if len(row) != width:
                row = row[:width] if len(row) > width else row + [""] * (width - len(row))
            for c, v in zip(cols, row):
                c.append(v)
        return cols


def geocode_csv(net, source: BinaryIO, **options) -> CsvJob:
    """A geocoding job over a CSV stream (see CsvJob; ``engine.Network.geocode_csv``)."""
    return CsvJob(net, source, reverse=False, **options)


def reverse_csv(net, source: BinaryIO, **options) -> CsvJob:
    """A reverse-geocoding job over a CSV stream with lat/lon columns (``engine.Network.reverse_csv``)."""
    return CsvJob(net, source, reverse=True, **options)
