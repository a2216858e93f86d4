"""G01 - the answer is the Pareto set over (arrival time, number of vehicles).

    FAST1: A 08:00 -> B 08:10      FAST2: B 08:12 -> C 08:20     (2 vehicles, arrives 08:20)
    SLOW:  A 08:05 -------------------------------> C 08:40      (1 vehicle,  arrives 08:40)
    X1: A 08:01 -> X 08:05   X2: X 08:07 -> Y 08:15   X3: Y 08:17 -> C 08:30
                                                                 (3 vehicles, arrives 08:30:
                                                                  dominated by FAST, not shown)

Expected, sorted by arrival: FAST1+FAST2 (1 transfer) then SLOW (0 transfers). With
max_transfers=0 only SLOW; a 4-vehicle route arriving later than all is never listed.
"""
from engine.testing import plan_text

TIMETABLE = """
route FAST1
  A      B
  08:00  08:10
route FAST2
  B      C
  08:12  08:20
route SLOW
  A      C
  08:05  08:40
route X1
  A      X
  08:01  08:05
route X2
  X      Y
  08:07  08:15
route X3
  Y      C
  08:17  08:30
"""


def test_pareto_set(network):
    plan = network(TIMETABLE).plan("feed:A", "feed:C", date="2026-03-02", time="07:55")
    assert plan_text(plan) == ["FAST1 A 08:00 -> B 08:10 | FAST2 B 08:12 -> C 08:20",
                               "SLOW A 08:05 -> C 08:40"]
    assert [(it.transfers, it.n_vehicles) for it in plan.itineraries] == [(1, 2), (0, 1)]


def test_max_transfers_limits_the_set(network):
    net = network(TIMETABLE)
    plan = net.plan("feed:A", "feed:C", date="2026-03-02", time="07:55", max_transfers=0)
    assert plan_text(plan) == ["SLOW A 08:05 -> C 08:40"]
    plan = net.plan("feed:A", "feed:C", date="2026-03-02", time="07:55", max_transfers=1)
    assert len(plan.itineraries) == 2


def test_three_vehicle_journey_when_it_is_the_only_one(network):
    plan = network(TIMETABLE).plan("feed:A", "feed:Y", date="2026-03-02", time="07:55")
    assert plan_text(plan) == ["X1 A 08:01 -> X 08:05 | X2 X 08:07 -> Y 08:15"]
