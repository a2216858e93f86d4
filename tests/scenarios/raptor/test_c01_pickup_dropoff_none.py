"""C01 - pickup_type = 1 forbids boarding, drop_off_type = 1 forbids alighting at a stop.

    R1:  A ------ B< ------ C> ------ D         B: alight only, C: board only
        08:00   08:05     08:10     08:15
    R2:  A ------ B ------- C ------- D         (a later, regular trip of another line)
        09:00   09:05     09:10     09:15

Expected: A->B and C->D ride R1; A->C cannot alight from R1 at C and B->D cannot board R1 at
B, so both take R2; A->D rides R1 through B and C.
"""
import pytest

from engine.testing import plan_text

TIMETABLE = """
route R1
  A      B       C       D
  08:00  08:05<  08:10>  08:15
route R2
  A      B       C       D
  09:00  09:05   09:10   09:15
"""


@pytest.mark.parametrize("a, b, expected", [
    ("A", "B", "R1 A 08:00 -> B 08:05"),
    ("C", "D", "R1 C 08:10 -> D 08:15"),
    ("A", "D", "R1 A 08:00 -> D 08:15"),
    ("A", "C", "R2 A 09:00 -> C 09:10"),
    ("B", "D", "R2 B 09:05 -> D 09:15"),
    ("B", "C", "R2 B 09:05 -> C 09:10"),
])
def test_boarding_and_alighting_rules(network, a, b, expected):
    plan = network(TIMETABLE).plan(f"feed:{a}", f"feed:{b}", date="2026-03-02", time="07:30")
    assert plan_text(plan) == [expected]


def test_no_alternative_means_no_journey(network):
    only_r1 = TIMETABLE.split("route R2")[0]
    assert network(only_r1).plan("feed:A", "feed:C", date="2026-03-02",
                                 time="07:30").itineraries == ()
