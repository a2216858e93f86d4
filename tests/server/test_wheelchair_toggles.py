"""wheelchair / bikes toggles (issue 14) over HTTP (GET /v1/plan) and the CLI (brique plan): the
engine's filtered answer, and the engine's refusals as 4xx / exit status 2."""
from __future__ import annotations

import json

from engine.cli import main
from engine.sample import DEMO


def _ids(itineraries) -> list[list[str | None]]:
    return [[leg["trip_id"] for leg in it["legs"]] for it in itineraries]


def test_http_wheelchair_and_bikes_are_the_engine_answer(client, network):
    for params in ({"wheelchair": "true"}, {"bikes": "true"}, {"wheelchair": "true", "bikes": "true"}):
        r = client.get("/v1/plan", params={"from": DEMO["origin"], "to": DEMO["destination"], "date": DEMO["date"],
                                           "time": "08:00", **params})
        assert r.status_code == 200, r.text
        want = network.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00",
                            **{k: True for k in params})
        assert _ids(r.json()["itineraries"]) == _ids([it.to_dict() for it in want.itineraries])


def test_http_wheelchair_with_points_is_the_engine_answer(client, network):
    """Points are searched on the step-free street profile (engine.streets.step_free)."""
    p, q = DEMO["from_point"], DEMO["to_point"]
    for to, to_param in ((DEMO["destination"], DEMO["destination"]), (q, f"{q[0]},{q[1]}")):
        r = client.get("/v1/plan", params={"from": f"{p[0]},{p[1]}", "to": to_param, "date": DEMO["date"],
                                           "time": "08:00", "wheelchair": "true"})
        assert r.status_code == 200, r.text
        want = network.plan(p, to, DEMO["date"], "08:00", wheelchair=True).to_dict()
        got = r.json()
        assert _ids(got["itineraries"]) == _ids(want["itineraries"]) and got["itineraries"]
        assert [[leg["duration_s"] for leg in it["legs"]] for it in got["itineraries"]] == \
            [[leg["duration_s"] for leg in it["legs"]] for it in want["itineraries"]]


def test_cli_wheelchair_flag(sample_bundle, sample_network, capsys):
    argv = ["plan", str(sample_bundle), "--from", DEMO["origin"], "--to", DEMO["destination"],
            "--date", DEMO["date"], "--time", "08:00", "--wheelchair", "--json"]
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    want = sample_network.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", wheelchair=True)
    assert _ids(got["itineraries"]) == _ids([it.to_dict() for it in want.itineraries])
    assert got["stats"]["wheelchair"] is True
    p = DEMO["from_point"]
    assert main(["plan", str(sample_bundle), "--from", f"{p[0]},{p[1]}", "--to", DEMO["destination"],
                 "--date", DEMO["date"], "--time", "08:00", "--wheelchair", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = sample_network.plan(p, DEMO["destination"], DEMO["date"], "08:00", wheelchair=True)
    assert _ids(got["itineraries"]) == _ids([it.to_dict() for it in want.itineraries]) and got["itineraries"]
    assert got["stats"]["wheelchair"] is True


def test_http_and_cli_optimize_walking(client, network, sample_bundle, capsys):
    walking = ("arrival", "transfers", "walking")
    for o, d in ((DEMO["origin"], DEMO["destination"]),
                 (f"{DEMO['from_point'][0]},{DEMO['from_point'][1]}", f"{DEMO['to_point'][0]},{DEMO['to_point'][1]}")):
        r = client.get("/v1/plan", params={"from": o, "to": d, "date": DEMO["date"], "time": "08:00",
                                           "optimize": "walking"})
        assert r.status_code == 200, r.text
        ends = [tuple(map(float, x.split(","))) if "," in x else x for x in (o, d)]
        want = network.plan(*ends, DEMO["date"], "08:00", optimize=walking)
        got = r.json()["itineraries"]
        assert _ids(got) == _ids([it.to_dict() for it in want.itineraries])
        assert [sum(leg["duration_s"] for leg in it["legs"] if leg["mode"] == "walk") for it in got] \
            == want.stats["walking_s"]
    r = client.get("/v1/plan", params={"from": DEMO["origin"], "to": DEMO["destination"], "date": DEMO["date"],
                                       "time": "08:00", "optimize": "fare"})
    assert 400 <= r.status_code < 500
    assert main(["plan", str(sample_bundle), "--from", DEMO["origin"], "--to", DEMO["destination"],
                 "--date", DEMO["date"], "--time", "08:00", "--optimize", "walking", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = network.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", optimize=walking)
    assert got["stats"]["walking_s"] == want.stats["walking_s"]
