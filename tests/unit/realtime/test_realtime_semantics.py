"""GTFS-Realtime semantics on the built-in sample: matching, delay/time, propagation, NO_DATA,
SKIPPED, rejection of decreasing times, frequency trips, DIFFERENTIAL and is_deleted, snapshot
isolation, bad input; and the TripUpdate columns against gtfs-realtime-bindings."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

pb2 = pytest.importorskip("google.transit.gtfs_realtime_pb2")


@pytest.fixture(scope="module")
def sample(sample_paths, tmp_path_factory):
    import engine

    out = tmp_path_factory.mktemp("rt-sample") / "s.bundle"
    engine.build(str(out), gtfs=[sample_paths.gtfs])
    return out


@pytest.fixture()
def net(sample):
    import engine

    return engine.open(str(sample))


def _trip(net, trip_id: str):
    """(stop_ids, arr, dep, seq) of a bundle trip (prefixed id)."""
    tt = net.timetable
    t = tt.strings("trips", "trip_id").to_pylist().index(trip_id)
    p = int(tt.trip_pattern[t])
    n, i = int(tt.pattern_n_trips[p]), t - int(tt.pattern_first_trip[p])
    a, b = int(tt.pattern_stops_offsets[p]), int(tt.pattern_stops_offsets[p + 1])
    rows = int(tt.pattern_st_offset[p]) + np.arange(b - a) * n + i
    return ([tt.stop_id(int(s)) for s in tt.pattern_stops[a:b]], tt.st_arr[rows].astype(int),
            tt.st_dep[rows].astype(int), tt.st_seq[rows].astype(int), t)


def _running_date(net, t: int) -> dt.date:
    tt = net.timetable
    for d in range(tt.n_days):
        if tt.active_services(d)[tt.max_day_offset, tt.trip_service[t]]:
            return tt.period_start + dt.timedelta(days=d)
    raise AssertionError("trip never runs")


def _epoch(net, date: dt.date) -> int:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(net.timetable.feed_timezones[0])
    return int(dt.datetime.combine(date, dt.time(12), tzinfo=tz).timestamp()) - 12 * 3600


def _message(entities, incrementality=0, timestamp=1):
    msg = pb2.FeedMessage()
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.incrementality = incrementality
    msg.header.timestamp = timestamp
    for i, fill in enumerate(entities):
        e = msg.entity.add()
        e.id = f"e{i}"
        fill(e)
    return msg.SerializeToString()


def _update(trip_id, date, stus, rel=None, start_time=None):
    def fill(e):
        tu = e.trip_update
        tu.trip.trip_id = trip_id
        tu.trip.start_date = date.strftime("%Y%m%d")
        if start_time:
            tu.trip.start_time = start_time
        if rel is not None:
            tu.trip.schedule_relationship = rel
        for s in stus:
            u = tu.stop_time_update.add()
            for k, v in s.items():
                if k in ("arrival", "departure"):
                    for kk, vv in v.items():
                        setattr(getattr(u, k), kk, vv)
                else:
                    setattr(u, k, v)
    return fill


TRIP = "briqueville:T1-SEM-0-0530"


def _record(net):
    overlay = net._realtime.overlay
    return next(iter(overlay.records_by_key.values()))


def test_delay_propagates_forward_until_no_data(net):
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)
    report = net.apply_realtime(_message([_update("T1-SEM-0-0530", date, [
        {"stop_sequence": int(seq[1]), "arrival": {"delay": 120}},
        {"stop_sequence": int(seq[3]), "schedule_relationship": 2}])]))      # NO_DATA
    assert report.count("trips_updated") == 1
    r = _record(net)
    assert r.arr[0] == arr[0] and r.dep[0] == dep[0]                       # not backwards
    assert list(r.arr[1:3]) == list(arr[1:3] + 120) and list(r.dep[1:3]) == list(dep[1:3] + 120)
    # NO_DATA: the schedule again, raised where it would go back before the late stop 2
    prev, want = int(dep[2]) + 120, []
    for a, d in zip(arr[3:].tolist(), dep[3:].tolist()):
        a = max(a, prev)
        d = max(d, a)
        want.append((a, d))
        prev = d
    assert list(zip(r.arr[3:].tolist(), r.dep[3:].tolist())) == want
    assert report.count("repaired_times") == (1 if want[0][0] != arr[3] else 0)


def test_time_wins_over_delay_and_stop_id_addresses(net):
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)
    epoch = _epoch(net, date)
    net.apply_realtime(_message([_update("T1-SEM-0-0530", date, [
        {"stop_id": stops[2].split(":", 1)[1], "departure": {"delay": 999, "time": epoch + int(dep[2]) + 60}}])]))
    r = _record(net)
    assert r.dep[2] == dep[2] + 60 and r.arr[2] == arr[2] + 60 and r.dep[-1] == dep[-1] + 60


def test_skipped_stop_and_cancel(net):
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)
    net.apply_realtime(_message([_update("T1-SEM-0-0530", date, [
        {"stop_sequence": int(seq[1]), "schedule_relationship": 1}])]))      # SKIPPED
    r = _record(net)
    assert r.pickup[1] == 0 and r.dropoff[1] == 0 and r.pickup[0] == 1
    report = net.apply_realtime(_message([_update("T1-SEM-0-0530", date, [], rel=3)]))
    assert report.count("trips_canceled") == 1
    overlay = net._realtime.overlay
    assert overlay.n_trips == 0 and (t, net._realtime.index.day_of(date)) in overlay.suppressed_pairs


def test_decreasing_times_are_rejected_and_counted(net):
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)
    report = net.apply_realtime(_message([_update("T1-SEM-0-0530", date, [
        {"stop_sequence": int(seq[1]), "arrival": {"delay": 600}},
        {"stop_sequence": int(seq[2]), "arrival": {"delay": -600}}])]))
    assert report.count("rejected_non_monotonic") == 1 and report.overlay_trips == 0


def test_propagated_times_are_clamped_not_rejected(net):
    """An early prediction later on the trip: the scheduled stops before it are pulled down."""
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)
    report = net.apply_realtime(_message([_update("T1-SEM-0-0530", date, [
        {"stop_sequence": int(seq[3]), "arrival": {"delay": -int(arr[3] - arr[0]) + 10}}])]))
    assert report.count("repaired_times") == 1
    r = _record(net)
    assert np.all(r.arr <= r.dep) and np.all(r.arr[1:] >= r.dep[:-1])


def test_frequency_trip_by_start_time(net):
    stops, arr, dep, seq, t = _trip(net, "briqueville:B4-SEM-0-F@07:08:00")
    date = _running_date(net, t)
    report = net.apply_realtime(_message([_update("B4-SEM-0-F", date, [
        {"stop_sequence": int(seq[0]), "departure": {"delay": 30}}], start_time="07:08:00")]))
    assert report.count("trips_updated") == 1
    assert _record(net).static_trip == t


def test_unknown_and_malformed_are_counted(net):
    from engine.realtime import RealtimeFeedError

    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)
    report = net.apply_realtime(_message([
        _update("NOPE", date, [{"stop_sequence": 1, "arrival": {"delay": 1}}]),
        _update("T1-SEM-0-0530", date, [{"stop_id": "NOPE", "arrival": {"delay": 1}},
                                        {"stop_sequence": 999, "arrival": {"delay": 1}},
                                        {"stop_sequence": int(seq[1])}])]))
    assert report.counts == {"unknown_trip": 1, "unknown_stop": 1, "stop_sequence_not_in_trip": 1,
                             "no_event": 1, "trips_updated": 1}
    with pytest.raises(RealtimeFeedError):
        net.apply_realtime(b"\x0a\xff\xff garbage")


def test_absurd_times_and_days_are_counted(net):
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)

    def added(e):
        e.trip_update.trip.trip_id = "NEW"
        e.trip_update.trip.schedule_relationship = 1
        e.trip_update.trip.start_date = "20990101"
        for i, s in enumerate(stops[:2]):
            u = e.trip_update.stop_time_update.add()
            u.stop_id = s.split(":", 1)[1]
            u.arrival.time = 4_070_908_800 + 60 * i
    report = net.apply_realtime(_message([
        _update("T1-SEM-0-0530", date, [{"stop_sequence": int(seq[1]), "arrival": {"time": 1 << 40}}]), added]))
    assert report.counts == {"time_out_of_range": 1, "not_running": 1}
    assert report.overlay_trips == 0


def test_differential_updates_and_deletes(net):
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)
    other = "T1-SEM-0-0500"
    net.apply_realtime(_message([_update("T1-SEM-0-0530", date, [{"stop_sequence": int(seq[0]), "departure": {"delay": 60}}])]))
    assert net._realtime.overlay.n_trips == 1

    def deleted(e):
        e.is_deleted = True
    msg = pb2.FeedMessage()
    msg.ParseFromString(_message([deleted, _update(other, date, [{"stop_sequence": 1, "departure": {"delay": 60}}])],
                                 incrementality=1))
    msg.entity[1].id = "e9"
    report = net.apply_realtime(msg)
    assert report.incrementality == "DIFFERENTIAL" and report.count("trips_removed") == 1
    assert [r.trip_id for r in net._realtime.overlay.records_by_key.values()] == [f"briqueville:{other}"]


def test_queries_keep_the_overlay_they_started_with(net):
    """A request captures one overlay; a later application publishes a new object."""
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)
    net.apply_realtime(_message([_update("T1-SEM-0-0530", date, [{"stop_sequence": int(seq[0]), "departure": {"delay": 300}}])]))
    before = net._realtime.overlay
    net.apply_realtime(_message([]))
    assert net._realtime.overlay is not before and before.n_trips == 1
    assert net.realtime_status()["overlay"]["trips"] == {}


def test_columns_equal_the_bindings(sample, net):
    """engine/_realtime.read_trip_updates reads what the bindings read (every recording of the
    shared data, and a generated feed with every field)."""
    from google.protobuf import json_format

    from engine._realtime import read_trip_updates
    from engine.testing.data import shared_data_dir

    messages = []
    root = shared_data_dir()
    for pattern in ("gtfs-rt-*/*.pb", "gtfs-rt-*/trip_update*.json", "gtfs-rt-*/TripUpdate*.json"):
        for path in sorted(root.glob(pattern)):
            if path.suffix == ".json":
                m = json_format.Parse(path.read_text(), pb2.FeedMessage())
            else:
                m = pb2.FeedMessage()
                m.ParseFromString(path.read_bytes())
            messages.append(m)
    stops, arr, dep, seq, t = _trip(net, TRIP)
    gen = pb2.FeedMessage()
    gen.ParseFromString(_message([_update("X", dt.date(2026, 3, 2), [
        {"stop_sequence": 3, "stop_id": "S", "arrival": {"delay": -5, "time": 1700000000}, "schedule_relationship": 1},
        {"departure": {"delay": 7}}], rel=6, start_time="25:01:02")]))
    gen.entity[0].trip_update.delay = -40
    gen.entity[0].trip_update.trip_properties.start_time = "10:00:00"
    messages.append(gen)
    for m in messages:
        data = m.SerializeToString()
        c = read_trip_updates(np.frombuffer(data, np.uint8))
        tus = [e for e in m.entity]
        assert len(c.ent_kind) == len(tus)
        k = 0
        for i, e in enumerate(tus):
            assert (c.ent_kind[i] == 1) == e.HasField("trip_update")
            if not e.HasField("trip_update"):
                continue
            tu = e.trip_update
            span = c.ent_trip_id[i]
            assert data[span[0]:span[0] + span[1]].decode() == tu.trip.trip_id
            assert c.ent_trip_rel[i] == (tu.trip.schedule_relationship if tu.trip.HasField("schedule_relationship") else -1)
            assert bool(c.ent_has_delay[i]) == tu.HasField("delay") and (not tu.HasField("delay") or c.ent_delay[i] == tu.delay)
            for s in tu.stop_time_update:
                assert c.stu_seq[k] == (s.stop_sequence if s.HasField("stop_sequence") else -1)
                assert bool(c.stu_flags[k] & 1) == (s.HasField("arrival") and s.arrival.HasField("delay"))
                assert bool(c.stu_flags[k] & 2) == (s.HasField("arrival") and s.arrival.HasField("time"))
                if s.HasField("arrival") and s.arrival.HasField("delay"):
                    assert c.stu_arr_delay[k] == s.arrival.delay
                if s.HasField("departure") and s.departure.HasField("time"):
                    assert c.stu_dep_time[k] == s.departure.time
                k += 1
        assert k == len(c.stu_seq)


def test_millisecond_header_timestamp_is_a_clear_error(net):
    """A header timestamp in milliseconds (a common feed bug) is refused with RealtimeFeedError,
    not a ValueError from datetime, and leaves no source behind."""
    from engine.realtime import RealtimeFeedError

    with pytest.raises(RealtimeFeedError, match="Unix seconds"):
        net.apply_realtime(_message([], timestamp=1_700_000_000_000))
    assert net.realtime_status()["sources"] == {}
    assert net.apply_realtime(_message([], timestamp=1_700_000_000)).feed_timestamp.year == 2023


def test_added_trip_with_unrepresentable_time_is_counted(net):
    """An added trip without start_date whose times are no calendar date is counted, not an OSError."""
    stops = _trip(net, TRIP)[0]

    def added(e):
        e.trip_update.trip.trip_id = "NEW"
        e.trip_update.trip.schedule_relationship = 1
        for i, s in enumerate(stops[:2]):
            u = e.trip_update.stop_time_update.add()
            u.stop_id = s.split(":", 1)[1]
            u.arrival.time = 10**17 + 60 * i
    report = net.apply_realtime(_message([added]))
    assert report.counts == {"time_out_of_range": 1} and report.overlay_trips == 0


def test_unreadable_feed_paths_are_clear_errors(net, tmp_path):
    """A path too long for the OS or a directory: RealtimeFeedError, not OSError."""
    from engine.realtime import RealtimeFeedError

    with pytest.raises(RealtimeFeedError, match="unreadable"):
        net.apply_realtime("x" * 5000)
    with pytest.raises(RealtimeFeedError, match="not found"):
        net.apply_realtime(str(tmp_path))


def _tag(field: int, wire: int) -> bytes:
    """A protobuf field key as a varint."""
    key, out = field << 3 | wire, b""
    while key > 0x7F:
        out, key = out + bytes([key & 0x7F | 0x80]), key >> 7
    return out + bytes([key])


# an unknown group (field 99) holding a varint, and a nested group holding a string
GROUP = _tag(99, 3) + _tag(1, 0) + b"\x05" + _tag(7, 3) + _tag(2, 2) + b"\x01x" + _tag(7, 4) + _tag(99, 4)


def test_unknown_group_fields_are_skipped_like_the_bindings(net):
    """Unknown fields of the (deprecated) group wire type, nested, at any level: the bindings
    accept them, so the column reader skips them too (it used to refuse the whole feed)."""
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)

    def fill(e):
        _update("T1-SEM-0-0530", date, [{"stop_sequence": int(seq[1]), "departure": {"delay": 120}}])(e)
        e.trip_update.stop_time_update[0].MergeFromString(GROUP)     # kept as unknown fields
        e.trip_update.trip.MergeFromString(GROUP)
        e.MergeFromString(GROUP)
    data = _message([fill]) + GROUP
    assert data.count(GROUP) == 4
    report = net.apply_realtime(data)
    assert report.count("trips_updated") == 1
    assert _record(net).dep[1] == dep[1] + 120


def test_enum_values_out_of_range_read_as_unset(net):
    """Trip relationship 259 and stop relationship 257 (3 = CANCELED and 1 = SKIPPED once cut to
    a byte): the bindings leave such values out of the field (SCHEDULED), so does the engine."""
    stops, arr, dep, seq, t = _trip(net, TRIP)
    date = _running_date(net, t)

    def fill(e):
        _update("T1-SEM-0-0530", date, [{"stop_sequence": int(seq[1]), "departure": {"delay": 120}}])(e)
        e.trip_update.trip.MergeFromString(_tag(4, 0) + b"\x83\x02")
        e.trip_update.stop_time_update[0].MergeFromString(_tag(5, 0) + b"\x81\x02")
        assert not e.trip_update.trip.HasField("schedule_relationship")
    report = net.apply_realtime(_message([fill]))
    assert report.count("trips_canceled") == 0 and report.count("trips_updated") == 1
    r = _record(net)
    assert r.dep[1] == dep[1] + 120 and r.pickup[1] == 1 and r.dropoff[1] == 1


@pytest.mark.parametrize("tail", [
    _tag(99, 3) + _tag(98, 4),                 # end-group of another field
    _tag(99, 3) + _tag(1, 0) + b"\x05",        # group never closed
    _tag(99, 4),                               # end-group without a group
    _tag(9, 3) * 150 + _tag(9, 4) * 150,       # nested deeper than the runtimes allow
    _tag(9, 1) + b"\x00" * 7,                  # fixed64 cut short
    _tag(9, 5) + b"\x00" * 3,                  # fixed32 cut short
    _tag(9, 6) + b"\x00",                      # wire type 6 does not exist
], ids=["mismatched-end", "unclosed", "lone-end", "too-deep", "fixed64-cut", "fixed32-cut", "wire-6"])
def test_malformed_wire_is_refused_by_both_readers(net, tail):
    """Bytes the bindings refuse, the column reader refuses too (WireError, never a wrong
    column); apply_realtime names the problem."""
    from google.protobuf.message import DecodeError

    from engine._realtime import WireError, read_trip_updates
    from engine.realtime import RealtimeFeedError

    data = _message([]) + tail
    with pytest.raises(DecodeError):
        pb2.FeedMessage().ParseFromString(data)
    with pytest.raises(WireError):
        read_trip_updates(np.frombuffer(data, np.uint8))
    with pytest.raises(RealtimeFeedError):
        net.apply_realtime(data)
