"""Tables in, tables out: ``geocode_table`` / ``reverse_table`` with addok-csv's result columns.

Input: a pyarrow Table or RecordBatch, a pandas DataFrame, or a CSV path (read as text with
``csv_io``). Output: the input columns unchanged, then the result columns (a result column named
like an input column replaces it, in place). Rows that find nothing have nulls in every result
column. In the table, values are the ``Place``'s own (full-precision score, distance in metres);
CSV output writes them as addok-csv does (score rounded to 2 decimals, whole metres).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BundleError, InvalidQueryError
from .batch import batch_geocoder
from .types import Place

#: addok-csv's /search/csv/ result columns, in its order (BAN's API names).
SEARCH_COLUMNS = ("latitude", "longitude", "result_label", "result_score", "result_type", "result_id",
                  "result_housenumber", "result_name", "result_street", "result_postcode", "result_city",
                  "result_context", "result_citycode")
#: addok-csv's /reverse/csv/ result columns (the point's own lat/lon are input columns).
REVERSE_COLUMNS = ("result_latitude", "result_longitude", "result_label", "result_distance", "result_type",
                   "result_id", "result_housenumber", "result_name", "result_street", "result_postcode",
                   "result_city", "result_context", "result_citycode")
#: Every result column: Place attribute, Arrow type, CSV text of a value.
_F64, _STR = pa.float64(), pa.string()
FIELDS: dict[str, tuple[str, pa.DataType, Callable[[Any], str]]] = {
    "latitude": ("lat", _F64, repr), "longitude": ("lon", _F64, repr),
    "result_latitude": ("lat", _F64, repr), "result_longitude": ("lon", _F64, repr),
    "result_label": ("label", _STR, str), "result_score": ("score", _F64, lambda v: repr(round(v, 2))),
    "result_distance": ("distance_m", _F64, lambda v: str(int(v))),
    "result_type": ("type", _STR, str), "result_id": ("id", _STR, str),
    "result_housenumber": ("housenumber", _STR, str), "result_name": ("name", _STR, str),
    "result_street": ("street", _STR, str), "result_postcode": ("postcode", _STR, str),
    "result_city": ("city", _STR, str), "result_context": ("context", _STR, str),
    "result_citycode": ("citycode", _STR, str), "result_district": ("district", _STR, str),
    "result_oldcity": ("oldcity", _STR, str), "result_oldcitycode": ("oldcitycode", _STR, str),
    "result_importance": ("importance", _F64, repr), "result_x": ("x", _F64, repr), "result_y": ("y", _F64, repr),
}


def check_result_columns(names: Sequence[str] | None, reverse: bool) -> tuple[str, ...]:
    """The result columns to write (default: addok-csv's), each a known name."""
    if names is None or len(names) == 0:
        return REVERSE_COLUMNS if reverse else SEARCH_COLUMNS
    if isinstance(names, str):
        names = [names]
    unknown = [n for n in names if n not in FIELDS or (n in ("latitude", "longitude") and reverse)
               or (n == "result_distance" and not reverse)]
    if unknown:
        allowed = [n for n in FIELDS if n not in unknown and not (reverse and n in ("latitude", "longitude"))
                   and not (n == "result_distance" and not reverse)]
        raise InvalidQueryError(f"unknown result column {unknown[0]!r}; choose among {', '.join(allowed)}",
                                "result_columns")
    return tuple(dict.fromkeys(names))


def result_values(places: Sequence[Place | None], names: Sequence[str]) -> list[list[Any]]:
    """Per result column, the values of every row (None where the row found nothing)."""
    out = []
    for name in names:
        attr = FIELDS[name][0]
        out.append([None if p is None else getattr(p, attr) for p in places])
    return out


def result_text(places: Sequence[Place | None], names: Sequence[str]) -> list[list[str]]:
    """Per row, its result columns as CSV text (addok-csv's formats; "" for nothing)."""
    get = attrgetter(*[FIELDS[n][0] for n in names])
    special = [(i, FIELDS[n][2]) for i, n in enumerate(names) if FIELDS[n][2] is not str]
    one = len(names) == 1
    empty = [""] * len(names)
    rows = []
    for p in places:
        if p is None:
            rows.append(empty)
            continue
        row = ["" if v is None else v for v in ((get(p),) if one else get(p))]
        for i, fmt in special:
            if row[i] != "":
                row[i] = fmt(row[i])
        rows.append(row)
    return rows


def as_table(data) -> pa.Table:
    """A pyarrow Table from a Table, RecordBatch, pandas DataFrame or CSV path."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, (str, os.PathLike)):
        from .csv_io import read_csv_table

        return read_csv_table(data)
    if type(data).__module__.split(".")[0] == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    raise InvalidQueryError(f"expected a pyarrow Table, a pandas DataFrame or a CSV path, got "
                            f"{type(data).__name__}", "table")


def _column(table: pa.Table, name, parameter: str) -> pa.ChunkedArray:
    if not isinstance(name, str) or name not in table.column_names:
        raise InvalidQueryError(f"no column {name!r} in the table (columns: {', '.join(table.column_names)})",
                                parameter)
    return table.column(name)


def _text_values(table: pa.Table, name: str | None, parameter: str) -> list | None:
    """A column as Python str values (None for nulls), or None when no column is named."""
    if name is None:
        return None
    col = _column(table, name, parameter)
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        col = pc.cast(col, pa.string())
    return col.to_pylist()


def _queries(table: pa.Table, columns: Sequence[str] | None) -> list[str]:
    """Each row's query: its named columns' text joined by spaces (addok-csv: nulls as "")."""
    names = list(table.column_names) if columns is None else ([columns] if isinstance(columns, str) else
                                                               list(columns))
    if not names:
        raise InvalidQueryError("columns must name at least one column", "columns")
    parts = []
    for name in names:
        col = _column(table, name, "columns")
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            col = pc.cast(col, pa.string())
        parts.append(pc.fill_null(col, ""))
    if len(parts) == 1:
        return parts[0].to_pylist()
    return pc.binary_join_element_wise(*parts, " ").to_pylist()


def with_results(table: pa.Table, places: Sequence[Place | None], names: Sequence[str]) -> pa.Table:
    """``table`` plus the result columns (replacing same-named input columns in place)."""
    for name, values in zip(names, result_values(places, names)):
        array = pa.array(values, type=FIELDS[name][1])
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, array)
        else:
            table = table.append_column(name, array)
    return table


def _geocoder_of(net):
    """The Geocoder of a Network (or a Geocoder itself)."""
    geocoder = getattr(net, "geocoder", net)
    if geocoder is None:
        raise BundleError("this bundle has no geocoder index (build it with addresses, OSM or GTFS)")
    return geocoder


def geocode_table(net, table, columns: Sequence[str] | None = None, *, postcode: str | None = None,
                  citycode: str | None = None, lat: str | None = None, lon: str | None = None,
                  result_columns: Sequence[str] | None = None, threads: int | None = None) -> pa.Table:
    """Geocode every row of ``table``: its best place, as addok-csv's ``/search/csv/`` does.

    Parameters
    ----------
    table : pyarrow Table or RecordBatch, pandas DataFrame, or the path of a CSV file (read as
        text, encoding and delimiter detected).
    columns : the columns joined (with spaces, nulls as "") into each row's query; default: all.
    postcode, citycode : a column whose value filters that row (blank: no filter).
    lat, lon : columns of a point each row prefers results near (both or neither).
    result_columns : the result columns to add (default SEARCH_COLUMNS; also result_district,
        result_oldcity, result_oldcitycode, result_importance, result_x, result_y).
    threads : native threads (default: the cores); the answers do not depend on it.

    Returns
    -------
    pyarrow.Table: the input columns, then the result columns (a result column named like an
    input column replaces it in place); a row that finds nothing has nulls there. Row i's values
    are those of ``net.geocode(query_i, limit=1, postcode=..., citycode=..., lat=..., lon=...)[0]``.
    """
    geocoder = _geocoder_of(net)
    names = check_result_columns(result_columns, reverse=False)
    table = as_table(table)
    queries = _queries(table, columns)
    if (lat is None) != (lon is None):
        raise InvalidQueryError("lat and lon name the focus columns together", "lat" if lat is None else "lon")
    places, _ = batch_geocoder(geocoder).search(
        queries, _text_values(table, postcode, "postcode"), _text_values(table, citycode, "citycode"),
        _text_values(table, lat, "lat"), _text_values(table, lon, "lon"), threads=threads)
    return with_results(table, places, names)


def reverse_table(net, table, lat: str = "lat", lon: str = "lon", *, result_columns: Sequence[str] | None = None,
                  threads: int | None = None) -> pa.Table:
    """The nearest place to every row's point (``net.reverse(lat, lon)[0]``), as addok-csv's
    ``/reverse/csv/``: the input columns then REVERSE_COLUMNS (``result_distance`` in metres);
    rows without valid coordinates, or that find nothing, have nulls there."""
    geocoder = _geocoder_of(net)
    names = check_result_columns(result_columns, reverse=True)
    table = as_table(table)
    places, _ = batch_geocoder(geocoder).reverse(_column(table, lat, "lat").to_pylist(),
                                                 _column(table, lon, "lon").to_pylist(), threads=threads)
    return with_results(table, places, names)
