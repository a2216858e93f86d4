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
