"""GTFS-Realtime over HTTP: status, push (off by default), the poller (a file and a local HTTP
server on 127.0.0.1), and plan/departures answers carrying the real-time fields."""
from __future__ import annotations

import http.server
import threading

import pytest

pb2 = pytest.importorskip("google.transit.gtfs_realtime_pb2")

TRIP = "T1-SEM-0-0530"


def _feed(net, delay: int = 240) -> bytes:
    """A FULL_DATASET delaying TRIP on the first day it runs."""
    import datetime as dt

    tt = net.timetable
    t = tt.strings("trips", "trip_id").to_pylist().index(f"briqueville:{TRIP}")
    day = next(d for d in range(tt.n_days) if tt.active_services(d)[tt.max_day_offset, tt.trip_service[t]])
    m = pb2.FeedMessage()
    m.header.gtfs_realtime_version = "2.0"
    m.header.timestamp = 1_700_000_000
    e = m.entity.add()
    e.id = "1"
    e.trip_update.trip.trip_id = TRIP
    e.trip_update.trip.start_date = (tt.period_start + dt.timedelta(days=day)).strftime("%Y%m%d")
    s = e.trip_update.stop_time_update.add()
    s.stop_sequence = int(tt.st_seq[int(tt.pattern_st_offset[int(tt.trip_pattern[t])]) + t
                                    - int(tt.pattern_first_trip[int(tt.trip_pattern[t])])])
    s.departure.delay = delay
    return m.SerializeToString()


@pytest.fixture()
def rt_app(sample_bundle):
    import engine
    from server.main import create_app
    from server.settings import Settings

    net = engine.open(str(sample_bundle))
    return create_app(Settings(bundle=str(sample_bundle), realtime_push=True), network=net), net


def test_push_is_off_by_default(client):
    r = client.post("/v1/realtime", content=b"x")
    assert r.status_code == 403 and r.json()["error"]["code"] == "push_disabled"
    status = client.get("/v1/realtime/status").json()
    assert status["active"] is False and status["push_enabled"] is False


def test_push_applies_and_status_reports(rt_app):
    from fastapi.testclient import TestClient

    app, net = rt_app
    with TestClient(app) as client:
        assert client.post("/v1/realtime", content=b"\x0a\xff garbage").status_code == 400
        r = client.post("/v1/realtime", content=_feed(net))
        assert r.status_code == 200 and r.json()["counts"] == {"trips_updated": 1}
        status = client.get("/v1/realtime/status").json()
        assert status["active"] and status["sources"]["push"]["trips"] == 1
        assert status["sources"]["push"]["feed_timestamp"].startswith("2023-11-14")


def test_push_with_millisecond_timestamp_is_400(rt_app):
    """A header timestamp in milliseconds is a bad_feed answer, not a 500."""
    from fastapi.testclient import TestClient

    app, net = rt_app
    m = pb2.FeedMessage()
    m.ParseFromString(_feed(net))
    m.header.timestamp = 1_700_000_000_000
    with TestClient(app) as client:
        r = client.post("/v1/realtime", content=m.SerializeToString())
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_feed"
        assert client.get("/v1/realtime/status").json()["active"] is False


def test_plan_and_departures_carry_realtime_fields(rt_app):
    from fastapi.testclient import TestClient

    app, net = rt_app
    net.apply_realtime(_feed(net, delay=240))
    record = next(iter(net._realtime.overlay.records_by_key.values()))
    tt = net.timetable
    date = (tt.period_start.toordinal() + record.day)
    import datetime as dt

    date = dt.date.fromordinal(date).isoformat()
    a, b = tt.stop_id(int(record.stops[0])), tt.stop_id(int(record.stops[-1]))
    dep = int(record.dep[0]) - 240
    with TestClient(app) as client:
        plan = client.get("/v1/plan", params={"from": a, "to": b, "date": date,
                                              "time": f"{dep // 3600:02d}:{dep // 60 % 60:02d}"}).json()
        legs = [leg for it in plan["itineraries"] for leg in it["legs"] if leg["mode"] == "transit"]
        assert any(leg["realtime"] and leg["delay_s"] == 240 for leg in legs)
        deps = client.get("/v1/departures", params={"stop": a, "date": date,
                                                    "time": f"{dep // 3600:02d}:{dep // 60 % 60:02d}"}).json()
        assert any(d["realtime"] and d["delay_s"] == 240 for d in deps["departures"])


def test_poller_reads_a_file_and_a_local_http_server(sample_bundle, tmp_path):
    import engine
    from server.routes.realtime import Poller

    net = engine.open(str(sample_bundle))
    data = _feed(net)
    path = tmp_path / "feed.pb"
    path.write_bytes(data)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):                     # noqa: N802 - http.server's name
            self.send_response(200)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/tu.pb"
        poller = Poller(net, [str(path), url, str(tmp_path / "missing.pb")], 30, 5, None, None, 1 << 20)
        poller.poll_once()
        assert poller.info[str(path)]["last_report"]["counts"] == {"trips_updated": 1}
        assert poller.info[url]["last_report"]["counts"] == {"trips_updated": 1}
        assert "FileNotFoundError" in poller.info[str(tmp_path / "missing.pb")]["last_error"]
        poller.poll_once()                        # unchanged: not applied again
        assert poller.info[str(path)]["unchanged"] and poller.info[url]["unchanged"]
        assert set(net.realtime_status()["sources"]) == {str(path), url}
    finally:
        httpd.shutdown()


def _delayed_trip_params(net) -> tuple[dict, object]:
    """Plan parameters from the first to the last stop of the trip ``_feed`` delays (applied
    here), leaving when it was scheduled to, and that trip's record."""
    import datetime as dt

    net.apply_realtime(_feed(net, delay=240))
    record = next(iter(net._realtime.overlay.records_by_key.values()))
    tt = net.timetable
    date = dt.date.fromordinal(tt.period_start.toordinal() + record.day).isoformat()
    dep = int(record.dep[0]) - 240
    return {"from": tt.stop_id(int(record.stops[0])), "to": tt.stop_id(int(record.stops[-1])), "date": date,
            "time": f"{dep // 3600:02d}:{dep // 60 % 60:02d}"}, record


def _delayed_legs(client, params) -> list:
    r = client.get("/v1/plan", params=params)
    assert r.status_code == 200
    legs = [leg for it in r.json()["itineraries"] for leg in it["legs"] if leg["mode"] == "transit"]
    return [leg for leg in legs if leg["realtime"] and leg["delay_s"] == 240]


def test_wheelchair_plan_over_http_uses_the_overlay(rt_app):
    """wheelchair=true plans with the overlay (a delayed trip keeps its scheduled trip's flag)."""
    from fastapi.testclient import TestClient

    app, net = rt_app
    params, record = _delayed_trip_params(net)
    accessible = int(net.timetable.bundle.column("timetable/trips", "wheelchair_accessible")[record.static_trip]) == 1
    with TestClient(app) as client:
        assert bool(_delayed_legs(client, {**params, "wheelchair": "true"})) == accessible


def test_criteria_plan_over_http_uses_the_overlay(rt_app):
    """optimize=walking plans with the overlay too (engine/criteria/realtime.py)."""
    from fastapi.testclient import TestClient

    app, net = rt_app
    params, _ = _delayed_trip_params(net)
    with TestClient(app) as client:
        assert _delayed_legs(client, {**params, "optimize": "walking"})
