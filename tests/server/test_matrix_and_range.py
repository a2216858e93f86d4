"""POST /v1/matrix and GET /v1/plan?window_s: the engine's answers as JSON, bounded inputs as 4xx."""
from __future__ import annotations

import pytest


def _point(value) -> list[float]:
    lat, lon = value
    return [float(lat), float(lon)]


def test_matrix_equals_engine(client, network, demo):
    body = {"origins": [demo["origin"], {"id": "home", "lat": _point(demo["from_point"])[0],
                                         "lon": _point(demo["from_point"])[1]}],
            "destinations": [demo["destination"], _point(demo["to_point"])],
            "date": demo["date"], "time": demo["time"], "window_s": 1800, "percentiles": [25, 50, 75]}
    r = client.post("/v1/matrix", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["origins"] == [demo["origin"], "home"] and data["destinations"] == [demo["destination"], "1"]
    want = network.travel_time_matrix([demo["origin"], tuple(_point(demo["from_point"]))],
                                      [demo["destination"], tuple(_point(demo["to_point"]))], date=demo["date"],
                                      time=demo["time"], window_s=1800, percentiles=(25, 50, 75), threads=1)
    for p in (25, 50, 75):
        flat = want.column(f"travel_time_p{p}").to_pylist()
        assert data["travel_time_s"][f"p{p}"] == [flat[:2], flat[2:]]
    assert any(v is not None for v in data["travel_time_s"]["p50"][0]), "the demo pair is reachable"


def test_matrix_to_every_stop(client, demo):
    r = client.post("/v1/matrix", json={"origins": [demo["origin"]], "destinations": "stops",
                                        "date": demo["date"], "time": demo["time"], "window_s": 600})
    assert r.status_code == 200, r.text
    data = r.json()
    assert len(data["travel_time_s"]["p50"][0]) == len(data["destinations"]) > 5
    row = data["travel_time_s"]["p50"][0]
    assert min(v for v in row if v is not None) == 0, "the origin's own platforms take no time"
    assert sum(v is not None for v in row) > 5


@pytest.mark.parametrize("patch, status, parameter", [
    ({"origins": ["sample:NOPE"]}, 404, "origins"),
    ({"origins": [[95.0, 2.0]]}, 400, "origins"),
    ({"percentiles": [0]}, 400, "percentiles"),
    ({"window_s": 30 * 3600}, 400, "window_s"),
    ({"date": "2099-01-01"}, 422, "date"),
    ({"origins": []}, 400, "origins"),
])
def test_matrix_bad_input_is_a_4xx(client, demo, patch, status, parameter):
    body = {"origins": [demo["origin"]], "date": demo["date"], "time": demo["time"], **patch}
    r = client.post("/v1/matrix", json=body)
    assert r.status_code == status, r.text
    if parameter:
        assert r.json()["error"]["parameter"].startswith(parameter)


def test_matrix_limits(client, demo):
    many = [demo["origin"]] * 600
    r = client.post("/v1/matrix", json={"origins": many, "date": demo["date"], "time": demo["time"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "limit_exceeded", r.text
    big = {"origins": [demo["origin"]] * 60_000, "date": demo["date"], "time": demo["time"]}
    r = client.post("/v1/matrix", json=big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"


def test_range_plan_over_http(client, network, demo):
    params = {"from": demo["origin"], "to": demo["destination"], "date": demo["date"], "time": demo["time"],
              "window_s": 3600}
    r = client.get("/v1/plan", params=params)
    assert r.status_code == 200, r.text
    its = r.json()["itineraries"]
    want = network.plan(demo["origin"], demo["destination"], date=demo["date"], time=demo["time"], window_s=3600)
    assert [it["departure"] for it in its] == [it.departure.isoformat() for it in want.itineraries]
    assert len(its) > 1, "an hour of departures offers several journeys"
    r = client.get("/v1/plan", params={**params, "arrive_by": "true"})
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "window_s"
