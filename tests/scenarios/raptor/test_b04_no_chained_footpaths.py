"""B04 - at most one footpath between two vehicles: footpaths are never chained.

    R1:  A ----- B  ~222 m~  C  ~222 m~  D ----- E   :R2
        08:00  08:10                    08:20  08:30

B-C and C-D are within the 400 m walking radius, B-D (444.78 m) is not. Reaching D from B
would need two chained footpaths, which the transfer model forbids, so A->E has no journey.
Built with walk_radius_m=500, the direct B->D footpath exists: ceil(444.78 / 1.33) = 335 s.
"""
from engine.testing import plan_text

TIMETABLE = """
stops: B 48.0 2.0; C 48.002 2.0; D 48.004 2.0
route R1
  A      B
  08:00  08:10
route R2
  D      E
  08:20  08:30
"""


def test_two_footpaths_are_not_chained(network):
    net = network(TIMETABLE)
    assert net.plan("feed:A", "feed:E", date="2026-03-02", time="07:50").itineraries == ()
    assert net.plan("feed:A", "feed:D", date="2026-03-02", time="07:50").itineraries == ()
    plan = net.plan("feed:A", "feed:C", date="2026-03-02", time="07:50")
    assert plan_text(plan) == ["R1 A 08:00 -> B 08:10 | walk B -> C 168s"]


def test_one_longer_footpath_when_the_radius_allows_it(network):
    net = network(TIMETABLE, walk_radius_m=500.0)
    plan = net.plan("feed:A", "feed:E", date="2026-03-02", time="07:50")
    assert plan_text(plan) == ["R1 A 08:00 -> B 08:10 | walk B -> D 335s | R2 D 08:20 -> E 08:30"]
