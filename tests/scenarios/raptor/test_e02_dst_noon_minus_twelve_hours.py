"""E02 - GTFS times count from "noon minus 12 h" of the service day, which is not midnight on
the two daylight-saving days (feed time zone Europe/Paris).

    R:  A 01:30 -> B 01:50      A 03:30 -> B 03:40      (runs 28-30 March and 25 October 2026)

29 March 2026 (clocks go 02:00 CET -> 03:00 CEST): noon CEST - 12 h = 23:00 CET on the 28th, so
"01:30" is 00:30 CET and "03:30" is 03:30 CEST. 25 October 2026 (03:00 CEST -> 02:00 CET): noon
CET - 12 h = 01:00 CEST, so "01:30" is 02:30 CEST and "03:30" is 03:30 CET. On other days the
times are the clock times.
"""
import pytest

TIMETABLE = """
route R
  A      B
  01:30  01:50
  03:30  03:40
"""
DAYS = ("2026-03-28", "2026-03-29", "2026-03-30", "2026-10-25")


@pytest.mark.parametrize("date, time, departure, arrival", [
    ("2026-03-28", "00:00", "2026-03-28T01:30:00+01:00", "2026-03-28T01:50:00+01:00"),
    ("2026-03-29", "00:00", "2026-03-29T00:30:00+01:00", "2026-03-29T00:50:00+01:00"),
    ("2026-03-29", "03:00", "2026-03-29T03:30:00+02:00", "2026-03-29T03:40:00+02:00"),
    ("2026-03-30", "00:00", "2026-03-30T01:30:00+02:00", "2026-03-30T01:50:00+02:00"),
    ("2026-10-25", "00:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:50:00+02:00"),
    ("2026-10-25", "03:00", "2026-10-25T03:30:00+01:00", "2026-10-25T03:40:00+01:00"),
])
def test_times_on_daylight_saving_days(network, date, time, departure, arrival):
    plan = network(TIMETABLE, date=DAYS).plan("feed:A", "feed:B", date=date, time=time,
                                              max_transfers=0)
    it = plan.itineraries[0]
    assert (it.departure.isoformat(), it.arrival.isoformat()) == (departure, arrival)
    assert it.duration_s == (600 if time == "03:00" else 1200)
