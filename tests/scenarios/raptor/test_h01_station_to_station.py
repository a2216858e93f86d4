"""H01 - a parent station stands for all its platforms, as origin and as destination.

    station SA "Gare Nord":  A1, A2        station SB "Gare Sud":  B1, B2
    R1:  A1 08:00 -> B1 08:30
    R2:  A2 08:10 -> B2 08:20

Expected: SA -> SB leaves from A2 at 08:10 and arrives at B2 at 08:20 without any walk leg
(R1 arrives later with as many vehicles, so it is dominated). Stations may be given by id or
by exact name; a platform id still means that platform only.
"""
from engine.testing import plan_text

TIMETABLE = """
stops: A1 48.0 2.0; A2 48.0005 2.0; B1 48.1 2.0; B2 48.1005 2.0
station SA name="Gare Nord": A1 A2
station SB name="Gare Sud": B1 B2
route R1
  A1     B1
  08:00  08:30
route R2
  A2     B2
  08:10  08:20
"""


def test_station_to_station(network):
    net = network(TIMETABLE)
    platforms = set(net.stop_indices("feed:A1")) | set(net.stop_indices("feed:A2"))
    assert len(platforms) == 2 and platforms <= set(net.stop_indices("feed:SA"))
    plan = net.plan("feed:SA", "feed:SB", date="2026-03-02", time="07:55")
    assert plan_text(plan) == ["R2 A2 08:10 -> B2 08:20"]


def test_station_by_name(network):
    plan = network(TIMETABLE).plan("Gare Nord", "Gare Sud", date="2026-03-02", time="07:55")
    assert plan_text(plan) == ["R2 A2 08:10 -> B2 08:20"]


def test_platform_to_station(network):
    plan = network(TIMETABLE).plan("feed:A1", "feed:SB", date="2026-03-02", time="07:55",
                                   walk_before_first=False)
    assert plan_text(plan) == ["R1 A1 08:00 -> B1 08:30"]


def test_after_the_last_departure_of_one_platform(network):
    plan = network(TIMETABLE).plan("feed:SA", "feed:SB", date="2026-03-02", time="08:05")
    assert plan_text(plan) == ["R2 A2 08:10 -> B2 08:20"]
