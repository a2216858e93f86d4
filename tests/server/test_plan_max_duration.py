"""GET /v1/plan?max_duration_s=...: the engine's answer (journeys arriving in time only); bad
values and arrive_by / window_s combinations are a 4xx JSON error naming the parameter."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("optimize", ["transfers", "walking"])
def test_max_duration_is_the_engines_answer(client, network, demo, optimize):
    params = {"from": demo["origin"], "to": demo["destination"], "date": demo["date"], "time": demo["time"],
              "max_duration_s": 3600}
    r = client.get("/v1/plan", params={**params, "optimize": optimize})
    assert r.status_code == 200, r.text
    criteria = ("arrival", "transfers") + (() if optimize == "transfers" else (optimize,))
    ref = network.plan(demo["origin"], demo["destination"], demo["date"], demo["time"], max_duration_s=3600,
                       optimize=criteria)
    assert ref.itineraries
    assert [it["arrival"] for it in r.json()["itineraries"]] == [it.arrival.isoformat() for it in ref.itineraries]


@pytest.mark.parametrize("params, status", [
    ({"max_duration_s": "30"}, 400),
    ({"max_duration_s": "x"}, 400),
    ({"max_duration_s": str(3 * 86400)}, 400),
    ({"max_duration_s": "3600", "arrive_by": "true"}, 400),
    ({"max_duration_s": "3600", "window_s": "600"}, 400),
])
def test_bad_max_duration_is_a_4xx(client, demo, params, status):
    base = {"from": demo["origin"], "to": demo["destination"], "date": demo["date"], "time": demo["time"]}
    r = client.get("/v1/plan", params={**base, **params})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["status"] == status and err["message"] and err["parameter"] == "max_duration_s"
