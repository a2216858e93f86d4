"""calendar.txt + calendar_dates.txt -> service ids and a bool day matrix for one feed.

The matrix covers the feed's own period (first .. last date mentioned); the merger places it
into the global period. calendar_dates exception_type 1 adds a day, 2 removes it; services
defined only in calendar_dates.txt are supported. Rows with impossible dates are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.loaders.gtfs_csv import CsvTable
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_parse import parse_date, to_int
from engine.loaders.gtfs_stops import first_occurrence

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass
class CalendarPart:
    service_ids: pa.Array
    first_day: int            # days since 1970-01-01 of column 0
    days: np.ndarray          # bool [n_services, n_days]


def load_calendar(cal: CsvTable | None, cd: CsvTable | None, diag: Diag) -> CalendarPart:
    ids_parts: list[pa.Array] = []
    c_ok = None
    if cal is not None:
        diag.count("calendar.read", cal.n_rows)
        start, bad_s = parse_date(cal.get("start_date"))
        end, bad_e = parse_date(cal.get("end_date"))
        flags = []
        bad_f = np.zeros(cal.n_rows, bool)
        for wd in _WEEKDAYS:
            v, b = to_int(cal.get(wd), 0)
            bad_f |= b | ((v != 0) & (v != 1))
            flags.append(v == 1)
        sid = cal.get("service_id")
        no_id = ~cal.nonempty("service_id")
        diag.rows("calendar.bad_date", "skipped", cal, np.flatnonzero(bad_s & ~no_id),
                  "start_date", "bad start_date {value!r}",
                  values=cal.get("start_date").filter(pa.array(bad_s & ~no_id)))
        diag.rows("calendar.bad_date", "skipped", cal, np.flatnonzero(bad_e & ~bad_s & ~no_id),
                  "end_date", "bad end_date {value!r}",
                  values=cal.get("end_date").filter(pa.array(bad_e & ~bad_s & ~no_id)))
        diag.rows("calendar.bad_weekday", "fixed", cal, np.flatnonzero(bad_f), "monday",
                  "weekday flag not 0/1, read as 0")
        diag.rows("calendar.empty_service_id", "skipped", cal, np.flatnonzero(no_id),
                  "service_id", "empty service_id")
        c_ok = ~bad_s & ~bad_e & ~no_id
        dup = c_ok & ~first_occurrence(sid)
        diag.rows("calendar.duplicate_service", "skipped", cal, np.flatnonzero(dup), "service_id",
                  "duplicate service_id {value!r}, first row kept",
                  values=sid.filter(pa.array(dup)))
        c_ok &= ~dup
        sel = pa.array(c_ok)
        ids_parts.append(sid.filter(sel))
        c_start, c_end = start[c_ok], end[c_ok]
        c_flags = np.stack([f[c_ok] for f in flags], axis=1)       # [n, 7] Monday first
    d_ok = None
    if cd is not None:
        diag.count("calendar_dates.read", cd.n_rows)
        date, bad_d = parse_date(cd.get("date"))
        etype, bad_t = to_int(cd.get("exception_type"), -1)
        bad_t |= (etype != 1) & (etype != 2)
        no_id = ~cd.nonempty("service_id")
        diag.rows("calendar_dates.bad_date", "skipped", cd, np.flatnonzero(bad_d & ~no_id),
                  "date", "bad date {value!r}",
                  values=cd.get("date").filter(pa.array(bad_d & ~no_id)))
        diag.rows("calendar_dates.bad_exception_type", "skipped", cd,
                  np.flatnonzero(bad_t & ~bad_d & ~no_id), "exception_type",
                  "exception_type must be 1 or 2")
        diag.rows("calendar_dates.empty_service_id", "skipped", cd, np.flatnonzero(no_id),
                  "service_id", "empty service_id")
        d_ok = ~bad_d & ~bad_t & ~no_id
        d_sid = cd.get("service_id").filter(pa.array(d_ok))
        d_date, d_type = date[d_ok], etype[d_ok]
        ids_parts.append(d_sid)
    all_ids = pa.concat_arrays(ids_parts) if ids_parts else pa.array([], pa.string())
    service_ids = pc.unique(all_ids) if len(all_ids) else all_ids
    # calendar.txt ids come first and unique already; unique() keeps first-seen order.
    lo, hi = [], []
    if c_ok is not None and len(c_start):
        lo.append(int(c_start.min()))
        hi.append(int(c_end.max()))
    if d_ok is not None and len(d_date):
        lo.append(int(d_date.min()))
        hi.append(int(d_date.max()))
    if not lo:
        return CalendarPart(service_ids, 0, np.zeros((len(service_ids), 0), bool))
    first, last = min(lo), max(hi)
    n_days = max(0, last - first + 1)
    days = np.zeros((len(service_ids), n_days), bool)
    if c_ok is not None and len(c_start):
        row = pc.index_in(ids_parts[0], value_set=service_ids).to_numpy(zero_copy_only=False)
        day = np.arange(n_days) + first
        dow = (day + 3) % 7                           # 1970-01-01 was a Thursday (3, Monday=0)
        active = c_flags[:, dow] & (day[None, :] >= c_start[:, None]) & \
            (day[None, :] <= c_end[:, None])
        days[row] = active
        inverted = c_end < c_start
        if inverted.any():
            diag.warn("calendar.end_before_start", "calendar.txt", 0, "end_date",
                      f"{int(inverted.sum())} calendar rows end before they start (no days)")
    if d_ok is not None and len(d_date):
        row = pc.index_in(d_sid, value_set=service_ids).to_numpy(zero_copy_only=False)
        col = d_date - first
        add = d_type == 1
        days[row[add], col[add]] = True
        days[row[~add], col[~add]] = False
    return CalendarPart(service_ids, first, days)
