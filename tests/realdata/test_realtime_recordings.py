"""The three real GTFS-Realtime recordings of the shared data, applied to their static feeds as
they are: every quirk of their READMEs ends in a counted reason, never an exception.

BART (trip_id only, delay and time both set, ADDED trips, stop_sequence one short on some trips,
unknown eBART trips, weekday trips on Memorial Day, an agency-wide alert), Caltrain (clean,
absolute times only, an empty alerts feed) and Sound Transit Link (JSON, DUPLICATED trips,
non-monotonic predictions, a date past the calendar).
"""
from __future__ import annotations

import datetime as dt

import pytest

from engine.testing.data import shared_data_dir

pytestmark = pytest.mark.realdata
DATA = shared_data_dir()

# file -> expected report counts (README of each dataset; see the docstring)
EXPECTED = {
    "gtfs-rt-us-caltrain": ("ct.zip", {
        "ct-trip-updates.pb": {"trips_updated": 19},
        "ct-service-alerts.pb": {},
    }),
    "gtfs-rt-us-bart": ("bart-rt.zip", {
        # 65 known trips; 8 ADDED (one with a single usable stop); 18 eBART trips absent from
        # trips.txt; 160 updates whose stop_sequence is one short of the stop_id's (matched by
        # stop_id); 6 updates naming a stop already passed
        "bart-trip-updates.pb": {"trips_updated": 65, "trips_added": 7, "added_too_few_stops": 1,
                                 "unknown_trip": 18, "stop_mismatch": 160, "out_of_order": 6,
                                 "stop_sequence_not_in_trip": 1, "repaired_times": 1},
        # Memorial Day: WKDY trips do not run, and no running day is near their predictions
        "example.pb": {"not_running": 26},
        "bart-alerts.pb": {"alerts": 1},
    }),
    "gtfs-rt-us-seattle-link": ("st.zip", {
        # the DUPLICATED 1043 copy goes back 41 min at stop_sequence 16: rejected
        "trip_update_1683740698.json": {"trips_updated": 13, "rejected_non_monotonic": 1},
        # the DUPLICATED 2021 copy sends stop_sequence 10..19 twice, going back in time
        "TripUpdate-DUPLICATED-1690679342.json": {"trips_updated": 14, "rejected_non_monotonic": 1},
        # 2023-07-31 is past the calendar: nothing runs; the DUPLICATED copy is placed anyway
        "TripUpdate-DUPLICATED-Empty-1690865133.json": {"not_running": 14, "trips_duplicated": 1},
        # a Sunday trip duplicated onto a Wednesday (the spec allows it)
        "trip_update_1683746223_bad.json": {"trips_updated": 13, "trips_duplicated": 1, "repaired_times": 1},
    }),
}


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    import engine

    out = {}
    for folder, (zip_name, _) in EXPECTED.items():
        path = DATA / folder / zip_name
        if not path.is_file():
            pytest.skip(f"{path} absent (set BRIQUE_DATA)")
        bundle = tmp_path_factory.mktemp("rt") / f"{folder}.bundle"
        engine.build(str(bundle), gtfs=[(folder.split("-")[-1], str(path))])
        out[folder] = str(bundle)
    return out


@pytest.mark.parametrize("folder,name", [(f, n) for f, (_, files) in EXPECTED.items() for n in files])
def test_recording_report_counts(networks, folder, name):
    import engine

    net = engine.open(networks[folder])
    report = net.apply_realtime(DATA / folder / name, source=name)
    assert report.counts == EXPECTED[folder][1][name], report.summary()
    assert net.realtime_status()["sources"][name]["last_report"]["counts"] == report.counts


def test_caltrain_legs_carry_their_delay(networks):
    """A journey on an updated Caltrain trip is on its predicted times, with the delay vs the
    schedule; the same query with realtime=False is the schedule."""
    import engine

    net = engine.open(networks["gtfs-rt-us-caltrain"])
    net.apply_realtime(DATA / "gtfs-rt-us-caltrain" / "ct-trip-updates.pb")
    plan = net.plan("caltrain:70011", "caltrain:70262", date="2023-11-07", time="17:00")
    legs = [leg for it in plan.itineraries for leg in it.legs if leg.mode == "transit"]
    assert legs and all(leg.realtime for leg in legs)
    leg = legs[0]
    schedule = net.plan("caltrain:70011", "caltrain:70262", date="2023-11-07", time="17:00", realtime=False)
    sched_legs = [lg for it in schedule.itineraries for lg in it.legs if lg.trip_id == leg.trip_id]
    if sched_legs:
        assert (leg.departure - sched_legs[0].departure).total_seconds() == leg.delay_s
    assert not any(lg.realtime for it in schedule.itineraries for lg in it.legs)
    deps = net.departures("caltrain:70012", "2023-11-07", "17:00", limit=5)
    assert deps and any(d.realtime and d.delay_s is not None for d in deps)


def test_bart_alert_reaches_legs_and_departures(networks):
    """The MEDICAL_EMERGENCY alert names agency BART only: every BART leg and departure shows it
    (it has no active_period: always active)."""
    import engine

    net = engine.open(networks["gtfs-rt-us-bart"])
    net.apply_realtime(DATA / "gtfs-rt-us-bart" / "bart-alerts.pb", source="alerts")
    plan = net.plan("bart:MONT", "bart:12TH", date="2019-08-07", time="10:45")
    transit = [leg for it in plan.itineraries for leg in it.legs if leg.mode == "transit"]
    assert transit and all(leg.alerts and leg.alerts[0]["effect"] == "SIGNIFICANT_DELAYS" for leg in transit)
    deps = net.departures("bart:MONT", "2019-08-07", "10:45", limit=3)
    assert deps and all(d.alerts for d in deps)
    assert net.departures("bart:MONT", "2019-08-07", "10:45", limit=3, realtime=False)[0].alerts == ()


def test_trip_updates_and_alerts_sources_are_kept_apart(networks):
    """An empty FULL_DATASET alerts feed (Caltrain's) does not wipe the trip updates of another
    source; applying it again under the trip updates' own source does."""
    import engine

    net = engine.open(networks["gtfs-rt-us-caltrain"])
    net.apply_realtime(DATA / "gtfs-rt-us-caltrain" / "ct-trip-updates.pb", source="trips")
    net.apply_realtime(DATA / "gtfs-rt-us-caltrain" / "ct-service-alerts.pb", source="alerts")
    assert net.realtime_status()["overlay"]["trips"] == {"updated": 19}
    report = net.apply_realtime(DATA / "gtfs-rt-us-caltrain" / "ct-service-alerts.pb", source="trips")
    assert report.overlay_trips == 0
    stamp = net.realtime_status()["sources"]["trips"]["feed_timestamp"]
    assert dt.datetime.fromisoformat(stamp) == dt.datetime(2023, 11, 8, 1, 5, 46, tzinfo=dt.timezone.utc)
