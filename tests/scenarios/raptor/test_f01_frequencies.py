"""F01 - frequencies.txt: trips every headway from start_time, while the start is < end_time.

    F (exact_times = 0):  A 07:00 -> B 07:05 -> C 07:12, every 10 min until 09:00
                          -> trips leave A at 07:00, 07:10, ..., 08:50
    G (exact_times = 1):  D 10:00 -> E 10:30, every 15 min until 11:00 (10:00, 10:15, 10:30, 10:45)

Expected: from A at 07:31 the 07:40 trip (C 07:52); from B at 07:06 the 07:10 trip passes B at
07:15; from A at 08:50 the last trip; at 08:51 nothing; G behaves the same with exact times.
"""
import pytest

from engine.testing import plan_text

TIMETABLE = """
route F
  A      B      C
  07:00  07:05  07:12  every 10m until 09:00
route G
  D      E
  10:00  10:30  every 15m until 11:00 exact
"""


@pytest.mark.parametrize("a, b, time, expected", [
    ("A", "C", "06:00", ["F A 07:00 -> C 07:12"]),
    ("A", "C", "07:31", ["F A 07:40 -> C 07:52"]),
    ("B", "C", "07:06", ["F B 07:15 -> C 07:22"]),
    ("A", "B", "08:50", ["F A 08:50 -> B 08:55"]),
    ("A", "B", "08:51", []),
    ("D", "E", "10:01", ["G D 10:15 -> E 10:45"]),
    ("D", "E", "10:45", ["G D 10:45 -> E 11:15"]),
    ("D", "E", "10:46", []),
])
def test_frequency_trips(network, a, b, time, expected):
    plan = network(TIMETABLE).plan(f"feed:{a}", f"feed:{b}", date="2026-03-02", time=time)
    assert plan_text(plan) == expected
