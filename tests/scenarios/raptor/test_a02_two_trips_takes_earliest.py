"""A02 - several trips of one pattern: RAPTOR boards the earliest trip that can be caught.

    R1:  A ----- B
        08:00  08:20
        08:10  08:30
        08:20  08:40
    R2:  A ----- B          (another line, slower, leaving between R1's trips)
        08:11  08:45

Expected: at 08:05 take R1's 08:10 trip (R2 at 08:11 arrives later); at 08:10:00 the 08:10
trip is still caught; at 08:10:01 the next useful one is R1 08:20 (arrives 08:40, before R2).
"""
from engine.testing import plan_text

TIMETABLE = """
route R1
  A      B
  08:00  08:20
  08:10  08:30
  08:20  08:40
route R2
  A      B
  08:11  08:45
"""


def test_takes_the_first_catchable_trip(network):
    net = network(TIMETABLE)
    assert plan_text(net.plan("feed:A", "feed:B", date="2026-03-02", time="08:05")) == [
        "R1 A 08:10 -> B 08:30"]
    assert plan_text(net.plan("feed:A", "feed:B", date="2026-03-02", time="08:10")) == [
        "R1 A 08:10 -> B 08:30"]
    plan = net.plan("feed:A", "feed:B", date="2026-03-02", time="08:10:01")
    assert plan_text(plan) == ["R1 A 08:20 -> B 08:40"]
    assert plan.itineraries[0].legs[0].trip_id == "feed:R1-3"


def test_before_the_first_trip(network):
    plan = network(TIMETABLE).plan("feed:A", "feed:B", date="2026-03-02", time="00:00")
    assert plan_text(plan) == ["R1 A 08:00 -> B 08:20"]
