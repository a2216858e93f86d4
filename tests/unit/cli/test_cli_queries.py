"""`brique route|geocode|reverse|plan` on the sample bundle: answers, JSON shapes, and one-line
errors with exit status 2 for bad input (no traceback)."""
from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.sample import DEMO


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _pt(p) -> str:
    return f"{p[0]},{p[1]}"


def test_route_each_mode(sample_bundle, sample_network, capsys):
    a, b = DEMO["from_point"], DEMO["to_point"]
    for mode in ("walk", "bike", "car"):
        code, out, _ = _run(capsys, "route", sample_bundle, "--from", _pt(a), "--to", _pt(b), "--mode", mode, "--json")
        assert code == 0
        got = json.loads(out)
        want = sample_network.route(a[0], a[1], b[0], b[1], mode=mode)
        assert got["duration_s"] == want.duration_s and got["mode"] == mode
        assert got["geometry"][0] == [round(a[0], 7), round(a[1], 7)]
    code, out, _ = _run(capsys, "route", sample_bundle, "--from", _pt(a), "--to", _pt(b))
    assert code == 0 and out.startswith("walk: ")


def test_geocode_and_reverse(sample_bundle, capsys):
    code, out, _ = _run(capsys, "geocode", sample_bundle, DEMO["geocode"], "--json", "--limit", "2")
    assert code == 0
    fc = json.loads(out)
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2
    assert fc["features"][0]["properties"]["label"].startswith("45 Rue Victor Hugo")
    import engine

    geocoder = engine.open(sample_bundle).geocoder          # the data's, as the HTTP API says it
    assert (fc["attribution"], fc["licence"]) == (geocoder.attribution, geocoder.licence)
    assert fc["licence"]
    code, out, _ = _run(capsys, "geocode", sample_bundle, "victor hu", "--autocomplete", "--type", "street")
    assert code == 0 and "Rue Victor Hugo" in out.splitlines()[0] and "(street," in out
    code, out, _ = _run(capsys, "reverse", sample_bundle, _pt(DEMO["reverse"]))
    assert code == 0 and out.startswith("45 Rue Victor Hugo") and "housenumber" in out


def test_type_filter_takes_a_comma_separated_list(sample_bundle, capsys):
    code, out, err = _run(capsys, "geocode", sample_bundle, "victor hugo", "--type", "stop,street", "--limit", "10")
    assert code == 0, err
    kinds = {line.rsplit("(", 1)[1].split(",")[0] for line in out.splitlines()}
    assert kinds and kinds <= {"stop", "street"}
    code, out, err = _run(capsys, "reverse", sample_bundle, _pt(DEMO["reverse"]), "--type", "street, stop")
    assert code == 0, err
    assert "(street," in out or "(stop," in out
    code, _, err = _run(capsys, "geocode", sample_bundle, "victor", "--type", "address,bogus")
    assert code == 2 and "bogus" in err


def test_plan_door_to_door(sample_bundle, capsys):
    code, out, _ = _run(capsys, "plan", sample_bundle, "--from", _pt(DEMO["from_point"]), "--to",
                        _pt(DEMO["to_point"]), "--date", DEMO["date"], "--time", DEMO["time"], "--json")
    assert code == 0
    plan = json.loads(out)
    legs = plan["itineraries"][0]["legs"]
    assert legs[0]["mode"] == "walk" and legs[-1]["mode"] == "walk"
    assert any(leg["mode"] == "transit" for leg in legs)


def test_plan_names_a_change_inside_a_station(sample_bundle, capsys):
    """T1 then A at Hôtel de Ville (two platforms of one station): the change prints as such,
    never as "Hôtel de Ville -> Hôtel de Ville [walk]"; --json flags the leg and its platforms."""
    argv = ["plan", sample_bundle, "--from", "briqueville:GARE", "--to", "briqueville:BELV",
            "--date", "2026-03-03", "--time", "08:00"]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    assert "change at Hôtel de Ville (platform A -> B), 3 min" in out
    assert "Hôtel de Ville -> " not in out and "Hôtel de Ville (platform A) -> 08:11 Hôtel de Ville" not in out
    assert "Hôtel de Ville (platform A)  [T1 towards" in out                  # platforms on vehicle legs too
    code, out, _ = _run(capsys, *argv, "--json")
    change = json.loads(out)["itineraries"][0]["legs"][1]
    assert change["transfer"] is True and change["mode"] == "walk"
    assert (change["origin"]["platform_code"], change["destination"]["platform_code"]) == ("A", "B")


@pytest.mark.parametrize("argv, parameter", [
    (["route", "--from", "91,1", "--to", "47.2,1.5"], "from"),
    (["route", "--from", "47.2,1.5", "--to", "nowhere"], "to"),
    (["geocode", "rue", "--limit", "1000"], "limit"),
    (["reverse", "abc"], "point"),
    (["plan", "--from", "briqueville:NOPE", "--to", "briqueville:BELV", "--date", "2026-03-03", "--time", "08:00"],
     "origin"),
    (["plan", "--from", "briqueville:GARE", "--to", "briqueville:BELV", "--date", "2031-03-03", "--time", "08:00"],
     "date"),
])
def test_bad_input_is_one_line_and_exit_2(sample_bundle, capsys, argv, parameter):
    code, out, err = _run(capsys, argv[0], sample_bundle, *argv[1:])
    assert code == 2 and out == ""
    assert err.startswith("brique: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_plan_text_says_the_day_a_journey_falls_on(sample_bundle, sample_network, capsys):
    """A plan asked after the last departure of the day leaves the next morning: its text says
    so (the legs' clocks alone read as if it left before the time asked)."""
    code, out, err = _run(capsys, "plan", sample_bundle, "--from", f"{DEMO['origin']}", "--to",
                          f"{DEMO['destination']}", "--date", DEMO["date"], "--time", "23:59")
    assert code == 0, err
    plan = sample_network.plan(DEMO["origin"], DEMO["destination"], date=DEMO["date"], time="23:59")
    first = plan.itineraries[0]
    assert first.departure.date() > plan.date
    assert out.splitlines()[1].startswith(f"  #1 {first.departure:%H:%M} (+1 day) -> {first.arrival:%H:%M} (+1 day)")
    code, out, _ = _run(capsys, "plan", sample_bundle, "--from", f"{DEMO['origin']}", "--to",
                        f"{DEMO['destination']}", "--date", DEMO["date"], "--time", DEMO["time"])
    assert code == 0 and "day)" not in out.splitlines()[1]
