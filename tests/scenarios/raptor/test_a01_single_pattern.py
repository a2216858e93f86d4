"""A01 - one pattern, one trip: board at the first or a middle stop, ride to a later stop.

    R1:  A ----- B ----- C ----- D
        08:00  08:05  08:10  08:15

Expected: A->D departs 08:00 and arrives 08:15 with no transfer; B->C rides a part of the
trip; arriving at A after 08:00 there is no journey; riding backwards (D->A) is impossible.
"""
from engine.testing import plan_text

TIMETABLE = """
route R1
  A      B      C      D
  08:00  08:05  08:10  08:15
"""


def test_whole_trip(network):
    plan = network(TIMETABLE).plan("feed:A", "feed:D", date="2026-03-02", time="07:55")
    assert plan_text(plan) == ["R1 A 08:00 -> D 08:15"]
    it = plan.itineraries[0]
    assert (it.transfers, it.n_vehicles, it.duration_s) == (0, 1, 15 * 60)
    assert it.departure.strftime("%Y-%m-%d %H:%M") == "2026-03-02 08:00"
    assert it.arrival.strftime("%Y-%m-%d %H:%M") == "2026-03-02 08:15"
    leg = it.legs[0]
    assert (leg.route_id, leg.trip_id, leg.headsign) == ("feed:R1", "feed:R1-1", "D")
    assert leg.departure.strftime("%H:%M") == "08:00" and leg.arrival.strftime("%H:%M") == "08:15"


def test_middle_of_the_trip(network):
    plan = network(TIMETABLE).plan("feed:B", "feed:C", date="2026-03-02", time="08:00")
    assert plan_text(plan) == ["R1 B 08:05 -> C 08:10"]


def test_boarding_at_the_departure_second(network):
    plan = network(TIMETABLE).plan("feed:A", "feed:D", date="2026-03-02", time="08:00")
    assert plan_text(plan) == ["R1 A 08:00 -> D 08:15"]


def test_too_late_and_wrong_direction(network):
    net = network(TIMETABLE)
    assert net.plan("feed:A", "feed:D", date="2026-03-02", time="08:00:01").itineraries == ()
    assert net.plan("feed:D", "feed:A", date="2026-03-02", time="07:00").itineraries == ()
