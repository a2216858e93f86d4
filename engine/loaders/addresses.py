"""Read a BAN-format address CSV (``.csv`` or ``.csv.gz``) into one flat Arrow table.

BUILD TIME ONLY, vectorised with ``pyarrow.csv`` and ``pyarrow.compute``: no Python loop per row,
and streamed one CSV block at a time (a national file's raw text is never held whole).
Required columns: ``numero``, ``nom_voie``, ``lon``, ``lat``; optional: ``id``, ``rep``,
``code_postal``, ``code_insee``, ``nom_commune``, ``code_insee_ancienne_commune``,
``nom_ancienne_commune``, ``x``, ``y`` (BAN names). The separator (``;`` or ``,``) is
taken from the header line. Rows without a usable number, street or coordinate are skipped and
counted in the BuildReport (``addresses.skipped_*``), with one warning per kind naming the first
bad line.

Output columns (the contract with ``engine.geocoder.index_build``): id, number (int32), suffix
(raw ``rep``), street, postcode, citycode, city, lat, lon (float64), oldcitycode, oldcity (merged
communes), x, y (float64, the input's projected coordinates, NaN without them). A file with BAN's
own columns carries ``attribution``/``licence`` in the table's schema metadata (BAN, ETALAB-2.0).
"""
from __future__ import annotations

import codecs
import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import InputError
from .gtfs_csv import decode_text, strip_nul
from .limits import InputLimits, hint, human, over, resolve

_CHUNK = 1 << 22
#: CSV text parsed at a time (the loader holds one block's raw text, plus the compact rows so far)
BLOCK_BYTES = 1 << 24
_RATIO_FLOOR = 1 << 20

REQUIRED = ("numero", "nom_voie", "lon", "lat")
OPTIONAL = ("id", "rep", "code_postal", "code_insee", "nom_commune", "code_insee_ancienne_commune",
            "nom_ancienne_commune", "x", "y")
ADDRESS_COLUMNS = ("id", "number", "suffix", "street", "postcode", "citycode", "city", "lat", "lon",
                   "oldcitycode", "oldcity", "x", "y")
#: Columns only BAN's own export has: such a file is BAN data, under BAN's licence.
BAN_MARKERS = ("id_fantoir", "certification_commune", "source_position")
#: Weight of a BAN lieu-dit among the geocoder's documents (an OSM place=locality gets 0.45).
LIEU_DIT_IMPORTANCE = 0.45
BAN_METADATA = {b"attribution": b"BAN", b"licence": b"ETALAB-2.0"}


def _float(col: pa.Array) -> pa.Array:
    """Decimal strings -> float64, NaN where the text is not a number."""
    ok = pc.match_substring_regex(col, r"^-?[0-9]+(\.[0-9]*)?$")
    return pc.fill_null(pc.cast(pc.if_else(ok, col, pa.scalar(None, pa.string())), pa.float64()), float("nan"))


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


class _Counted:
    """A binary file that knows how many (compressed) bytes were read from it."""

    def __init__(self, path: Path):
        self.raw = open(path, "rb")
        self.gz = gzip.GzipFile(fileobj=self.raw, mode="rb") if path.name.endswith(".gz") else None

    def read(self, n: int) -> bytes:
        return (self.gz or self.raw).read(n)

    def consumed(self) -> int:
        return self.raw.tell()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.gz is not None:
            self.gz.close()
        self.raw.close()


@dataclass(slots=True)
class _Scan:
    """What one streaming pass over the (decompressed) file found."""

    size: int = 0           # decompressed bytes
    lines: int = 0
    nul: int = 0            # NUL bytes
    utf8: bool = True       # the whole file is valid UTF-8
    header: bytes = b""


