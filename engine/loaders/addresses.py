"""Read a BAN-format address CSV (``.csv`` or ``.csv.gz``) into one flat Arrow table.

BUILD TIME ONLY, vectorised with ``pyarrow.csv`` and ``pyarrow.compute``: no Python loop per row.
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

import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import InputError

REQUIRED = ("numero", "nom_voie", "lon", "lat")
OPTIONAL = ("id", "rep", "code_postal", "code_insee", "nom_commune", "code_insee_ancienne_commune",
            "nom_ancienne_commune", "x", "y")
ADDRESS_COLUMNS = ("id", "number", "suffix", "street", "postcode", "citycode", "city", "lat", "lon",
                   "oldcitycode", "oldcity", "x", "y")
#: Columns only BAN's own export has: such a file is BAN data, under BAN's licence.
BAN_MARKERS = ("id_fantoir", "certification_commune", "source_position")
BAN_METADATA = {b"attribution": b"BAN", b"licence": b"ETALAB-2.0"}


def _float(col: pa.Array) -> pa.Array:
    """Decimal strings -> float64, NaN where the text is not a number."""
    ok = pc.match_substring_regex(col, r"^-?[0-9]+(\.[0-9]*)?$")
    return pc.fill_null(pc.cast(pc.if_else(ok, col, pa.scalar(None, pa.string())), pa.float64()), float("nan"))


def _header(path: Path) -> str:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            return fh.readline()
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read address file: {exc}") from exc


def read_addresses(path: str | Path, report=None) -> pa.Table:
    """Parse one BAN-format CSV into the address table described in the module docstring."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: address file not found")
    header = _header(path)
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    names = [h.strip().strip('"') for h in header.rstrip("\r\n").split(delimiter)]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(f"{path}: not a BAN-format address CSV, missing column(s) {', '.join(missing)} "
                         f"(header: {', '.join(names[:12])})")
    wanted = [c for c in REQUIRED + OPTIONAL if c in names]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types={c: pa.string() for c in wanted},
                strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from exc
    n = table.num_rows

    def col(name: str) -> pa.Array:
        if name in table.column_names:
            return pc.utf8_trim_whitespace(table.column(name).combine_chunks())
        return pa.array([""] * n, pa.string())

    number = pc.cast(pc.if_else(pc.match_substring_regex(col("numero"), r"^[0-9]{1,9}$"),
                                col("numero"), pa.scalar(None, pa.string())), pa.int64())
    lat = pc.cast(pc.if_else(pc.match_substring_regex(col("lat"), r"^-?[0-9]+(\.[0-9]*)?$"),
                             col("lat"), pa.scalar(None, pa.string())), pa.float64())
    lon = pc.cast(pc.if_else(pc.match_substring_regex(col("lon"), r"^-?[0-9]+(\.[0-9]*)?$"),
                             col("lon"), pa.scalar(None, pa.string())), pa.float64())
    street = col("nom_voie")
    lat_np = lat.to_numpy(zero_copy_only=False)
    lon_np = lon.to_numpy(zero_copy_only=False)
    bad_number = np.asarray(pc.is_null(number)) & (np.asarray(pc.utf8_length(col("numero"))) > 0)
    no_number = np.asarray(pc.utf8_length(col("numero"))) == 0
    bad_coord = ~(np.isfinite(lat_np) & np.isfinite(lon_np) & (np.abs(lat_np) <= 90) & (np.abs(lon_np) <= 180))
    no_street = np.asarray(pc.utf8_length(street)) == 0
    keep = ~(bad_number | no_number | bad_coord | no_street)
    # numero 99999 is BAN's marker for a named place (lieu-dit) without a real number.
    number_np = np.asarray(pc.fill_null(number, -1))
    lieu_dit = number_np >= 99999
    keep &= ~lieu_dit
    if report is not None:
        report.count("addresses.read", n)
        for key, mask, field in (("addresses.skipped_bad_number", bad_number, "numero"),
                                 ("addresses.skipped_no_number", no_number, "numero"),
                                 ("addresses.skipped_lieu_dit", lieu_dit & ~bad_coord, "numero"),
                                 ("addresses.skipped_bad_coordinates", bad_coord, "lat/lon"),
                                 ("addresses.skipped_no_street", no_street, "nom_voie")):
            count = int(mask.sum())
            if count:
                report.count(key, count)
                first = int(np.flatnonzero(mask)[0]) + 2    # 1-based, header is line 1
                report.warn(key, "", path.name, first, field, f"{count} row(s) skipped, first at line {first}")
    idx = pa.array(np.flatnonzero(keep))
    ids = col("id")
    if "id" not in table.column_names:
        # no id column: "<file stem>:<line>" keeps ids unique and traceable to the input
        lines = pc.cast(pa.array(np.arange(2, n + 2)), pa.string())
        ids = pc.binary_join_element_wise(pa.array([path.stem] * n, pa.string()), lines, ":")
    out = pa.table({
        "id": pc.take(ids, idx),
        "number": pc.take(pc.cast(pc.fill_null(number, 0), pa.int32()), idx),
        "suffix": pc.take(col("rep"), idx),
        "street": pc.take(street, idx),
        "postcode": pc.take(col("code_postal"), idx),
        "citycode": pc.take(col("code_insee"), idx),
        "city": pc.take(col("nom_commune"), idx),
        "lat": pc.take(lat, idx),
        "lon": pc.take(lon, idx),
        "oldcitycode": pc.take(col("code_insee_ancienne_commune"), idx),
        "oldcity": pc.take(col("nom_ancienne_commune"), idx),
        "x": pc.take(_float(col("x")), idx),
        "y": pc.take(_float(col("y")), idx),
    })
    if any(m in names for m in BAN_MARKERS):
        out = out.replace_schema_metadata(BAN_METADATA)
    if report is not None:
        report.count("addresses.kept", out.num_rows)
    return out
