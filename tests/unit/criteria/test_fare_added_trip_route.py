"""The fare criterion with a trip the real-time feed added (engine/criteria/realtime.py).

GTFS-Realtime may add a trip without a route_id: no fare rule can name it, so its ride has no
price, and the fare search must say so (an unknown fare, as the itinerary's own pricing says)
rather than price it as some route's. With the route given, the ride is priced as that route's.
The added trip runs at night between two stops of a sample trip, when nothing else does, so the
earliest journey rides it; the search must still answer the cheaper scheduled journeys after it.
"""
from __future__ import annotations

import datetime as dt

import pytest

pb2 = pytest.importorskip("google.transit.gtfs_realtime_pb2")

FARE = ("arrival", "transfers", "fare")


@pytest.fixture(scope="module", params=["v1", "v2-simple"])
def bundle(request, sample_paths, tmp_path_factory):
    import engine
    from engine.testing.fares_gen import add_fares

    out = tmp_path_factory.mktemp(f"added-route-{request.param}")
    feed = add_fares(sample_paths.gtfs, out / "feed.zip", request.param, seed=3)
    return engine.build(str(out / "s.bundle"), gtfs=[("sample", feed)]).path


def _a_ride(net):
    """(route id, first stop id, second stop id, a date it runs) of the first scheduled trip."""
    tt = net.timetable
    t = 0
    p = int(tt.trip_pattern[t])
    a = int(tt.pattern_stops_offsets[p])
    stops = [tt.stop_id(int(s)) for s in tt.pattern_stops[a:a + 2]]
    route = tt.strings("routes", "route_id").to_pylist()[int(tt.pattern_route[p])]
    for d in range(tt.n_days):
        if tt.active_services(d)[tt.max_day_offset, tt.trip_service[t]]:
            return route, stops[0], stops[1], tt.period_start + dt.timedelta(days=d)
    raise AssertionError("the trip never runs")


def _added(route_id, stops, date, tz) -> bytes:
    """One ADDED trip from stops[0] at 02:00 to stops[1] at 02:06 (route_id None: none given)."""
    from zoneinfo import ZoneInfo

    msg = pb2.FeedMessage()
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.timestamp = 1
    tu = msg.entity.add(id="e0").trip_update
    tu.trip.trip_id = "NIGHT-EXTRA"
    tu.trip.schedule_relationship = pb2.TripDescriptor.ADDED
    tu.trip.start_date = date.strftime("%Y%m%d")
    if route_id is not None:
        tu.trip.route_id = route_id.split(":", 1)[1]
    for i, (stop, minute) in enumerate(zip(stops, (0, 6))):
        u = tu.stop_time_update.add()
        u.stop_id = stop.split(":", 1)[1]
        when = int(dt.datetime.combine(date, dt.time(2, minute), tzinfo=ZoneInfo(tz)).timestamp())
        u.arrival.time = u.departure.time = when
    return msg.SerializeToString()


@pytest.mark.parametrize("with_route", [False, True], ids=["no-route", "route"])
def test_added_trip_fare(bundle, with_route):
    import engine

    net = engine.open(str(bundle))
    route, a, b, date = _a_ride(net)
    report = net.apply_realtime(_added(route if with_route else None, [a, b], date, net.timetable.feed_timezones[0]))
    assert report.overlay_trips == 1
    plan = net.plan(a, b, date=date.isoformat(), time="01:55:00", optimize=FARE, max_transfers=2)
    assert plan.stats["realtime"] is True
    first = plan.itineraries[0]
    rides = [leg for leg in first.legs if leg.mode == "transit"]
    assert len(rides) == 1 and rides[0].trip_id.endswith("NIGHT-EXTRA") and rides[0].realtime
    assert first.arrival.time() == dt.time(2, 6)
    fares = plan.stats["fare_minor"]
    if with_route:
        # priced as its route's ride, and the itinerary says the same price
        assert fares[0] is not None and first.fare is not None and first.fare.known
        assert round(first.fare.amount * 100) == fares[0]
    else:
        assert fares[0] is None and (first.fare is None or not first.fare.known)
        # later scheduled journeys with a price are still answered (an unknown fare is worse than any)
        assert any(f is not None for f in fares[1:])