def _scan(path: Path, limits: InputLimits) -> _Scan:
    """One pass, 4 MiB at a time, memory bounded whatever the file: decompressed size (and
    ratio, for .gz), longest line, line count, NUL bytes, UTF-8 validity. InputError naming
    the file and the limit on the first limit exceeded."""
    out = _Scan()
    cap_bytes = limits.max_unzipped_bytes
    decoder = codecs.getincrementaldecoder("utf-8")()
    line_len = 0            # bytes of the current (unfinished) line
    head: list[bytes] = []
    try:
        with _Counted(path) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                out.size += len(chunk)
                if over(out.size, cap_bytes):
                    raise InputError(f"{path}: address file is larger than {human(cap_bytes)} "
                                     f"uncompressed ({hint('max_unzipped_bytes')})")
                packed = fh.consumed()      # compressed bytes read so far
                if (fh.gz is not None and out.size > _RATIO_FLOOR
                        and over(out.size / max(packed, 1), limits.max_ratio)):
                    raise InputError(f"{path}: expands more than {limits.max_ratio:g} times "
                                     f"({human(packed)} -> over {human(out.size)}; "
                                     f"{hint('max_ratio')}): refused as a possible gzip bomb")
                if not out.header:
                    head.append(chunk)
                    joined = b"".join(head)
                    if b"\n" in joined:
                        out.header = joined[:joined.index(b"\n") + 1]
                        head = []
                buf = np.frombuffer(chunk, np.uint8)
                nl = np.flatnonzero(buf == 10)
                before = out.lines
                out.lines += len(nl)
                if over(out.lines, limits.max_rows):
                    raise InputError(f"{path}: address file has more than {limits.max_rows} "
                                     f"lines ({hint('max_rows')})")
                cap = limits.max_line_bytes
                if cap > 0:
                    at = 0                           # 1-based line found too long
                    if len(nl):
                        big = np.flatnonzero(np.diff(nl) - 1 > cap)
                        if line_len + int(nl[0]) > cap:
                            at = before + 1
                        elif len(big):
                            at = before + 2 + int(big[0])
                        line_len = len(chunk) - int(nl[-1]) - 1
                    else:
                        line_len += len(chunk)
                    if not at and line_len > cap:
                        at = out.lines + 1
                    if at:
                        raise InputError(f"{path}: line {at} is longer than {human(cap)} "
                                         f"({hint('max_line_bytes')})")
                out.nul += chunk.count(b"\0")
                if out.utf8 and not chunk.isascii():
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        out.utf8 = False
            if out.utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    out.utf8 = False
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: cannot read address file: {exc}") from exc
    if not out.header:
        out.header = b"".join(head)
    return out


def _load_repaired(path: Path, report) -> bytes:
    """The whole file in memory (its size is bounded by the limits), NUL bytes removed and
    non-UTF-8 bytes decoded as cp1252, each with a warning naming the file and first line."""
    with _open(path) as fh:
        data = fh.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]

    def warn(code, fname, line, field, message):
        if report is not None:
            report.count(f"warnings.addresses.{code}")
            report.warn(f"addresses.{code}", "", fname, line, field, message)

    try:
        data = strip_nul(data, "address file", path.name, warn)
        return decode_text(data, "address file", path.name, warn)
    except InputError as exc:
        raise InputError(f"{path}: {str(exc).split(': ', 1)[-1]}") from exc


#: skip codes in the order they are reported, with the field they name
_SKIPS = (("addresses.skipped_bad_number", "numero"), ("addresses.skipped_no_number", "numero"),
          ("addresses.skipped_lieu_dit", "numero"), ("addresses.skipped_bad_coordinates", "lat/lon"),
          ("addresses.skipped_no_street", "nom_voie"))
_OUT_TYPES = {"number": pa.int32(), "lat": pa.float64(), "lon": pa.float64(), "x": pa.float64(),
              "y": pa.float64()}
_OUT_TYPES.update({c: pa.string() for c in ADDRESS_COLUMNS if c not in _OUT_TYPES})


def _place_table(n_places: int, cols: dict) -> pa.Table:
    """Lieux-dits as the geocoder's place rows (type ``locality``)."""
    blank = pa.array([""] * n_places, pa.string())
    return pa.table({
        "id": cols.get("id", blank), "type": pa.array(["locality"] * n_places, pa.string()),
        "name": cols.get("name", blank), "street": blank, "postcode": cols.get("postcode", blank),
        "citycode": cols.get("citycode", blank), "city": cols.get("city", blank),
        "lat": cols.get("lat", pa.array([], pa.float64())), "lon": cols.get("lon", pa.array([], pa.float64())),
        "importance": pa.array(np.full(n_places, LIEU_DIT_IMPORTANCE, np.float32)),
    })


