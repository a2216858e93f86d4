"""Leg building's shortcuts give what the plain computations give (engine.raptor.legs,
engine.criteria.mcraptor, Timetable.rows): a Clock is local_datetime (DST days included), the
builder's caches stay within their bounds and change no leg, a three-criteria query's shared raw
prefixes and legs equal each journey rebuilt alone, and the compiled string reader reads what
Arrow reads."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from engine.criteria.mcraptor import McPlanner
from engine.raptor.legs import Clock, LegBuilder, local_datetime
from engine.sample import DEMO
from engine.timetable.model import _row_reader

ZONES = [None, "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
# DST changes in Europe, North America and Lord Howe (30 min), and an ordinary day
DAYS = ["2026-03-29", "2026-10-25", "2026-03-08", "2026-11-01", "2026-04-05", "2026-10-04", "2026-07-01"]
SECONDS = [*range(-3600, 50 * 3600, 900), 1, 7199, 7201, 10799, 12345]


@pytest.mark.parametrize("zone", ZONES)
def test_clock_is_local_datetime(zone):
    tz = ZoneInfo(zone) if zone else None
    for day in DAYS:
        date = dt.date.fromisoformat(day)
        clock = Clock(date, tz)
        for s in SECONDS:
            want = local_datetime(date, s, tz)
            for got in (clock(s), clock(s)):          # computed, then remembered
                assert (got, got.isoformat(), got.fold, got.tzinfo) == (want, want.isoformat(), want.fold,
                                                                        want.tzinfo), (day, s)


def test_clock_memory_is_bounded():
    clock = Clock(dt.date(2026, 3, 29), ZoneInfo("Europe/Paris"))
    for s in range(2 * Clock.MAX_TIMES + 5):
        assert clock(s) == local_datetime(dt.date(2026, 3, 29), s, ZoneInfo("Europe/Paris"))
        assert len(clock._memo) <= Clock.MAX_TIMES


def _run(net, time_s: int):
    """A three-criteria run Gare -> Bellevue on the sample (every label's journey is rebuilt)."""
    mc = McPlanner(net._planner)
    tt = net.timetable
    o, t = net.stop_indices(DEMO["origin"]), net.stop_indices(DEMO["destination"])
    date = dt.date.fromisoformat(DEMO["date"])
    ws = mc.run(o, [time_s] * len(o), [0] * len(o), t, [0] * len(t), [0] * len(t), tt.day_index(date), 5, 60,
                True, True)
    tz = mc.planner.timezone(mc.planner.stop_endpoint(o))
    return mc, ws, date, tz


def test_shared_prefixes_and_legs_equal_each_journey_alone(sample_network):
    tt = sample_network.timetable
    tiny = LegBuilder(tt)
    tiny.MAX_STOPS = tiny.MAX_ROUTES = tiny.MAX_TRIPS = tiny.MAX_CLOCKS = 2
    checked = 0
    for time_s in (7 * 3600, 8 * 3600 + 1234, 23 * 3600 + 50 * 60):
        mc, ws, date, tz = _run(sample_network, time_s)
        prefixes, built = {}, {}
        for label in range(ws.n_labels):
            raw = mc._raw_legs(ws, label)
            assert mc._raw_legs(ws, label, prefixes) == raw
            alone = LegBuilder(tt).build(raw, date, tz)
            assert mc.build_legs(raw, date, tz, built) == alone
            assert tiny.build(raw, date, tz) == alone
            assert [leg.to_dict() for leg in tiny.build(raw, date, tz, None, {})] == [leg.to_dict() for leg in alone]
            checked += len(raw)
            assert max(len(tiny._waypoints), len(tiny._routes), len(tiny._trips), len(tiny._clocks),
                       len(tiny._stop_points)) <= 2
    assert checked > 20


def test_rows_read_what_arrow_reads(sample_network):
    tt = sample_network.timetable
    for table, column in [("stops", "name"), ("stops", "stop_id"), ("stops", "platform_code"),
                          ("routes", "short_name"), ("trips", "headsign"), ("stop_id_index", "stop_id")]:
        array = tt.strings(table, column)
        assert [tt.string(table, column, i) for i in range(-len(array), len(array))] == array.to_pylist() * 2
        with pytest.raises(IndexError):
            tt.string(table, column, len(array))
    for stop in range(tt.n_stops):
        assert tt.find_stop_id(tt.stop_id(stop)) == stop
    assert tt.find_stop_id("no such stop") is None
    for array in (pa.array(["a", None, "é"]), pa.array(["x", "yy", "", "zzz"]).slice(1), pa.array(["", ""])):
        rows = _row_reader(array)
        assert [rows[i] for i in range(len(array))] == array.to_pylist()
