"""B01 - changing vehicles at the same stop needs the minimum change time.

    R1:  A ----- B                R2:  B ----- C
        08:00  08:10                  08:11  08:20
                                      08:12  08:21
                                      08:15  08:25

The query's min_change_time (default 60 s) applies at B, unless B has its own minimum
(transfers.txt from_stop_id = to_stop_id = B, type 2), which then replaces it.

Expected: default 60 s -> R2 08:11; 120 s -> R2 08:12; with B's own 300 s -> R2 08:15 even
though the query asks for 60 s; with B's own 0 s and a query of 120 s -> R2 08:11.
"""
import pytest

from engine.testing import plan_text

TIMETABLE = """
route R1
  A      B
  08:00  08:10
route R2
  B      C
  08:11  08:20
  08:12  08:21
  08:15  08:25
"""


@pytest.mark.parametrize("change, expected", [
    (None, "R1 A 08:00 -> B 08:10 | R2 B 08:11 -> C 08:20"),
    (60, "R1 A 08:00 -> B 08:10 | R2 B 08:11 -> C 08:20"),
    (61, "R1 A 08:00 -> B 08:10 | R2 B 08:12 -> C 08:21"),
    (120, "R1 A 08:00 -> B 08:10 | R2 B 08:12 -> C 08:21"),
    (300, "R1 A 08:00 -> B 08:10 | R2 B 08:15 -> C 08:25"),
])
def test_query_min_change_time(network, change, expected):
    kw = {} if change is None else {"min_change_time": change}
    plan = network(TIMETABLE).plan("feed:A", "feed:C", date="2026-03-02", time="07:50", **kw)
    assert plan_text(plan) == [expected]
    assert plan.itineraries[0].transfers == 1


def test_stop_own_min_change_time_wins(network):
    net = network(TIMETABLE + "transfers: B B 300\n")
    plan = net.plan("feed:A", "feed:C", date="2026-03-02", time="07:50", min_change_time=60)
    assert plan_text(plan) == ["R1 A 08:00 -> B 08:10 | R2 B 08:15 -> C 08:25"]


def test_stop_own_zero_change_time_replaces_the_query_value(network):
    net = network(TIMETABLE + "transfers: B B 0\n")
    plan = net.plan("feed:A", "feed:C", date="2026-03-02", time="07:50", min_change_time=120)
    assert plan_text(plan) == ["R1 A 08:00 -> B 08:10 | R2 B 08:11 -> C 08:20"]


def test_no_change_needed_when_staying_on_the_line(network):
    plan = network(TIMETABLE).plan("feed:A", "feed:B", date="2026-03-02", time="07:50",
                                   min_change_time=3600)
    assert plan_text(plan) == ["R1 A 08:00 -> B 08:10"]