def _convert_block(batch: pa.RecordBatch, row0: int, path: Path, want_places: bool,
                   tally: dict[str, list[int]]) -> tuple[dict[str, pa.Array], pa.Table | None]:
    """One CSV block -> the output columns of its kept rows (and its lieux-dits); skipped rows
    are counted in ``tally`` (code -> [count, first 1-based line]). ``row0``: rows before it."""
    n = batch.num_rows
    trimmed: dict[str, pa.Array] = {}

    def col(name: str) -> pa.Array:
        got = trimmed.get(name)
        if got is None:
            if name in batch.schema.names:
                got = pc.utf8_trim_whitespace(batch.column(name))
            else:
                got = pa.nulls(n, pa.string()).fill_null("")
            trimmed[name] = got
        return got

    number = pc.cast(pc.if_else(pc.match_substring_regex(col("numero"), r"^[0-9]{1,9}$"),
                                col("numero"), pa.scalar(None, pa.string())), pa.int64())
    lat = pc.cast(pc.if_else(pc.match_substring_regex(col("lat"), r"^-?[0-9]+(\.[0-9]*)?$"),
                             col("lat"), pa.scalar(None, pa.string())), pa.float64())
    lon = pc.cast(pc.if_else(pc.match_substring_regex(col("lon"), r"^-?[0-9]+(\.[0-9]*)?$"),
                             col("lon"), pa.scalar(None, pa.string())), pa.float64())
    street = col("nom_voie")
    lat_np = lat.to_numpy(zero_copy_only=False)
    lon_np = lon.to_numpy(zero_copy_only=False)
    numero_len = np.asarray(pc.utf8_length(col("numero")))
    bad_number = np.asarray(pc.is_null(number)) & (numero_len > 0)
    no_number = numero_len == 0
    bad_coord = ~(np.isfinite(lat_np) & np.isfinite(lon_np) & (np.abs(lat_np) <= 90) & (np.abs(lon_np) <= 180))
    no_street = np.asarray(pc.utf8_length(street)) == 0
    keep = ~(bad_number | no_number | bad_coord | no_street)
    # numero 99999 is BAN's marker for a named place (lieu-dit) without a real number.
    lieu_dit = np.asarray(pc.fill_null(number, -1)) >= 99999
    keep &= ~lieu_dit
    for key, mask in (("addresses.skipped_bad_number", bad_number),
                      ("addresses.skipped_no_number", no_number),
                      ("addresses.skipped_lieu_dit",
                       lieu_dit & ~bad_coord & ~no_street if not want_places else np.zeros_like(lieu_dit)),
                      ("addresses.skipped_bad_coordinates", bad_coord),
                      ("addresses.skipped_no_street", no_street)):
        count = int(mask.sum())
        if count:
            entry = tally.setdefault(key, [0, int(np.flatnonzero(mask)[0]) + row0 + 2])   # header = line 1
            entry[0] += count
    idx = pa.array(np.flatnonzero(keep))
    if "id" in batch.schema.names:
        ids = col("id")
    else:
        # no id column: "<file stem>:<line>" keeps ids unique and traceable to the input
        lines = pc.cast(pa.array(np.arange(row0 + 2, row0 + n + 2)), pa.string())
        ids = pc.binary_join_element_wise(pa.array([path.stem] * n, pa.string()), lines, ":")
    # the kept columns live until the whole file is read; this block's scratch arrays are freed
    # on return (the default pool, mimalloc, gives freed blocks back to the system)
    kept = {name: pc.take(values, idx) for name, values in (
        ("id", ids), ("number", pc.cast(pc.fill_null(number, 0), pa.int32())), ("suffix", col("rep")),
        ("street", street), ("postcode", col("code_postal")), ("citycode", col("code_insee")),
        ("city", col("nom_commune")), ("lat", lat), ("lon", lon),
        ("oldcitycode", col("code_insee_ancienne_commune")), ("oldcity", col("nom_ancienne_commune")),
        ("x", _float(col("x"))), ("y", _float(col("y"))))}
    places = None
    if want_places:
        rows = pa.array(np.flatnonzero(lieu_dit & ~bad_coord & ~no_street))
        places = _place_table(len(rows), {
            "id": pc.take(ids, rows), "name": pc.take(street, rows),
            "postcode": pc.take(col("code_postal"), rows), "citycode": pc.take(col("code_insee"), rows),
            "city": pc.take(col("nom_commune"), rows), "lat": pc.take(lat, rows), "lon": pc.take(lon, rows)})
    return kept, places


