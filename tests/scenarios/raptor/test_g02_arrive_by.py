"""G02 - arrive-by: the latest departure arriving by T, per number of vehicles, Pareto set.

    L1:  A 07:00 -> B 07:20        (two trips; arrive by 08:00 -> the later one, 07:30)
         A 07:30 -> B 07:50
    DIRECT:  A 08:00 ------------------------> C 08:40    (1 vehicle)
    FAST1:   A 08:20 -> X 08:30  FAST2: X 08:32 -> C 08:45 (2 vehicles, leaves later)
    S1-S3:   A 08:10 -> Y 08:15, Y 08:17 -> Y2 08:25, Y2 08:27 -> C 08:44
                                                (3 vehicles, leaves earlier than FAST: dominated)

Expected, arrive by 08:50 at C: FAST1+FAST2 (leaves 08:20, 2 vehicles) then DIRECT (leaves
08:00, 1 vehicle), latest departure first. max_transfers=0 keeps only DIRECT. Arriving exactly
at T counts; one second earlier than FAST2's arrival drops FAST, and S1-S3 (leaving 08:10,
later than DIRECT) enters the set.

    walk: P (48.0, 2.0) ~~ 222 m, 168 s ~~ Q (48.002, 2.0);  RQ: Q 09:00 -> C 09:30
From P, arrive by 09:30: walk P -> Q leaving 08:57:12, exactly 168 s before the 09:00 trip.

    NIGHT (Monday 2026-03-02 only): N1  E 23:50 -> F 24:40 -> G 25:10
On Tuesday, arrive by 01:15 from F: Monday's trip boarded at 00:40 Tuesday. From E the
journey would leave at 23:50 Monday, before 00:00 of the query date where the window is
clamped: no journey (documented); the same query on Monday at 25:15 finds it.
"""
import datetime as dt

import pytest

from engine.errors import InvalidQueryError
from engine.testing import plan_text

TIMETABLE = """
stops: P 48.0 2.0; Q 48.002 2.0
route L1
  A      B
  07:00  07:20
  07:30  07:50
route DIRECT
  A      C
  08:00  08:40
route FAST1
  A      X
  08:20  08:30
route FAST2
  X      C
  08:32  08:45
route S1
  A      Y
  08:10  08:15
route S2
  Y      Y2
  08:17  08:25
route S3
  Y2     C
  08:27  08:44
route RQ
  Q      C
  09:00  09:30
"""
NIGHT = """
dates NIGHT +2026-03-02
route N1 service=NIGHT
  E      F      G
  23:50  24:40  25:10
route R
  X      Y
  12:00  12:10
"""
DAYS = ("2026-03-02", "2026-03-03")


def _by(net, origin, destination, time, date="2026-03-02", **kw):
    return net.plan(f"feed:{origin}", f"feed:{destination}", date=date, time=time, arrive_by=True, **kw)


def test_later_of_two_trips_still_arriving_in_time(network):
    net = network(TIMETABLE)
    assert plan_text(_by(net, "A", "B", "08:00")) == ["L1 A 07:30 -> B 07:50"]
    assert plan_text(_by(net, "A", "B", "07:50")) == ["L1 A 07:30 -> B 07:50"]   # arriving at T counts
    assert plan_text(_by(net, "A", "B", "07:49:59")) == ["L1 A 07:00 -> B 07:20"]


def test_pareto_set_latest_departure_first(network):
    plan = _by(network(TIMETABLE), "A", "C", "08:50")
    assert plan_text(plan) == ["FAST1 A 08:20 -> X 08:30 | FAST2 X 08:32 -> C 08:45",
                               "DIRECT A 08:00 -> C 08:40"]
    assert [it.n_vehicles for it in plan.itineraries] == [2, 1]
    assert all(it.arrival <= dt.datetime.fromisoformat("2026-03-02T08:50:00+01:00") for it in plan.itineraries)
    assert plan.time == "08:50:00" and plan.stats["arrive_by"] is True


