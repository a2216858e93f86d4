"""GET /v1/plan?arrive_by=true over the sample city: the engine's answer, arrivals by the requested
time, latest departure first; bad input stays a 4xx JSON error."""
from __future__ import annotations

import datetime as dt

import pytest

from server import schemas


def _point(p) -> str:
    return f"{p[0]},{p[1]}"


def _deadline(date: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{date}T{time}:00+01:00")   # Europe/Paris in March


@pytest.mark.parametrize("ends", ["stops", "points"])
def test_arrive_by_answers_200_arriving_in_time(client, network, demo, ends):
    o, d = ((demo["origin"], demo["destination"]) if ends == "stops"
            else (_point(demo["from_point"]), _point(demo["to_point"])))
    r = client.get("/v1/plan", params={"from": o, "to": d, "date": demo["date"], "time": "09:00",
                                       "arrive_by": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    schemas.PlanResponse.model_validate(body)
    its = body["itineraries"]
    assert its, "the demo pair has journeys arriving by 09:00"
    deadline = _deadline(demo["date"], "09:00")
    assert all(dt.datetime.fromisoformat(it["arrival"]) <= deadline for it in its)
    deps = [dt.datetime.fromisoformat(it["departure"]) for it in its]
    assert deps == sorted(deps, reverse=True)
    assert all(it["departure"] == it["legs"][0]["departure"] for it in its)
    ref = network.plan(tuple(map(float, o.split(","))) if ends == "points" else o,
                       tuple(map(float, d.split(","))) if ends == "points" else d,
                       demo["date"], "09:00", arrive_by=True)
    assert [it["departure"] for it in its] == [it.departure.isoformat() for it in ref.itineraries]


def test_arrive_by_window_and_empty_answer(client, demo):
    base = {"from": demo["origin"], "to": demo["destination"], "date": demo["date"], "arrive_by": "true"}
    r = client.get("/v1/plan", params={**base, "time": "09:00", "max_window_s": 120})
    assert r.status_code == 200 and r.json()["itineraries"] == []
    r = client.get("/v1/plan", params={**base, "time": "00:05"})
    assert r.status_code == 200 and r.json()["itineraries"] == []


def test_departure_queries_are_unchanged(client, network, demo):
    params = {"from": demo["origin"], "to": demo["destination"], "date": demo["date"], "time": demo["time"]}
    a = client.get("/v1/plan", params=params).json()
    b = client.get("/v1/plan", params={**params, "arrive_by": "false"}).json()
    assert a == b and a["itineraries"]


@pytest.mark.parametrize("params, status, parameter", [
    ({"arrive_by": "maybe"}, 400, "arrive_by"),
    ({"arrive_by": "true", "max_window_s": "30"}, 400, "max_window_s"),
    ({"arrive_by": "true", "max_window_s": "x"}, 400, "max_window_s"),
    ({"arrive_by": "true", "max_window_s": "86400"}, 422, "max_window_s"),   # server limit 6 h
    ({"max_window_s": "3600"}, 400, "max_window_s"),                          # without arrive_by
    ({"arrive_by": "true", "time": "25:99"}, 400, "time"),
    ({"arrive_by": "true", "to": "no-such-stop"}, 404, "destination"),
    ({"arrive_by": "true", "date": "2031-01-01"}, 422, "date"),
])
def test_arrive_by_bad_input_is_a_4xx(client, demo, params, status, parameter):
    base = {"from": demo["origin"], "to": demo["destination"], "date": demo["date"], "time": "09:00"}
    r = client.get("/v1/plan", params={**base, **params})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["status"] == status and err["message"] and err["parameter"] == parameter
