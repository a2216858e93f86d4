"""Property tests: the numpy time/date parsers agree with a plain Python reading, and
interpolated trips come out complete and non-decreasing."""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.loaders.gtfs_parse import parse_date, parse_hms, to_float, to_int
from engine.loaders.gtfs_times import interpolate, segments

_TIME = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")


def _ref_hms(text: str):
    m = _TIME.match(text)
    return None if m is None else int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])


times = st.one_of(
    st.builds(lambda h, m, s, w: f"{h:0{w}d}:{m:02d}:{s:02d}", st.integers(0, 199),
              st.integers(0, 59), st.integers(0, 59), st.sampled_from([1, 2])),
    st.text(alphabet="0123456789: x", max_size=10))


@settings(max_examples=200, deadline=None)
@given(st.lists(times, max_size=30))
def test_parse_hms_matches_reference(values):
    secs, bad, missing = parse_hms(pa.array(values, pa.string()))
    for v, s, b, m in zip(values, secs, bad, missing):
        ref = _ref_hms(v)
        if ref is None:
            assert m and (b == (v != ""))
        else:
            assert not m and not b and s == ref


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31))
                          .map(lambda d: d.strftime("%Y%m%d")),
                          st.text(alphabet="0123456789", min_size=8, max_size=8)), max_size=30))
def test_parse_date_matches_reference(values):
    days, bad = parse_date(pa.array(values, pa.string()))
    for v, d, b in zip(values, days, bad):
        try:
            ref = (dt.datetime.strptime(v, "%Y%m%d").date() - dt.date(1970, 1, 1)).days
            ok = int(v[:4]) >= 1900
        except ValueError:
            ok = False
        assert b == (not ok)
        if ok:
            assert d == ref


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.integers(-10**6, 10**6).map(str), st.just(""), st.just("1.0"),
                          st.just("x"), st.floats(allow_nan=False, allow_infinity=False)
                          .map(repr)), max_size=20))
def test_to_int_and_to_float_never_crash(values):
    arr = pa.array(values, pa.string())
    ints, bad_i = to_int(arr, -7)
    floats, bad_f = to_float(arr)
    for v, i, bi, f, bf in zip(values, ints, bad_i, floats, bad_f):
        if v == "":
            assert i == -7 and np.isnan(f) and not bi and not bf
        if re.fullmatch(r"-?\d+", v):
            assert i == int(v) and not bi


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 600), st.booleans(), st.floats(0, 5000)),
                         min_size=2, max_size=12), min_size=1, max_size=6))
def test_interpolated_trips_are_complete_and_monotone(trips):
    arr, timed, dist, trip = [], [], [], []
    for k, rows in enumerate(trips):
        t = 0
        d = 0.0
        for j, (step, keep, dd) in enumerate(rows):
            t += step
            d += dd
            arr.append(t)
            timed.append(keep or j in (0, len(rows) - 1))
            dist.append(d)
            trip.append(k)
    arr = np.array(arr, np.int64)
    timed = np.array(timed)
    orig = arr.copy()
    arr = np.where(timed, arr, -1)
    dep = arr.copy()
    interpolate(arr, dep, timed, np.array(dist))
    starts, ends, seg = segments(np.array(trip))
    assert np.all(arr[timed] == orig[timed])
    assert np.all(arr >= 0)
    first = np.zeros(len(arr), bool)
    first[starts] = True
    assert np.all((np.diff(arr) >= 0) | first[1:])