def read_addresses(path: str | Path, report=None, *, limits: InputLimits | None = None,
                   lieux_dits: list | None = None) -> pa.Table:
    """Parse one BAN-format CSV into the address table described in the module docstring.

    ``limits`` (default ``InputLimits.from_env()``, see ``engine.loaders.limits``) bound the
    decompressed size, gzip ratio, line length and line count: one streaming pass checks them
    before anything is parsed. NUL bytes are removed and text that is not UTF-8 is read as
    cp1252, with a warning in ``report`` (``addresses.csv.nul_bytes``,
    ``addresses.csv.encoding``). BAN's named places without a number (lieux-dits, numero
    99999) are not addresses: when ``lieux_dits`` is a list, a table of them (the geocoder's
    place columns, type ``locality``) is appended to it; else they are counted as skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: address file not found")
    limits = resolve(limits)
    scan = _scan(path, limits)
    source = path
    if scan.nul or not scan.utf8:
        data = _load_repaired(path, report)
        end = data.find(b"\n")
        header = (data if end < 0 else data[:end]).decode("utf-8")
        source = pa.BufferReader(pa.py_buffer(data))
        del data
    else:
        header = scan.header.decode("utf-8").lstrip("\ufeff")
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    names = [h.strip().strip('"') for h in header.rstrip("\r\n").split(delimiter)]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(f"{path}: not a BAN-format address CSV, missing column(s) {', '.join(missing)} "
                         f"(header: {', '.join(names[:12])})")
    wanted = [c for c in REQUIRED + OPTIONAL if c in names]
    # streamed one CSV block at a time: only the compact output columns (numbers, floats and
    # the few text columns the geocoder keeps) accumulate, never the whole file's raw text
    out_cols: dict[str, list] = {c: [] for c in ADDRESS_COLUMNS}
    place_parts: list[pa.Table] = []
    tally: dict[str, list[int]] = {}        # skip code -> [count, first line]
    n = 0
    try:
        # use_threads=False: no read-ahead; with it the reader parses blocks faster than they
        # are converted and queues them without bound (the whole file in memory)
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(block_size=max(BLOCK_BYTES, 2 * limits.max_line_bytes + (1 << 16)),
                                           use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types={c: pa.string() for c in wanted},
                strings_can_be_null=False),
        )
        for batch in reader:
            kept, places = _convert_block(batch, n, path, lieux_dits is not None, tally)
            for name in ADDRESS_COLUMNS:
                out_cols[name].append(kept[name])
            if places is not None and places.num_rows:
                place_parts.append(places)
            n += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: malformed CSV: {str(exc).splitlines()[0] if str(exc) else exc!r}") from exc
    for name in ADDRESS_COLUMNS:            # one column at a time: its blocks are freed as it is joined
        chunks = out_cols[name]
        out_cols[name] = pa.concat_arrays(chunks) if chunks \
            else pa.array([], _OUT_TYPES[name])
        del chunks
    out = pa.table(out_cols)
    del out_cols
    if report is not None:
        report.count("addresses.read", n)
        for key, field in _SKIPS:
            if key not in tally:
                continue
            count, first = tally[key]
            report.count(key, count)
            report.warn(key, "", path.name, first, field, f"{count} row(s) skipped, first at line {first}")
    if lieux_dits is not None:
        places = pa.concat_tables(place_parts) if place_parts else _place_table(0, {})
        lieux_dits.append(places)
        if report is not None and places.num_rows:
            report.count("addresses.lieux_dits", places.num_rows)
    if any(m in names for m in BAN_MARKERS):
        out = out.replace_schema_metadata(BAN_METADATA)
    if report is not None:
        report.count("addresses.kept", out.num_rows)
    return out
