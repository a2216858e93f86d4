"""D01 - a trip runs only on the days of its service (calendar.txt + calendar_dates.txt).

    WK: Monday-Friday over 2026, minus Friday 2026-05-01 (public holiday)
    WE: Saturday-Sunday over 2026, plus 2026-05-01
    R1 (WK):  A 08:00 -> B 08:20
    R2 (WE):  A 09:00 -> B 09:20

Expected: Monday 2026-03-02 and Thursday 2026-04-30 -> R1; Saturday 2026-03-07, Sunday
2026-03-08 and the holiday 2026-05-01 -> R2.
"""
import pytest

from engine.testing import plan_text

TIMETABLE = """
calendar WK 1111100 2026-01-01 2026-12-31
calendar WE 0000011 2026-01-01 2026-12-31
dates WK -2026-05-01
dates WE +2026-05-01
route R1 service=WK
  A      B
  08:00  08:20
route R2 service=WE
  A      B
  09:00  09:20
"""


@pytest.mark.parametrize("date, expected", [
    ("2026-03-02", "R1 A 08:00 -> B 08:20"),
    ("2026-04-30", "R1 A 08:00 -> B 08:20"),
    ("2026-03-07", "R2 A 09:00 -> B 09:20"),
    ("2026-03-08", "R2 A 09:00 -> B 09:20"),
    ("2026-05-01", "R2 A 09:00 -> B 09:20"),
    ("2026-12-31", "R1 A 08:00 -> B 08:20"),
])
def test_service_of_the_day(network, date, expected):
    plan = network(TIMETABLE).plan("feed:A", "feed:B", date=date, time="07:00")
    assert plan_text(plan) == [expected]
    assert plan.itineraries[0].departure.date().isoformat() == date
