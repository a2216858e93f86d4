"""Self-check of the reference solver on a hand-made timetable whose answers are derived by hand.

    A --T1--> B --T1--> C --T2/T3--> D        B ~~300 s walk~~> E
    08:00    08:10     08:20  08:21/08:40 08:30/08:50
T4 runs on the previous service day at 25:00 -> 25:10 (A -> B), T5 forbids boarding at A.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from engine._types import NO_IDX, NO_VALUE, UNREACHED
from engine.bundle.schema import TABLES
from engine.bundle.writer import write_bundle
from engine.timetable.staging import StagedTimetable

from tests.reference.csa import ReferenceSolver, pareto_front

A, B, C, D, E = range(5)
DAY = dt.date(2026, 3, 2)
PERIOD_START = dt.date(2026, 3, 1)


def hms(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


def _staged() -> StagedTimetable:
    # (service, [(stop, arr, dep, pickup, dropoff), ...])
    trips = [
        (0, [(A, "08:00", "08:00", 0, 0), (B, "08:10", "08:10", 0, 0), (C, "08:20", "08:20", 0, 0)]),
        (0, [(C, "08:21", "08:21", 0, 0), (D, "08:30", "08:30", 0, 0)]),
        (0, [(C, "08:40", "08:40", 0, 0), (D, "08:50", "08:50", 0, 0)]),
        (1, [(A, "25:00", "25:00", 0, 0), (B, "25:10", "25:10", 0, 0)]),
        (0, [(A, "08:05", "08:05", 1, 0), (D, "08:06", "08:06", 0, 0)]),
    ]
    rows = [r for _, stop_times in trips for r in stop_times]
    offsets = np.cumsum([0] + [len(st) for _, st in trips]).astype(np.int64)
    n = 5
    stops = pa.table({
        "stop_id": [f"t:{c}" for c in "ABCDE"], "stop_code": [""] * n, "name": list("ABCDE"),
        "lat": [48.0] * n, "lon": [7.0] * n, "location_type": pa.array([0] * n, pa.int8()),
        "parent_idx": pa.array([NO_IDX] * n, pa.int32()), "feed_idx": pa.array([0] * n, pa.int32()),
        "timezone": [""] * n, "platform_code": [""] * n})
    trips_table = pa.table({
        "trip_id": [f"t:T{i + 1}" for i in range(len(trips))],
        "route_idx": pa.array([0] * len(trips), pa.int32()),
        "service_idx": pa.array([s for s, _ in trips], pa.int32())})
    service_days = np.zeros((2, 3), dtype=bool)
    service_days[0, 1] = True          # service 0 runs on DAY only
    service_days[1, 0] = True          # service 1 runs on the day before
    return StagedTimetable(
        feeds=[], stops=stops, routes=pa.table({"route_id": ["t:R"]}), trips=trips_table,
        trip_offsets=offsets,
        st_stop_idx=np.array([r[0] for r in rows], np.int32),
        st_arr=np.array([hms(r[1]) for r in rows], np.int32),
        st_dep=np.array([hms(r[2]) for r in rows], np.int32),
        st_pickup=np.array([r[3] for r in rows], np.uint8),
        st_dropoff=np.array([r[4] for r in rows], np.uint8),
        services=pa.table({"service_id": ["t:S0", "t:S1"]}), service_days=service_days,
        period_start=PERIOD_START,
        transfer_from=np.empty(0, np.int32), transfer_to=np.empty(0, np.int32),
        transfer_type=np.empty(0, np.int8), transfer_min_time=np.empty(0, np.int32))


def _bundle(path, staged: StagedTimetable, change_at_c: int = NO_VALUE):
    stops = staged.stops.append_column(
        "min_change_time", pa.array([NO_VALUE, NO_VALUE, change_at_c, NO_VALUE, NO_VALUE], pa.int32())).append_column(
        "wheelchair_boarding", pa.array([0] * 5, pa.int8())).append_column(
        "street_step_free", pa.array([3] * 5, pa.int8()))       # (no pathways: every stop reaches the street)
    to = [[E], [E], [], [], []]            # A -> E and B -> E, 300 s each
    footpaths = pa.table({"to": pa.array(to, pa.list_(pa.int32())),
                          "duration": pa.array([[300] * len(t) for t in to], pa.list_(pa.int32())),
                          "step_free": pa.array([[1] * len(t) for t in to], pa.list_(pa.uint8()))},
                         schema=TABLES["timetable/footpaths"])
    return write_bundle(path, {"timetable/stops": stops, "timetable/footpaths": footpaths}, {})


@pytest.fixture
def staged():
    return _staged()


def test_rides_changes_and_walks(tmp_path, staged):
    ref = ReferenceSolver(staged, _bundle(tmp_path / "b", staged))
    arr = ref.round_arrivals(np.array([A]), np.array([hms("07:55")]), DAY, 3, walk_before_first=False)
    assert arr.dtype == np.int32 and arr.shape == (4, 5)
    assert arr[0].tolist() == [hms("07:55")] + [UNREACHED] * 4
    assert arr[1].tolist() == [hms("07:55"), hms("08:10"), hms("08:20"), UNREACHED, hms("08:15")]
    assert arr[2, D] == hms("08:30")          # 60 s change at C is just enough for T2
    assert arr[3].tolist() == arr[2].tolist()
    assert pareto_front(arr, [D]) == [(2, hms("08:30"))]
    assert pareto_front(arr, [C, D]) == [(1, hms("08:20"))]


def test_stop_change_time_overrides_query(tmp_path, staged):
    ref = ReferenceSolver(staged, _bundle(tmp_path / "b", staged, change_at_c=120))
    arr = ref.round_arrivals(np.array([A]), np.array([hms("07:55")]), DAY, 2)
    assert arr[2, D] == hms("08:50")          # T2 missed, T3 taken
    assert arr[0, E] == hms("08:00")          # walk before the first vehicle


def test_no_pickup_and_previous_service_day(tmp_path, staged):
    ref = ReferenceSolver(staged, _bundle(tmp_path / "b", staged))
    arr = ref.round_arrivals(np.array([A]), np.array([hms("00:50")]), DAY, 1, walk_before_first=False)
    assert arr[1, B] == hms("01:10")          # T4 of the day before, shifted by -24 h
    arr = ref.round_arrivals(np.array([A]), np.array([hms("08:01")]), DAY, 1, walk_before_first=False)
    assert arr[1, D] == UNREACHED             # T5 has pickup_type 1 at A
    assert arr[1, B] == UNREACHED
