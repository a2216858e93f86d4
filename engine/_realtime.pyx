# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""GTFS-Realtime kernels: TripUpdate fields as columns, new stop times per updated trip,
overlay patterns without overtaking, and trips struck out of next_active rows.

Why a wire reader next to gtfs-realtime-bindings: the bindings parse and validate every
message (engine/realtime/feed.py), but reading 24,000 StopTimeUpdates through their Python
objects costs ~2.8 us each (67 ms for a 2,000-trip feed) against a 50 ms budget for the whole
application. ``read_trip_updates`` walks the same, already validated, bytes once and writes
the TripUpdate fields it needs into flat arrays (strings as byte spans into the message);
tests/unit/realtime compares it with the bindings on every recording.

Columns of ``read_trip_updates`` (E = entities, U = stop time updates, spans are
(start, length) into the message, length -1 = absent):
  ent_id, ent_trip_id, ent_start_time, ent_start_date, ent_route_id   int64 [E, 2] spans
  ent_prop_trip_id, ent_prop_start_date, ent_prop_start_time         int64 [E, 2] (trip_properties)
  ent_deleted uint8, ent_kind int8 (0 none, 1 trip_update, 2 alert, 3 other),
  ent_trip_rel int8 (-1 unset), ent_direction int8 (-1 unset),
  ent_delay int32 + ent_has_delay uint8 (TripUpdate.delay), ent_timestamp int64 (0 unset)
  ent_stu_offsets int64 [E + 1]  CSR entity -> its stop time updates
  stu_seq int64 (-1 unset), stu_stop_id int64 [U, 2] span, stu_rel int8 (-1 unset),
  stu_arr_delay/stu_dep_delay int32, stu_arr_time/stu_dep_time int64,
  stu_flags uint8: 1 arr delay, 2 arr time, 4 dep delay, 8 dep time
