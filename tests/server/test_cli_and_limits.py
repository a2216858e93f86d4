"""The `brique` launcher (server.cli adds `serve` to the engine's commands) and the one source of
every parameter bound (engine.limits: the OpenAPI schema and Settings read it)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine import limits as L

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_server_is_brique_with_serve():
    out = subprocess.run([sys.executable, "-m", "server", "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and "serve" in out.stdout and "plan" in out.stdout


def test_the_engine_command_alone_has_no_serve(capsys):
    from engine.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["serve", "x"])
    assert exit_.value.code == 2 and "invalid choice: 'serve'" in capsys.readouterr().err


def test_serve_fails_fast_on_a_missing_bundle(tmp_path, capsys):
    from server.cli import main

    assert main(["serve", str(tmp_path / "none.bundle")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("brique: error:") and "not a bundle" in err


def test_other_commands_go_to_the_engine(sample_bundle, capsys):
    from server.cli import main

    assert main(["info", str(sample_bundle)]) == 0
    assert '"format_version"' in capsys.readouterr().out


def test_schema_bounds_are_the_engines(client):
    params = {p["name"]: p["schema"] for path in ("/v1/plan", "/v1/departures", "/v1/stops/near",
                                                    "/v1/geocode/search", "/v1/network")
              for p in client.get("/openapi.json").json()["paths"][path]["get"]["parameters"]}

    def maximum(name):
        schema = params[name]
        return schema.get("maximum", next((s.get("maximum") for s in schema.get("anyOf", []) if "maximum" in s),
                                          None))

    assert maximum("max_access_s") == L.MAX_ACCESS_S
    assert maximum("max_direct_s") == L.MAX_DIRECT_S
    assert maximum("max_transfers") == L.MAX_TRANSFERS
    assert maximum("max_window_s") == L.MAX_WINDOW_S
    assert maximum("window_s") == L.MAX_DEPARTURES_WINDOW_S
    assert maximum("radius_m") == L.MAX_NEAR_RADIUS_M
    assert maximum("max_segments") == L.MAX_MAP_SEGMENTS and maximum("max_lines") == L.MAX_MAP_LINES
    assert params["q"]["maxLength"] == L.MAX_QUERY_CHARS


def test_settings_cannot_exceed_the_engine():
    from pydantic import ValidationError

    from server.settings import Settings

    with pytest.raises(ValidationError):
        Settings(max_access_s=L.MAX_ACCESS_S + 1)
    assert Settings(max_access_s=L.MAX_ACCESS_S).max_access_s == L.MAX_ACCESS_S


def test_serve_refuses_a_port_out_of_range(sample_bundle, capsys):
    from server.cli import main

    assert main(["serve", str(sample_bundle), "--port", "70000"]) == 1
    assert capsys.readouterr().err.startswith("brique: error: port must be in 0..65535")


def test_serve_refuses_an_unknown_log_level(sample_bundle, capsys):
    from server.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["serve", str(sample_bundle), "--log-level", "bogus"])
    assert exit_.value.code == 2 and "invalid choice: 'bogus'" in capsys.readouterr().err


def test_serve_reports_a_bad_env_setting_in_one_line(sample_bundle, monkeypatch, capsys):
    from server.cli import check_settings, main

    monkeypatch.setenv("BRIQUE_BUNDLE", str(sample_bundle))      # serve sets it: restored after the test
    monkeypatch.setenv("BRIQUE_MAX_RESULTS", "abc")
    assert main(["serve", str(sample_bundle), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("brique: error: invalid server setting: BRIQUE_MAX_RESULTS") and "Traceback" not in err

    monkeypatch.delenv("BRIQUE_MAX_RESULTS")
    monkeypatch.setenv("BRIQUE_CORS_ORIGINS", "https://example.org")         # not JSON
    with pytest.raises(ValueError, match="cors_origins.*list settings are JSON"):
        check_settings()


def test_workers_refusing_their_settings_are_not_restarted():
    import multiprocessing

    from server.cli import EX_CONFIG, _supervise

    ctx = multiprocessing.get_context("fork")
    started = []

    def new_worker():
        started.append(ctx.Process(target=sys.exit, args=(EX_CONFIG,)))
        return started[-1]

    with pytest.raises(SystemExit, match="invalid configuration"):
        _supervise(new_worker, 2)
    assert len(started) == 2


def test_a_server_limit_below_a_default_lowers_the_default(sample_bundle, sample_network, demo):
    """BRIQUE_MAX_RESULTS=2 (below the default limit 5) and the like: a request that leaves the
    parameter at its default is answered within the server's bound, one asking for more is refused."""
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    settings = Settings(bundle=str(sample_bundle), max_results=2, max_stops_near=1, max_radius_m=100,
                        max_departures=1, max_window_s=600)
    near = {"lat": 47.2, "lon": 1.55}
    deps = {"stop": demo["origin"], "date": demo["date"], "time": "08:00"}
    with TestClient(create_app(settings, network=sample_network)) as client:
        r = client.get("/v1/geocode/search", params={"q": "rue"})
        assert r.status_code == 200 and len(r.json()["features"]) <= 2
        assert client.get("/v1/geocode/search", params={"q": "rue", "limit": 3}).status_code == 422
        r = client.get("/v1/stops/near", params=near)
        assert r.status_code == 200 and len(r.json()["stops"]) <= 1
        assert all(s["distance_m"] <= 100 for s in r.json()["stops"])
        assert client.get("/v1/stops/near", params={**near, "limit": 2}).status_code == 422
        assert client.get("/v1/stops/near", params={**near, "radius_m": 101}).status_code == 422
        r = client.get("/v1/departures", params=deps)
        assert r.status_code == 200 and len(r.json()["departures"]) <= 1
        assert client.get("/v1/departures", params={**deps, "window_s": 601}).status_code == 422
