"""agency.txt + routes.txt -> route columns with agency names, and the feed's timezone."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine._types import NO_VALUE
from engine.loaders.gtfs_csv import CsvTable
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_parse import to_int
from engine.loaders.gtfs_stops import StopsPart, first_occurrence, keep_rows


@dataclass
class RoutesPart:
    ids: pa.Array
    agency_name: pa.Array
    short_name: pa.Array
    long_name: pa.Array
    route_type: np.ndarray   # int32, NO_VALUE if unusable
    color: pa.Array
    text_color: pa.Array


def feed_timezone(agency: CsvTable | None, stops: StopsPart, diag: Diag) -> tuple[str, str]:
    """(timezone, "; "-joined agency names). Without agency.txt: the commonest stop_timezone."""
    if agency is not None:
        diag.count("agency.read", agency.n_rows)
    if agency is not None and agency.n_rows:
        names = [n for n in agency.get("agency_name").to_pylist() if n]
        tzs = [z for z in agency.get("agency_timezone").to_pylist() if z]
        if len(set(tzs)) > 1:
            diag.warn("agency.several_timezones", "agency.txt", 0, "agency_timezone",
                      f"agencies use several timezones {sorted(set(tzs))}; {tzs[0]} used")
        if tzs:
            return tzs[0], "; ".join(dict.fromkeys(names))
        agency_names = "; ".join(dict.fromkeys(names))
    else:
        agency_names = ""
    common = Counter(z for z in stops.timezone.to_pylist() if z).most_common(1)
    tz = common[0][0] if common else "UTC"
    diag.warn("agency.missing" if agency is None else "agency.no_timezone", "agency.txt", 0,
              "agency_timezone",
              f"agency.txt {'is missing' if agency is None else 'gives no agency_timezone'}; "
              f"timezone {tz} taken from " + ("stop_timezone" if common else "default"))
    return tz, agency_names


def load_routes(t: CsvTable, agency: CsvTable | None, diag: Diag) -> RoutesPart:
    diag.count("routes.read", t.n_rows)
    ids = t.get("route_id")
    empty = ~t.nonempty("route_id")
    diag.rows("routes.empty_id", "skipped", t, np.flatnonzero(empty), "route_id", "empty route_id")
    keep = ~empty & first_occurrence(ids)
    dup = np.flatnonzero(~keep & ~empty)
    diag.rows("routes.duplicate_id", "skipped", t, dup, "route_id",
              "duplicate route_id {value!r}, first one kept", values=ids.take(pa.array(dup)))
    rows = np.flatnonzero(keep)
    rtype, bad = to_int(t.get("route_type"), NO_VALUE)
    rtype, bad = rtype[rows], bad[rows] | ~t.nonempty("route_type")[rows] | (rtype[rows] < 0)
    diag.rows("routes.bad_route_type", "fixed", t, rows[bad], "route_type",
              "missing or bad route_type; kept as unknown (-1)")
    rtype = np.where(bad, NO_VALUE, rtype).astype(np.int32)

    n = len(rows)
    agency_name = pa.array([""] * n, pa.string())
    if agency is not None and agency.n_rows:
        a_ids, a_names = agency.get("agency_id"), agency.get("agency_name")
        r_agency = keep_rows(t.get("agency_id"), keep)
        idx = pc.index_in(r_agency, value_set=a_ids).fill_null(-1).to_numpy(
            zero_copy_only=False).astype(np.int64)
        has = pc.greater(pc.binary_length(r_agency), 0).to_numpy(zero_copy_only=False)
        unknown = has & (idx < 0) & (agency.has("agency_id") or agency.n_rows > 1)
        diag.rows("routes.unknown_agency", "fixed", t, rows[unknown], "agency_id",
                  "agency_id {value!r} not in agency.txt",
                  values=r_agency.filter(pa.array(unknown)))
        if agency.n_rows == 1:
            idx = np.zeros(n, np.int64)          # the only agency
        else:
            missing = ~has
            diag.rows("routes.no_agency", "fixed", t, rows[missing], "agency_id",
                      "route has no agency_id although the feed has several agencies; "
                      "first agency assumed")
            idx = np.where(missing, 0, idx)
        names = a_names.take(pa.array(np.maximum(idx, 0)))
        agency_name = pc.if_else(pa.array(idx >= 0), names, pa.scalar("", pa.string()))

    def col(name: str) -> pa.Array:
        return keep_rows(t.get(name), keep)

    return RoutesPart(ids=keep_rows(ids, keep), agency_name=agency_name,
                      short_name=col("route_short_name"), long_name=col("route_long_name"),
                      route_type=rtype, color=col("route_color"),
                      text_color=col("route_text_color"))
