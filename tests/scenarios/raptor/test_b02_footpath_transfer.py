"""B02 - a transfer on foot between two nearby stops (one footpath, no extra change time).

    R1:  A ----- B   ~~ walk 222 m ~~   C ----- D   :R2
        08:00  08:10                   08:12  08:30
                                       08:14  08:32

B (48.000, 2.000) and C (48.002, 2.000) are 222.39 m apart: the straight-line walk takes
ceil(222.39 / 1.33) = 168 s, so the traveller reaches C at 08:12:48 and misses the 08:12 trip.
With transfers.txt "B C 120" the walk takes exactly 120 s (arrival 08:12:00), and the 08:12
trip is caught: the footpath replaces the change time, nothing is added to it.
"""

from engine.testing import plan_text

BASE = """
stops: B 48.0 2.0; C 48.002 2.0
route R1
  A      B
  08:00  08:10
route R2
  C      D
  08:12  08:30
  08:14  08:32
"""


def test_straight_line_walk(network):
    plan = network(BASE).plan("feed:A", "feed:D", date="2026-03-02", time="07:50")
    assert plan_text(plan) == ["R1 A 08:00 -> B 08:10 | walk B -> C 168s | R2 C 08:14 -> D 08:32"]
    walk = plan.itineraries[0].legs[1]
    assert walk.mode == "walk" and walk.duration_s == 168


def test_walk_leg_reports_its_distance(network):
    plan = network(BASE).plan("feed:A", "feed:D", date="2026-03-02", time="07:50")
    assert round(plan.itineraries[0].legs[1].distance_m) == 222


def test_transfers_txt_time_replaces_the_walk(network):
    plan = network(BASE + "transfers: B C 120\n").plan("feed:A", "feed:D", date="2026-03-02",
                                                         time="07:50")
    assert plan_text(plan) == ["R1 A 08:00 -> B 08:10 | walk B -> C 120s | R2 C 08:12 -> D 08:30"]
    assert plan.itineraries[0].transfers == 1


def test_no_walk_when_stops_are_far_apart(network):
    far = BASE.replace("C 48.002 2.0", "C 48.01 2.0")   # 1.1 km > 400 m radius
    assert network(far).plan("feed:A", "feed:D", date="2026-03-02", time="07:50").itineraries == ()


def test_walk_from_origin_to_a_nearby_stop(network):
    plan = network(BASE).plan("feed:B", "feed:D", date="2026-03-02", time="08:10")
    assert plan_text(plan) == ["walk B -> C 168s | R2 C 08:14 -> D 08:32"]
    plan = network(BASE).plan("feed:B", "feed:D", date="2026-03-02", time="08:10",
                              walk_before_first=False)
    assert plan.itineraries == ()