"""
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint64_t
from cpython.bytes cimport PyBytes_FromStringAndSize
import numpy as np

cdef enum:
    NO_IDX = -1
    UNKNOWN = -2
    F_ARR_DELAY = 1
    F_ARR_TIME = 2
    F_DEP_DELAY = 4
    F_DEP_TIME = 8

# per-position flags of a computed trip (mirrored in engine/realtime/updates.py)
cdef enum:
    POS_SKIPPED = 1
    POS_EXPLICIT = 2
    POS_NO_DATA = 4

# per-update status codes (mirrored in engine/realtime/updates.py)
cdef enum:
    ST_OK = 0
    ST_NON_MONOTONIC = 1
    ST_ALL_SKIPPED = 2
    ST_OUT_OF_RANGE = 3

# counters of compute_trip_times (mirrored in engine/realtime/updates.py)
cdef enum:
    C_SEQ_NOT_IN_TRIP = 0
    C_STOP_NOT_IN_TRIP = 1
    C_STOP_MISMATCH = 2
    C_OUT_OF_ORDER = 3
    C_NO_EVENT = 4
    C_UNKNOWN_STOP = 5
    C_REPAIRED = 6
    C_ARR_AFTER_DEP = 7
    N_COUNTERS = 8

cdef int64_t BIG = 1 << 60
cdef int64_t MAX_TIME = 8 * 86400        # |GTFS time| of a service day accepted from a feed


class WireError(ValueError):
    """The bytes are not a well-formed protocol buffer."""


cdef struct Cursor:
    const uint8_t* p
    const uint8_t* end
    int error


cdef inline uint64_t _varint(Cursor* c) noexcept nogil:
    cdef uint64_t v = 0
    cdef int shift = 0
    cdef uint8_t b
    while c.p < c.end:
        b = c.p[0]
        v |= (<uint64_t>(b & 0x7F)) << shift
        c.p += 1
        if not (b & 0x80):
            return v
        shift += 7
        if shift > 63:
            break
    c.error = 1
    return 0


cdef inline bint _field(Cursor* c, uint64_t* key) noexcept nogil:
    """Read the next field key of c: False at its end or once an error is set. The one loop
    head of every message reader below. A broken key varint reads as 0 (skipped as a varint,
    c.error set, so the loop ends). Field number 0 is not refused here: the bindings already
    refused it, and the check costs ~7% of the walk."""
    if c.p >= c.end or c.error:
        return False
    key[0] = _varint(c)
    return True


cdef inline void _close(Cursor* sub, Cursor* c) noexcept nogil:
    """A sub-message's error is its parent's."""
    if sub.error:
        c.error = 1


cdef enum:
    MAX_GROUP_DEPTH = 100                # nesting limit of the protobuf runtimes


cdef void _skip_group(Cursor* c, uint64_t start_key, int depth) noexcept nogil:
    """A (deprecated) group: every field up to the end-group tag of the same field number."""
    cdef uint64_t key
    if depth >= MAX_GROUP_DEPTH:
        c.error = 1
        return
    while _field(c, &key):
        if (key & 7) == 4:
            if (key >> 3) != (start_key >> 3):
                c.error = 1
            return
        _skip_value(c, key, depth + 1)
    c.error = 1                          # no end-group tag before the end of the bytes


cdef inline void _skip_value(Cursor* c, uint64_t key, int depth) noexcept nogil:
    """Move past one field's value, whatever its wire type; an end-group tag outside its
    group and wire types 6 and 7 are errors."""
    cdef uint64_t n
    cdef int wire = key & 7
    if wire == 0:
        _varint(c)
    elif wire == 2:
        n = _varint(c)
        if c.error or n > <uint64_t>(c.end - c.p):
            c.error = 1
            return
        c.p += n
    elif wire == 1 or wire == 5:
        n = 8 if wire == 1 else 4
        if n > <uint64_t>(c.end - c.p):
            c.error = 1
            return
        c.p += n
    elif wire == 3:
        _skip_group(c, key, depth)
    else:
        c.error = 1


cdef inline void _skip(Cursor* c, uint64_t key) noexcept nogil:
    _skip_value(c, key, 0)


cdef inline int8_t _enum8(uint64_t v) noexcept nogil:
    """An enum (or small id) varint as int8, -1 (unset) when it does not fit: the bindings keep
    an unknown enum value out of the field, and a bare cast would turn 259 into 3 (CANCELED)."""
    return <int8_t>v if v <= 127 else -1


cdef inline int _sub(Cursor* c, Cursor* sub) noexcept nogil:
    """Length-delimited field: sub covers its bytes, c moves past them."""
    cdef uint64_t n = _varint(c)
    if c.error or n > <uint64_t>(c.end - c.p):
        c.error = 1
        return 0
    sub.p = c.p
    sub.end = c.p + n
    sub.error = 0
    c.p += n
    return 1


cdef class _Columns:
    cdef public object ent_id, ent_trip_id, ent_start_time, ent_start_date, ent_route_id
    cdef public object ent_prop_trip_id, ent_prop_start_date, ent_prop_start_time
    cdef public object ent_deleted, ent_kind, ent_trip_rel, ent_direction, ent_delay, ent_has_delay
    cdef public object ent_timestamp, ent_stu_offsets
    cdef public object stu_seq, stu_stop_id, stu_rel, stu_arr_delay, stu_dep_delay
    cdef public object stu_arr_time, stu_dep_time, stu_flags


cdef struct Out:
    const uint8_t* base
    int64_t n_ent, n_stu
    bint fill
    int64_t* ent_id
    int64_t* ent_trip_id
    int64_t* ent_start_time
    int64_t* ent_start_date
    int64_t* ent_route_id
    int64_t* ent_prop_trip_id
    int64_t* ent_prop_start_date
    int64_t* ent_prop_start_time
    uint8_t* ent_deleted
    int8_t* ent_kind
    int8_t* ent_trip_rel
    int8_t* ent_direction
    int32_t* ent_delay
    uint8_t* ent_has_delay
    int64_t* ent_timestamp
    int64_t* ent_stu_offsets
    int64_t* stu_seq
    int64_t* stu_stop_id
    int8_t* stu_rel
    int32_t* stu_arr_delay
    int32_t* stu_dep_delay
    int64_t* stu_arr_time
    int64_t* stu_dep_time
    uint8_t* stu_flags


cdef inline void _span(Out* o, Cursor* c, int64_t* dst) noexcept nogil:
    cdef Cursor s
    if _sub(c, &s) and o.fill:
        dst[0] = s.p - o.base
        dst[1] = s.end - s.p


cdef void _event(Out* o, Cursor* c, int64_t u, bint arrival) noexcept nogil:
    cdef Cursor s
    cdef uint64_t key, v
    if not _sub(c, &s):
        return
    while _field(&s, &key):
        if key == (1 << 3):
            v = _varint(&s)
            if o.fill:
                if arrival:
                    o.stu_arr_delay[u] = <int32_t>(<int64_t>v)
                    o.stu_flags[u] |= F_ARR_DELAY
                else:
                    o.stu_dep_delay[u] = <int32_t>(<int64_t>v)
                    o.stu_flags[u] |= F_DEP_DELAY
        elif key == (2 << 3):
            v = _varint(&s)
            if o.fill:
                if arrival:
                    o.stu_arr_time[u] = <int64_t>v
                    o.stu_flags[u] |= F_ARR_TIME
                else:
                    o.stu_dep_time[u] = <int64_t>v
                    o.stu_flags[u] |= F_DEP_TIME
        else:
            _skip(&s, key)
    _close(&s, c)


cdef void _stop_time_update(Out* o, Cursor* c) noexcept nogil:
    cdef Cursor s
    cdef uint64_t key
    cdef int64_t u = o.n_stu
    if not _sub(c, &s):
        return
    if o.fill:
        o.stu_seq[u] = -1
        o.stu_stop_id[2 * u] = 0
        o.stu_stop_id[2 * u + 1] = -1
        o.stu_rel[u] = -1
        o.stu_flags[u] = 0
        o.stu_arr_delay[u] = 0
        o.stu_dep_delay[u] = 0
        o.stu_arr_time[u] = 0
        o.stu_dep_time[u] = 0
    while _field(&s, &key):
        if key == (1 << 3):
            if o.fill:
                o.stu_seq[u] = <int64_t>_varint(&s)
            else:
                _varint(&s)
        elif key == ((4 << 3) | 2):
            _span(o, &s, &o.stu_stop_id[2 * u] if o.fill else NULL)
        elif key == ((2 << 3) | 2):
            _event(o, &s, u, True)
        elif key == ((3 << 3) | 2):
            _event(o, &s, u, False)
        elif key == (5 << 3):
            if o.fill:
                o.stu_rel[u] = _enum8(_varint(&s))
            else:
                _varint(&s)
        else:
            _skip(&s, key)
    _close(&s, c)
    o.n_stu += 1


cdef void _trip_descriptor(Out* o, Cursor* c, int64_t e) noexcept nogil:
    cdef Cursor s
    cdef uint64_t key, v
    if not _sub(c, &s):
        return
    while _field(&s, &key):
        if key == ((1 << 3) | 2):
            _span(o, &s, &o.ent_trip_id[2 * e] if o.fill else NULL)
        elif key == ((2 << 3) | 2):
            _span(o, &s, &o.ent_start_time[2 * e] if o.fill else NULL)
        elif key == ((3 << 3) | 2):
            _span(o, &s, &o.ent_start_date[2 * e] if o.fill else NULL)
        elif key == ((5 << 3) | 2):
            _span(o, &s, &o.ent_route_id[2 * e] if o.fill else NULL)
        elif key == (4 << 3):
            v = _varint(&s)
            if o.fill:
                o.ent_trip_rel[e] = _enum8(v)
        elif key == (6 << 3):
            v = _varint(&s)
            if o.fill:
                o.ent_direction[e] = _enum8(v)
        else:
            _skip(&s, key)
    _close(&s, c)


cdef void _trip_properties(Out* o, Cursor* c, int64_t e) noexcept nogil:
    cdef Cursor s
    cdef uint64_t key
    if not _sub(c, &s):
        return
    while _field(&s, &key):
        if key == ((1 << 3) | 2):
            _span(o, &s, &o.ent_prop_trip_id[2 * e] if o.fill else NULL)
        elif key == ((2 << 3) | 2):
            _span(o, &s, &o.ent_prop_start_date[2 * e] if o.fill else NULL)
        elif key == ((3 << 3) | 2):
            _span(o, &s, &o.ent_prop_start_time[2 * e] if o.fill else NULL)
        else:
            _skip(&s, key)
    _close(&s, c)


cdef void _trip_update(Out* o, Cursor* c, int64_t e) noexcept nogil:
    cdef Cursor s
    cdef uint64_t key, v
    if not _sub(c, &s):
        return
    while _field(&s, &key):
        if key == ((1 << 3) | 2):
            _trip_descriptor(o, &s, e)
        elif key == ((2 << 3) | 2):
            _stop_time_update(o, &s)
        elif key == (4 << 3):
            v = _varint(&s)
            if o.fill:
                o.ent_timestamp[e] = <int64_t>v
        elif key == (5 << 3):
            v = _varint(&s)
            if o.fill:
                o.ent_delay[e] = <int32_t>(<int64_t>v)
                o.ent_has_delay[e] = 1
        elif key == ((6 << 3) | 2):
            _trip_properties(o, &s, e)
        else:
            _skip(&s, key)
    _close(&s, c)


cdef void _entity(Out* o, Cursor* c) noexcept nogil:
    cdef Cursor s
    cdef uint64_t key, v
    cdef int64_t e = o.n_ent, k
    if not _sub(c, &s):
        return
    if o.fill:
        for k in range(2):
            o.ent_id[2 * e + k] = -1 if k else 0
            o.ent_trip_id[2 * e + k] = -1 if k else 0
            o.ent_start_time[2 * e + k] = -1 if k else 0
            o.ent_start_date[2 * e + k] = -1 if k else 0
            o.ent_route_id[2 * e + k] = -1 if k else 0
            o.ent_prop_trip_id[2 * e + k] = -1 if k else 0
            o.ent_prop_start_date[2 * e + k] = -1 if k else 0
            o.ent_prop_start_time[2 * e + k] = -1 if k else 0
        o.ent_deleted[e] = 0
        o.ent_kind[e] = 0
        o.ent_trip_rel[e] = -1
        o.ent_direction[e] = -1
        o.ent_delay[e] = 0
        o.ent_has_delay[e] = 0
        o.ent_timestamp[e] = 0
        o.ent_stu_offsets[e] = o.n_stu
    while _field(&s, &key):
        if key == ((1 << 3) | 2):
            _span(o, &s, &o.ent_id[2 * e] if o.fill else NULL)
        elif key == (2 << 3):
            v = _varint(&s)
            if o.fill:
                o.ent_deleted[e] = 1 if v else 0
        elif key == ((3 << 3) | 2):
            if o.fill:
                o.ent_kind[e] = 1
            _trip_update(o, &s, e)
        elif key == ((5 << 3) | 2):
            if o.fill and o.ent_kind[e] == 0:
                o.ent_kind[e] = 2
            _skip(&s, key)
        else:
            if o.fill and o.ent_kind[e] == 0 and (key & 7) == 2 and (key >> 3) >= 4:
                o.ent_kind[e] = 3
            _skip(&s, key)
    _close(&s, c)
    o.n_ent += 1


cdef int _walk(Out* o, const uint8_t* data, Py_ssize_t n) noexcept nogil:
    cdef Cursor c
    cdef uint64_t key
    c.p = data
    c.end = data + n
    c.error = 0
    o.n_ent = 0
    o.n_stu = 0
    while _field(&c, &key):
        if key == ((2 << 3) | 2):
            _entity(o, &c)
        else:
            _skip(&c, key)
    if o.fill:
        o.ent_stu_offsets[o.n_ent] = o.n_stu
    return c.error


def read_trip_updates(const uint8_t[::1] message):
    """The TripUpdate fields of a serialized FeedMessage as columns (module docstring)."""
    cdef Out o
    cdef Py_ssize_t n = message.shape[0]
    cdef const uint8_t* data = &message[0] if n else NULL
    o.fill = False
    o.base = data
    if n and _walk(&o, data, n):
        raise WireError("not a well-formed GTFS-Realtime FeedMessage")
    cdef int64_t E = o.n_ent, U = o.n_stu
    cols = _Columns()
    cols.ent_id = np.empty((E, 2), np.int64)
    cols.ent_trip_id = np.empty((E, 2), np.int64)
    cols.ent_start_time = np.empty((E, 2), np.int64)
    cols.ent_start_date = np.empty((E, 2), np.int64)
    cols.ent_route_id = np.empty((E, 2), np.int64)
    cols.ent_prop_trip_id = np.empty((E, 2), np.int64)
    cols.ent_prop_start_date = np.empty((E, 2), np.int64)
    cols.ent_prop_start_time = np.empty((E, 2), np.int64)
    cols.ent_deleted = np.empty(E, np.uint8)
    cols.ent_kind = np.empty(E, np.int8)
    cols.ent_trip_rel = np.empty(E, np.int8)
    cols.ent_direction = np.empty(E, np.int8)
    cols.ent_delay = np.empty(E, np.int32)
    cols.ent_has_delay = np.empty(E, np.uint8)
    cols.ent_timestamp = np.empty(E, np.int64)
    cols.ent_stu_offsets = np.zeros(E + 1, np.int64)
    cols.stu_seq = np.empty(U, np.int64)
    cols.stu_stop_id = np.empty((U, 2), np.int64)
    cols.stu_rel = np.empty(U, np.int8)
    cols.stu_arr_delay = np.empty(U, np.int32)
    cols.stu_dep_delay = np.empty(U, np.int32)
    cols.stu_arr_time = np.empty(U, np.int64)
    cols.stu_dep_time = np.empty(U, np.int64)
    cols.stu_flags = np.empty(U, np.uint8)
    if n == 0:
        return cols
    cdef int64_t[:, ::1] a1 = cols.ent_id, a2 = cols.ent_trip_id, a3 = cols.ent_start_time
    cdef int64_t[:, ::1] a4 = cols.ent_start_date, a5 = cols.ent_route_id, a6 = cols.ent_prop_trip_id
    cdef int64_t[:, ::1] a7 = cols.ent_prop_start_date, a8 = cols.ent_prop_start_time, a9 = cols.stu_stop_id
    cdef uint8_t[::1] b1 = cols.ent_deleted, b2 = cols.ent_has_delay, b3 = cols.stu_flags
    cdef int8_t[::1] c1 = cols.ent_kind, c2 = cols.ent_trip_rel, c3 = cols.ent_direction, c4 = cols.stu_rel
    cdef int32_t[::1] d1 = cols.ent_delay, d2 = cols.stu_arr_delay, d3 = cols.stu_dep_delay
    cdef int64_t[::1] e1 = cols.ent_timestamp, e2 = cols.ent_stu_offsets, e3 = cols.stu_seq
    cdef int64_t[::1] e4 = cols.stu_arr_time, e5 = cols.stu_dep_time
    cdef int64_t dummy64[2]
    cdef int32_t dummy32[1]
    cdef uint8_t dummy8[1]
    cdef int8_t dummyi8[1]
    o.ent_id = &a1[0, 0] if E else dummy64
    o.ent_trip_id = &a2[0, 0] if E else dummy64
    o.ent_start_time = &a3[0, 0] if E else dummy64
    o.ent_start_date = &a4[0, 0] if E else dummy64
    o.ent_route_id = &a5[0, 0] if E else dummy64
    o.ent_prop_trip_id = &a6[0, 0] if E else dummy64
    o.ent_prop_start_date = &a7[0, 0] if E else dummy64
    o.ent_prop_start_time = &a8[0, 0] if E else dummy64
    o.stu_stop_id = &a9[0, 0] if U else dummy64
    o.ent_deleted = &b1[0] if E else dummy8
    o.ent_has_delay = &b2[0] if E else dummy8
    o.stu_flags = &b3[0] if U else dummy8
    o.ent_kind = &c1[0] if E else dummyi8
    o.ent_trip_rel = &c2[0] if E else dummyi8
    o.ent_direction = &c3[0] if E else dummyi8
    o.stu_rel = &c4[0] if U else dummyi8
    o.ent_delay = &d1[0] if E else dummy32
    o.stu_arr_delay = &d2[0] if U else dummy32
    o.stu_dep_delay = &d3[0] if U else dummy32
    o.ent_timestamp = &e1[0] if E else dummy64
    o.ent_stu_offsets = &e2[0]
    o.stu_seq = &e3[0] if U else dummy64
    o.stu_arr_time = &e4[0] if U else dummy64
    o.stu_dep_time = &e5[0] if U else dummy64
    o.fill = True
    with nogil:
        _walk(&o, data, n)
    return cols


def lookup_spans(const uint8_t[::1] message, const int64_t[:, ::1] spans, dict index, str prefix=""):
    """int32 per span: index[prefix + text] (UNKNOWN = -2 if absent, NO_IDX = -1 for no span).

    One bytes object and one dict probe per span (~0.1 us), repeated stop ids cached."""
    cdef Py_ssize_t i, n = spans.shape[0]
    out_np = np.empty(n, np.int32)
    cdef int32_t[::1] out = out_np
    cdef dict seen = {}
    cdef bytes key
    cdef bytes pre = prefix.encode()
    cdef object hit
    for i in range(n):
        if spans[i, 1] < 0:
            out[i] = NO_IDX
            continue
        key = PyBytes_FromStringAndSize(<const char*>&message[spans[i, 0]] if spans[i, 1] else NULL,
                                        spans[i, 1])
        hit = seen.get(key)
        if hit is None:
            hit = index.get(pre + key if pre else key, UNKNOWN)
            seen[key] = hit
        out[i] = <int32_t>hit
    return out_np


cdef inline int _find_seq(const int32_t[::1] st_seq, int64_t base, int stride, int m, int64_t seq) noexcept nogil:
    """Position whose stop_sequence is seq (sequences increase along a trip), or -1."""
    cdef int lo = 0, hi = m, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if st_seq[base + <int64_t>mid * stride] < seq:
            lo = mid + 1
        else:
            hi = mid
    if lo < m and st_seq[base + <int64_t>lo * stride] == seq:
        return lo
    return -1


def compute_trip_times(
        # static timetable
        const int32_t[::1] st_arr, const int32_t[::1] st_dep, const int32_t[::1] st_seq,
        const int32_t[::1] pattern_stops,
        # one row per update: where its static trip's times are, and how to read its feed times
        const int64_t[::1] u_st_base, const int32_t[::1] u_stride, const int32_t[::1] u_stops_start,
        const int32_t[::1] u_m, const int64_t[::1] u_epoch, const int32_t[::1] u_shift,
        const int32_t[::1] u_trip_delay, const uint8_t[::1] u_has_trip_delay,
        const int64_t[::1] u_stu_start, const int64_t[::1] u_stu_end,
        # stop time updates (read_trip_updates columns; stu_stop = stop_idx, -1 none, -2 unknown)
        const int64_t[::1] stu_seq, const int32_t[::1] stu_stop, const int8_t[::1] stu_rel,
        const int32_t[::1] stu_arr_delay, const int32_t[::1] stu_dep_delay,
        const int64_t[::1] stu_arr_time, const int64_t[::1] stu_dep_time, const uint8_t[::1] stu_flags,
        # outputs
        const int64_t[::1] out_offsets, int32_t[::1] out_arr, int32_t[::1] out_dep, uint8_t[::1] out_flags,
        int8_t[::1] status, int64_t[::1] counters):
    """New times of updated trips (GTFS-Realtime semantics, engine/realtime/updates.py says which).

    Row u's static trip has u_m[u] stops; its scheduled time at position pos is
    st_*[u_st_base[u] + pos * u_stride[u]] + u_shift[u] (shift: a DUPLICATED copy), its stop
    pattern_stops[u_stops_start[u] + pos]. Feed times are Unix seconds, read on the service day's
    axis by subtracting u_epoch[u] (the day's noon minus 12 h). Writes out_* at out_offsets[u] ..
    + u_m[u] and status[u]; counters[C_*] count ignored or repaired things.
    """
    cdef Py_ssize_t n_updates = u_m.shape[0]
    cdef Py_ssize_t u
    with nogil:
        for u in range(n_updates):
            status[u] = _one_trip(st_arr, st_dep, st_seq, pattern_stops, u_st_base[u], u_stride[u],
                                  u_stops_start[u], u_m[u], u_epoch[u], u_shift[u], u_trip_delay[u],
                                  u_has_trip_delay[u], u_stu_start[u], u_stu_end[u], stu_seq, stu_stop,
                                  stu_rel, stu_arr_delay, stu_dep_delay, stu_arr_time, stu_dep_time,
                                  stu_flags, out_offsets[u], out_arr, out_dep, out_flags, counters)


cdef int8_t _one_trip(const int32_t[::1] st_arr, const int32_t[::1] st_dep, const int32_t[::1] st_seq,
                      const int32_t[::1] pattern_stops, int64_t base, int stride, int stops_start, int m,
                      int64_t epoch, int32_t shift, int32_t trip_delay, uint8_t has_trip_delay,
                      int64_t first_stu, int64_t end_stu,
                      const int64_t[::1] stu_seq, const int32_t[::1] stu_stop, const int8_t[::1] stu_rel,
                      const int32_t[::1] stu_arr_delay, const int32_t[::1] stu_dep_delay,
                      const int64_t[::1] stu_arr_time, const int64_t[::1] stu_dep_time,
                      const uint8_t[::1] stu_flags, int64_t out, int32_t[::1] out_arr, int32_t[::1] out_dep,
                      uint8_t[::1] out_flags, int64_t[::1] counters) noexcept nogil:
    cdef int pos, last_pos = -1, p, resolved_p = -1
    cdef int64_t resolved_k = -1
    cdef int64_t k, sa, sd, a, d, delay, limit, prev
    cdef bint has_delay = has_trip_delay, have_a, have_d, changed = False
    cdef int8_t rel
    cdef uint8_t fl
    cdef int n_served = 0
    cdef int64_t last_explicit_dep = -BIG
    # 1. every position starts as scheduled (plus the trip-level delay when given)
    for pos in range(m):
        out_flags[out + pos] = 0
    k = first_stu
    delay = trip_delay
    for pos in range(m):
        sa = st_arr[base + <int64_t>pos * stride] + shift
        sd = st_dep[base + <int64_t>pos * stride] + shift
        # the next stop time update that names this position (others are counted and ignored);
        # resolved once, then kept until its position comes
        p = -1
        if k == resolved_k:
            p = resolved_p
        while k < end_stu and k != resolved_k:
            if stu_stop[k] == UNKNOWN:
                counters[C_UNKNOWN_STOP] += 1
                k += 1
                continue
            if stu_seq[k] >= 0:
                p = _find_seq(st_seq, base, stride, m, stu_seq[k])
                if p < 0:
                    counters[C_SEQ_NOT_IN_TRIP] += 1
                    k += 1
                    continue
                if stu_stop[k] >= 0 and stu_stop[k] != pattern_stops[stops_start + p]:
                    # the two disagree (BART's feed is one stop_sequence short on some trips):
                    # take the stop_id if the trip serves it from here on, else ignore the update
                    counters[C_STOP_MISMATCH] += 1
                    p = pos
                    while p < m and pattern_stops[stops_start + p] != stu_stop[k]:
                        p += 1
                    if p == m:
                        k += 1
                        p = -1
                        continue
            elif stu_stop[k] >= 0:
                p = pos
                while p < m and pattern_stops[stops_start + p] != stu_stop[k]:
                    p += 1
                if p == m:
                    counters[C_STOP_NOT_IN_TRIP] += 1
                    k += 1
                    p = -1
                    continue
            else:
                counters[C_STOP_NOT_IN_TRIP] += 1      # neither stop_sequence nor stop_id
                k += 1
                continue
            if p <= last_pos or p < pos:
                counters[C_OUT_OF_ORDER] += 1
                k += 1
                p = -1
                continue
            resolved_k = k
            resolved_p = p
            break
        if p > pos or k >= end_stu:
            p = -1       # the update found is for a later position: keep it for then
        if p == pos:
            last_pos = pos
            rel = stu_rel[k]
            fl = stu_flags[k]
            if rel == 2:                   # NO_DATA: schedule here, and no delay carried on
                has_delay = False
                a, d = sa, sd
                out_flags[out + pos] = POS_NO_DATA
            elif rel == 1:                 # SKIPPED: neither boarding nor alighting
                a = sa + (delay if has_delay else 0)
                d = sd + (delay if has_delay else 0)
                out_flags[out + pos] = POS_SKIPPED
            else:
                have_a = (fl & (F_ARR_TIME | F_ARR_DELAY)) != 0
                have_d = (fl & (F_DEP_TIME | F_DEP_DELAY)) != 0
                # time wins over delay when both are set (GTFS-Realtime reference)
                a = stu_arr_time[k] - epoch if fl & F_ARR_TIME else sa + stu_arr_delay[k]
                d = stu_dep_time[k] - epoch if fl & F_DEP_TIME else sd + stu_dep_delay[k]
                if not have_a and not have_d:
                    counters[C_NO_EVENT] += 1
                    a = sa + (delay if has_delay else 0)
                    d = sd + (delay if has_delay else 0)
                else:
                    if not have_a:
                        a = sa + (d - sd)
                        if a > d:
                            a = d
                    if not have_d:
                        d = sd + (a - sa)
                        if d < a:
                            d = a
                    if a > d:
                        counters[C_ARR_AFTER_DEP] += 1
                        return ST_NON_MONOTONIC
                    if a < last_explicit_dep:
                        return ST_NON_MONOTONIC
                    last_explicit_dep = d
                    delay = d - sd
                    has_delay = True
                    out_flags[out + pos] = POS_EXPLICIT
            k += 1
        else:
            a = sa + (delay if has_delay else 0)
            d = sd + (delay if has_delay else 0)
        if a < -MAX_TIME or d > MAX_TIME:
            return ST_OUT_OF_RANGE          # not a time of this service day (int32-safe bound)
        out_arr[out + pos] = <int32_t>a
        out_dep[out + pos] = <int32_t>d
        if not (out_flags[out + pos] & POS_SKIPPED):
            n_served += 1
    while k < end_stu:                     # updates left over name no later position
        if stu_stop[k] == UNKNOWN:
            counters[C_UNKNOWN_STOP] += 1
        else:
            counters[C_OUT_OF_ORDER] += 1
        k += 1
    if n_served < 2:
        return ST_ALL_SKIPPED
    # 2. repair the times that were not given (propagated, scheduled, NO_DATA) so that the trip
    # never goes back in time: each is clamped below the next given arrival, then raised to the
    # time before it. Given times are already non-decreasing (else the trip was rejected above),
    # so the result is too, and given times are never moved.
    limit = BIG
    for pos in range(m - 1, -1, -1):
        if out_flags[out + pos] & POS_EXPLICIT:
            limit = out_arr[out + pos]
            continue
        if out_dep[out + pos] > limit:
            out_dep[out + pos] = <int32_t>limit
            changed = True
        if out_arr[out + pos] > out_dep[out + pos]:
            out_arr[out + pos] = out_dep[out + pos]
            changed = True
    prev = -BIG
    for pos in range(m):
        if not (out_flags[out + pos] & POS_EXPLICIT):
            if out_arr[out + pos] < prev:
                out_arr[out + pos] = <int32_t>prev
                changed = True
            if out_dep[out + pos] < out_arr[out + pos]:
                out_dep[out + pos] = out_arr[out + pos]
                changed = True
        prev = out_dep[out + pos]
    if changed:
        counters[C_REPAIRED] += 1
    return ST_OK


def split_no_overtaking(const int64_t[::1] group_start, const int64_t[::1] trip_start,
                        const int64_t[::1] trip_m, const int64_t[::1] shift,
                        const int32_t[::1] arr, const int32_t[::1] dep, int32_t[::1] out_sub):
    """Trips (already sorted by first departure within each group; group g is the trips
    group_start[g] .. group_start[g+1]) split greedily into sub-patterns in which no trip
    overtakes another: each joins the first sub-pattern whose last trip it does not overtake
    (times >= at every stop), as engine/timetable/build.py does for the bundle. Trip t's times
    are arr/dep[trip_start[t] .. + trip_m[t]] + shift[t] (pools of the overlay's trip table, read
    in place). out_sub[t] is the sub-pattern number of trip t within its group; returns the
    total number of sub-patterns."""
    cdef Py_ssize_t g, t, j, pos, n = trip_start.shape[0], n_groups = group_start.shape[0] - 1
    cdef int64_t a0, b0, m, d
    cdef int n_sub, total = 0, s
    cdef bint ok
    if trip_m.shape[0] != n or shift.shape[0] != n or out_sub.shape[0] != n or arr.shape[0] != dep.shape[0]:
        raise ValueError("one trip_start, trip_m, shift and out_sub per trip")
    if n_groups < 0 or group_start[0] != 0 or group_start[n_groups] != n:
        raise ValueError("group_start must cover the trips")
    for t in range(n):
        if trip_start[t] < 0 or trip_m[t] < 1 or trip_start[t] + trip_m[t] > arr.shape[0]:
            raise ValueError("trip times out of the pools")
    last_np = np.empty(max(1, n), np.int64)
    cdef int64_t[::1] last = last_np
    with nogil:
        for g in range(n_groups):
            n_sub = 0
            for t in range(group_start[g], group_start[g + 1]):
                a0 = trip_start[t]
                m = trip_m[t]
                s = 0
                while s < n_sub:
                    j = last[s]
                    b0 = trip_start[j]
                    d = shift[t] - shift[j]
                    ok = trip_m[j] == m
                    if ok:
                        for pos in range(m):
                            if arr[a0 + pos] + d < arr[b0 + pos] or dep[a0 + pos] + d < dep[b0 + pos]:
                                ok = False
                                break
                    if ok:
                        break
                    s += 1
                if s == n_sub:
                    n_sub += 1
                last[s] = t
                out_sub[t] = s
            total += n_sub
    return total


def layout_patterns(const int64_t[::1] trip_start, const int64_t[::1] trip_m, const int64_t[::1] shift,
                    const int32_t[::1] trip_pattern, const int32_t[::1] trip_rank,
                    const int64_t[::1] pattern_st, const int32_t[::1] pattern_n,
                    const int32_t[::1] arr, const int32_t[::1] dep, int32_t[::1] st_arr, int32_t[::1] st_dep):
    """Overlay trips (in overlay trip order) written into their patterns' blocks, stop_pos-major
    as in the bundle: st[pattern_st[p] + pos * pattern_n[p] + rank] = pool[trip_start + pos] + shift
    (times on the overlay's axis; a trip past the int32 range is a ValueError)."""
    cdef Py_ssize_t t, pos, n = trip_start.shape[0]
    cdef int64_t row, a, d, base
    cdef int p
    if (trip_m.shape[0] != n or shift.shape[0] != n or trip_pattern.shape[0] != n or trip_rank.shape[0] != n
            or st_arr.shape[0] != st_dep.shape[0] or arr.shape[0] != dep.shape[0]):
        raise ValueError("inconsistent overlay layout arrays")
    for t in range(n):
        p = trip_pattern[t]
        if (p < 0 or p >= pattern_st.shape[0] or p >= pattern_n.shape[0] or trip_rank[t] < 0
                or trip_rank[t] >= pattern_n[p] or trip_start[t] < 0 or trip_start[t] + trip_m[t] > arr.shape[0]
                or pattern_st[p] + trip_m[t] * pattern_n[p] > st_arr.shape[0]):
            raise ValueError("overlay trip outside its pattern block or the pools")
    cdef int bad = 0
    with nogil:
        for t in range(n):
            p = trip_pattern[t]
            base = pattern_st[p] + trip_rank[t]
            for pos in range(trip_m[t]):
                row = base + pos * pattern_n[p]
                a = arr[trip_start[t] + pos] + shift[t]
                d = dep[trip_start[t] + pos] + shift[t]
                if a < -2000000000 or a > 2000000000 or d < -2000000000 or d > 2000000000:
                    bad = 1
                st_arr[row] = <int32_t>a
                st_dep[row] = <int32_t>d
    if bad:
        raise ValueError("overlay times out of the int32 range")


def stop_pattern_csr(const int32_t[::1] pattern_stops_offsets, const int32_t[::1] pattern_stops,
                     const uint8_t[::1] listed, int n_stops):
    """stop -> (pattern, stop_pos) visits of the ``listed`` patterns, by stop then pattern then
    stop_pos (a counting sort): (offsets int32 [n_stops + 1], patterns int32, positions int32)."""
    cdef Py_ssize_t p, i, n_patterns = pattern_stops_offsets.shape[0] - 1, total = 0
    cdef int s
    if listed.shape[0] != n_patterns or pattern_stops_offsets[n_patterns] > pattern_stops.shape[0]:
        raise ValueError("one listed flag per pattern")
    for p in range(n_patterns):
        if listed[p]:
            for i in range(pattern_stops_offsets[p], pattern_stops_offsets[p + 1]):
                s = pattern_stops[i]
                if s < 0 or s >= n_stops:
                    raise ValueError("stop index out of range")
                total += 1
    off_np = np.zeros(n_stops + 1, np.int32)
    pat_np = np.empty(total, np.int32)
    pos_np = np.empty(total, np.int32)
    cdef int32_t[::1] off = off_np, pat = pat_np, posv = pos_np
    cdef int32_t[::1] fill = np.zeros(n_stops, np.int32)
    cdef int32_t k
    with nogil:
        for p in range(n_patterns):
            if listed[p]:
                for i in range(pattern_stops_offsets[p], pattern_stops_offsets[p + 1]):
                    off[pattern_stops[i] + 1] += 1
        for i in range(n_stops):
            off[i + 1] += off[i]
        for p in range(n_patterns):
            if listed[p]:
                for i in range(pattern_stops_offsets[p], pattern_stops_offsets[p + 1]):
                    s = pattern_stops[i]
                    k = off[s] + fill[s]
                    fill[s] += 1
                    pat[k] = <int32_t>p
                    posv[k] = <int32_t>(i - pattern_stops_offsets[p])
    return off_np, pat_np, pos_np


def suppress_trips(int32_t[:, ::1] next_active, int row, const int32_t[::1] trips_desc):
    """Strike trips out of one next_active row (they do not run as scheduled that day):
    every entry that pointed at a struck trip now points at the next running trip after it.
    ``trips_desc``: trip indices in DECREASING order (so chains of struck trips resolve)."""
    cdef Py_ssize_t i, n = next_active.shape[1]
    cdef int32_t t, nxt
    cdef Py_ssize_t j
    if row < 0 or row >= next_active.shape[0]:
        raise ValueError("row out of range")
    for i in range(1, trips_desc.shape[0]):
        if trips_desc[i] >= trips_desc[i - 1]:
            raise ValueError("trips_desc must be strictly decreasing")
    for i in range(trips_desc.shape[0]):
        if trips_desc[i] < 0 or trips_desc[i] >= n:
            raise ValueError("trip index out of range")
    with nogil:
        for i in range(trips_desc.shape[0]):
            t = trips_desc[i]
            if next_active[row, t] != t:
                continue             # not running that day anyway
            nxt = next_active[row, t + 1] if t + 1 < n else <int32_t>n
            j = t
            while j >= 0 and next_active[row, j] == t:
                next_active[row, j] = nxt
                j -= 1