def test_max_transfers_and_deadline_shrink_the_set(network):
    net = network(TIMETABLE)
    assert plan_text(_by(net, "A", "C", "08:50", max_transfers=0)) == ["DIRECT A 08:00 -> C 08:40"]
    # One second before FAST2 arrives: FAST is out, and S1-S3 (3 vehicles, leaves 08:10) now
    # leaves later than DIRECT, so it joins the set; with at most 2 vehicles it cannot.
    plan = _by(net, "A", "C", "08:44:59")
    assert plan_text(plan) == ["S1 A 08:10 -> Y 08:15 | S2 Y 08:17 -> Y2 08:25 | S3 Y2 08:27 -> C 08:44",
                               "DIRECT A 08:00 -> C 08:40"]
    assert [it.n_vehicles for it in plan.itineraries] == [3, 1]
    assert plan_text(_by(net, "A", "C", "08:44:59", max_transfers=1)) == ["DIRECT A 08:00 -> C 08:40"]
    assert plan_text(_by(net, "A", "C", "08:43:59")) == ["DIRECT A 08:00 -> C 08:40"]


def test_no_journey_arriving_in_time_is_an_empty_plan(network):
    net = network(TIMETABLE)
    assert _by(net, "A", "C", "08:39").itineraries == ()
    assert _by(net, "A", "B", "07:19").itineraries == ()


def test_search_window(network):
    net = network(TIMETABLE)
    # L1 07:30 leaves 30 min before 08:00: a 20-minute window cannot see it.
    assert _by(net, "A", "B", "08:00", max_window_s=20 * 60).itineraries == ()
    assert plan_text(_by(net, "A", "B", "08:00", max_window_s=30 * 60)) == ["L1 A 07:30 -> B 07:50"]
    # The default window (4 h) cannot see a journey leaving 5 h before T either.
    assert _by(net, "A", "B", "12:30").itineraries == ()
    assert plan_text(_by(net, "A", "B", "12:30", max_window_s=6 * 3600)) == ["L1 A 07:30 -> B 07:50"]


def test_departure_is_exact_with_a_first_walk(network):
    plan = _by(network(TIMETABLE), "P", "C", "09:30")
    assert plan_text(plan) == ["walk P -> Q 168s | RQ Q 09:00 -> C 09:30"]
    it = plan.itineraries[0]
    assert it.departure.isoformat() == "2026-03-02T08:57:12+01:00"
    assert it.departure == it.legs[0].departure


def test_walk_only_between_nearby_stops(network):
    plan = _by(network(TIMETABLE), "P", "Q", "10:00")
    assert plan_text(plan) == ["walk P -> Q 168s"]
    assert plan.itineraries[0].departure.isoformat() == "2026-03-02T09:57:12+01:00"
    assert plan.itineraries[0].n_vehicles == 0


def test_previous_day_trip_after_midnight(network):
    net = network(NIGHT, date=DAYS)
    plan = _by(net, "F", "G", "01:15", date="2026-03-03")
    assert plan_text(plan) == ["N1 F 00:40 -> G 01:10"]
    assert plan.itineraries[0].departure.isoformat().startswith("2026-03-03T00:40:00")


def test_window_is_clamped_at_midnight_of_the_date(network):
    net = network(NIGHT, date=DAYS)
    assert _by(net, "E", "G", "01:15", date="2026-03-03").itineraries == ()   # would leave 23:50 Monday
    plan = _by(net, "E", "G", "25:15", date="2026-03-02")
    assert plan_text(plan) == ["N1 E 23:50 -> G 01:10+1d"]


@pytest.mark.parametrize("kwargs, parameter", [
    (dict(arrive_by="yes"), "arrive_by"),
    (dict(arrive_by=1), "arrive_by"),
    (dict(arrive_by=True, max_window_s=59), "max_window_s"),
    (dict(arrive_by=True, max_window_s=86401), "max_window_s"),
    (dict(arrive_by=True, max_window_s=3600.0), "max_window_s"),
    (dict(max_window_s=3600), "max_window_s"),          # a window without arrive_by
    (dict(arrive_by=True, max_transfers=-1), "max_transfers"),
    (dict(arrive_by=True, time="8h"), "time"),
])
def test_bad_parameters(network, kwargs, parameter):
    args = {"date": "2026-03-02", "time": "09:00", **kwargs}
    with pytest.raises(InvalidQueryError) as info:
        network(TIMETABLE).plan("feed:A", "feed:C", **args)
    assert info.value.parameter == parameter
