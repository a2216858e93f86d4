"""E01 - times past 24:00 belong to the previous service day.

    NIGHT (runs on Monday 2026-03-02 only):
    N1:  A ------ B ------ C
        23:50   24:40    25:10        = Tuesday 00:40 and 01:10
    R (every day, 2 and 3 March):  X 12:00 -> Y 12:10   (keeps Tuesday in the period)

Expected: on Tuesday 2026-03-03 at 00:30 from B, board Monday's trip at 00:40 and reach C at
01:10 on Tuesday. Planning on Monday at 23:45 from A gives arrival 01:10 the next day. On
Tuesday at 23:45 there is no trip (NIGHT does not run on Tuesday).
"""
from engine.testing import itinerary_text, plan_text

TIMETABLE = """
dates NIGHT +2026-03-02
route N1 service=NIGHT
  A      B      C
  23:50  24:40  25:10
route R
  X      Y
  12:00  12:10
"""
DAYS = ("2026-03-02", "2026-03-03")


def test_previous_day_trip_boarded_after_midnight(network):
    plan = network(TIMETABLE, date=DAYS).plan("feed:B", "feed:C", date="2026-03-03", time="00:30")
    assert plan_text(plan) == ["N1 B 00:40 -> C 01:10"]
    it = plan.itineraries[0]
    assert it.departure.isoformat().startswith("2026-03-03T00:40:00")
    assert it.arrival.isoformat().startswith("2026-03-03T01:10:00")


def test_same_day_departure_arrives_next_day(network):
    plan = network(TIMETABLE, date=DAYS).plan("feed:A", "feed:C", date="2026-03-02", time="23:45")
    assert plan_text(plan) == ["N1 A 23:50 -> C 01:10+1d"]
    assert itinerary_text(plan.itineraries[0]) == "N1 A 23:50 -> C 01:10+1d"
    assert plan.itineraries[0].duration_s == 80 * 60


def test_query_time_past_24h_is_the_same_instant(network):
    plan = network(TIMETABLE, date=DAYS).plan("feed:B", "feed:C", date="2026-03-02", time="24:30")
    assert plan_text(plan) == ["N1 B 00:40+1d -> C 01:10+1d"]


def test_not_on_a_day_without_the_service(network):
    net = network(TIMETABLE, date=DAYS)
    assert net.plan("feed:A", "feed:C", date="2026-03-03", time="23:45").itineraries == ()
    assert net.plan("feed:B", "feed:C", date="2026-03-03", time="01:00").itineraries == ()
