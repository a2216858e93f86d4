"""HTTP API tests over the sample city (TestClient): shapes, values, and 4xx for bad input."""
from __future__ import annotations

import pytest

from server import schemas


def _point(p) -> str:
    return f"{p[0]},{p[1]}"


def _error(r, status: int, code: str | None = None, parameter: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["status"] == status and err["message"]
    if code:
        assert err["code"] == code, err
    if parameter:
        assert err["parameter"] == parameter, err
    return err


# ------------------------------------------------------------------ service
def test_health(client, sample_bundle):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "bundle": sample_bundle.name,
                        "capabilities": {"timetable": True, "streets": True, "geocoder": True}}


def test_meta_describes_the_bundle(client):
    m = client.get("/v1/meta").json()
    schemas.Meta.model_validate(m)
    from engine.bundle.schema import FORMAT_VERSION

    assert m["format_version"] == FORMAT_VERSION
    assert m["components"] == {"timetable": True, "streets": True, "geocoder": True}
    assert m["period"]["start"] == "2026-01-01" and m["period"]["end"] == "2026-12-31"
    assert [f["name"] for f in m["feeds"]] == ["briqueville"]
    assert m["counts"]["timetable"]["stops"] == 56
    assert m["counts"]["streets"]["segments"] > 100
    assert client.get("/meta").json() == m


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for path in ("/v1/plan", "/v1/route", "/v1/geocode/search", "/v1/geocode/autocomplete",
                 "/v1/geocode/reverse", "/search/", "/reverse/", "/v1/stops/near", "/v1/departures",
                 "/v1/network", "/health", "/v1/meta"):
        assert path in paths
        assert "400" in spec["paths"][path]["get"]["responses"] or path in ("/health", "/v1/meta")


# ------------------------------------------------------------------ plan
def test_plan_between_stops_matches_the_engine(client, network, demo):
    r = client.get("/v1/plan", params={"from": demo["origin"], "to": demo["destination"], "date": demo["date"],
                                       "time": demo["time"]})
    assert r.status_code == 200, r.text
    body = r.json()
    schemas.PlanResponse.model_validate(body)
    ref = network.plan(demo["origin"], demo["destination"], demo["date"], demo["time"])
    assert [it["arrival"] for it in body["itineraries"]] == [it.arrival.isoformat() for it in ref.itineraries]
    first = body["itineraries"][0]
    assert first["transfers"] == 1
    modes = [leg["mode"] for leg in first["legs"]]
    assert modes.count("transit") == 2
    assert [leg["route_short_name"] for leg in first["legs"] if leg["mode"] == "transit"] == ["T1", "A"]


def test_plan_door_to_door_has_geojson_legs(client, demo):
    r = client.get("/v1/plan", params={"from": _point(demo["from_point"]), "to": _point(demo["to_point"]),
                                       "date": demo["date"], "time": demo["time"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["itineraries"], "the demo door-to-door query has journeys"
    for it in body["itineraries"]:
        legs = it["legs"]
        assert legs[0]["mode"] == "walk" and legs[-1]["mode"] == "walk"
        assert it["departure"] == legs[0]["departure"] and it["arrival"] == legs[-1]["arrival"]
        for leg in legs:
            g = leg["geometry"]
            assert g["type"] == "LineString" and len(g["coordinates"]) >= 2
            for lon, lat in g["coordinates"]:
                assert 1.4 < lon < 1.7 and 47.1 < lat < 47.3      # GeoJSON order [lon, lat]
        first = legs[0]["geometry"]["coordinates"][0]
        assert first == pytest.approx([demo["from_point"][1], demo["from_point"][0]], abs=1e-6)


def test_plan_change_inside_a_station_names_the_platforms(client):
    r = client.get("/v1/plan", params={"from": "briqueville:GARE", "to": "briqueville:BELV",
                                       "date": "2026-03-03", "time": "08:00"})
    assert r.status_code == 200, r.text
    legs = r.json()["itineraries"][0]["legs"]
    assert [leg["transfer"] for leg in legs] == [False, True, False]
    change = legs[1]
    assert change["origin"]["name"] == change["destination"]["name"] == "Hôtel de Ville"
    assert (change["origin"]["platform_code"], change["destination"]["platform_code"]) == ("A", "B")
    assert legs[0]["destination"]["platform_code"] == "A" and legs[2]["origin"]["platform_code"] == "B"
    schemas.PlanResponse.model_validate(r.json())


def test_plan_endpoints_are_the_legs_places(client):
    """The plan's origin and destination are the same Places as its legs' ends (platform included)."""
    r = client.get("/v1/plan", params={"from": "briqueville:GARE_T", "to": "briqueville:BELV_M",
                                       "date": "2026-03-03", "time": "08:00"})
    assert r.status_code == 200, r.text
    body = r.json()
    legs = body["itineraries"][0]["legs"]
    assert body["origin"]["platform_code"] == "A" and body["origin"]["stop_id"] == "briqueville:GARE_T"
    assert body["origin"] == legs[0]["origin"] and body["destination"] == legs[-1]["destination"]


def test_plan_bike_access_and_limits(client, demo):
    params = {"from": _point(demo["from_point"]), "to": _point(demo["to_point"]), "date": demo["date"],
              "time": demo["time"], "mode": "bike", "max_access_s": 600, "max_transfers": 0}
    r = client.get("/v1/plan", params=params)
    assert r.status_code == 200, r.text
    for it in r.json()["itineraries"]:
        assert it["transfers"] == 0
        assert {leg["mode"] for leg in it["legs"]} <= {"bike", "transit", "walk"}


@pytest.mark.parametrize("params, status, code, parameter", [
    ({"arrive_by": "maybe"}, 400, "invalid_parameter", "arrive_by"),       # arrive_by=true: see test_plan_arrive_by
    ({"to": "no-such-stop"}, 404, "unknown_stop", "destination"),
    ({"date": "2031-01-01"}, 422, "out_of_period", "date"),
    ({"date": "2026-02-30"}, 400, "invalid_parameter", "date"),
    ({"date": "tomorrow"}, 400, "invalid_parameter", "date"),
    ({"time": "8h"}, 400, "invalid_parameter", "time"),
    ({"time": "99:99"}, 400, "invalid_parameter", "time"),
    ({"max_transfers": "-1"}, 400, "invalid_parameter", "max_transfers"),
    ({"max_transfers": "9"}, 422, "limit_exceeded", "max_transfers"),        # server limit 8
    ({"max_transfers": "x"}, 400, "invalid_parameter", "max_transfers"),
    ({"mode": "car"}, 400, "invalid_parameter", "mode"),
    ({"from": "91,2"}, 400, "invalid_parameter", "from"),
    ({"from": "47.2,181"}, 400, "invalid_parameter", "from"),
    ({"from": "0.0,0.0"}, 400, "invalid_parameter", None),                    # off the street network
    ({"from": ""}, 400, "invalid_parameter", "from"),
    ({"max_access_s": "99999"}, 400, "invalid_parameter", "max_access_s"),
])
def test_plan_bad_input_is_a_4xx(client, demo, params, status, code, parameter):
    base = {"from": demo["origin"], "to": demo["destination"], "date": demo["date"], "time": demo["time"]}
    r = client.get("/v1/plan", params={**base, **params})
    _error(r, status, code, parameter)


def test_plan_requires_from_and_to(client):
    _error(client.get("/v1/plan", params={"to": "x"}), 400, "invalid_parameter", "from")


# ------------------------------------------------------------------ streets
@pytest.mark.parametrize("mode", ["walk", "bike", "car"])
def test_route_street_only(client, demo, mode):
    r = client.get("/v1/route", params={"from": _point(demo["from_point"]), "to": _point(demo["to_point"]),
                                        "mode": mode})
    assert r.status_code == 200, r.text
    body = r.json()
    schemas.RouteResponse.model_validate(body)
    assert body["mode"] == mode and body["distance_m"] > 2000 and body["duration_s"] > 0
    coords = body["geometry"]["coordinates"]
    assert coords[0] == pytest.approx([demo["from_point"][1], demo["from_point"][0]], abs=1e-6)
    assert coords[-1] == pytest.approx([demo["to_point"][1], demo["to_point"][0]], abs=1e-6)


def test_route_speeds_rank_modes(client, demo):
    q = {"from": _point(demo["from_point"]), "to": _point(demo["to_point"])}
    t = {m: client.get("/v1/route", params={**q, "mode": m}).json()["duration_s"] for m in ("walk", "bike", "car")}
    assert t["car"] < t["bike"] < t["walk"]


@pytest.mark.parametrize("params, status", [
    ({"from": "47.2,1.5", "to": "nowhere"}, 400),
    ({"from": "47.2,1.5", "to": "10,10"}, 400),           # no street within reach
    ({"from": "47.2,1.5", "to": "47.21,1.55", "mode": "plane"}, 400),
])
def test_route_bad_input(client, params, status):
    _error(client.get("/v1/route", params=params), status)


def test_network_is_bounded(client):
    full = client.get("/v1/network").json()
    schemas.NetworkResponse.model_validate(full)
    assert full["streets_total"] == len(full["streets"]) > 100
    assert full["transit_total"] == len(full["transit"]) == 14
    assert {line["route"] for line in full["transit"]} >= {"T1", "A"}
    small = client.get("/v1/network", params={"max_segments": 10, "max_lines": 2}).json()
    assert len(small["streets"]) == 10 and len(small["transit"]) == 2
    x0, y0, x1, y1 = full["bbox"]
    corner = client.get("/v1/network", params={"bbox": f"{x0},{y0},{(x0 + x1) / 2},{(y0 + y1) / 2}"}).json()
    assert 0 < corner["streets_total"] < full["streets_total"]
    _error(client.get("/v1/network", params={"bbox": "1,2,3"}), 400, "invalid_parameter", "bbox")
    _error(client.get("/v1/network", params={"bbox": "3,2,1,4"}), 400, "invalid_parameter", "bbox")


# ------------------------------------------------------------------ geocoding
def test_search_returns_geocodejson(client, network):
    r = client.get("/v1/geocode/search", params={"q": "45 rue Victor Hugo Briqueville"})
    assert r.status_code == 200
    body = r.json()
    schemas.GeocodeResponse.model_validate(body)
    assert body["type"] == "FeatureCollection" and body["query"] == "45 rue Victor Hugo Briqueville"
    top = body["features"][0]
    assert top["properties"]["label"] == "45 Rue Victor Hugo 41990 Briqueville"
    assert top["properties"]["type"] == "housenumber" and top["properties"]["housenumber"] == "45"
    ref = network.geocode("45 rue Victor Hugo Briqueville")[0]
    assert top["geometry"]["coordinates"] == pytest.approx([ref.lon, ref.lat])


def test_autocomplete_prefix(client):
    body = client.get("/v1/geocode/autocomplete", params={"q": "victor hu", "limit": 3}).json()
    assert 1 <= len(body["features"]) <= 3
    assert all("victor hugo" in f["properties"]["label"].lower() for f in body["features"])
    full_words = client.get("/v1/geocode/search", params={"q": "victor hu", "limit": 3}).json()
    assert len(full_words["features"]) <= len(body["features"])


def test_search_filters(client):
    stops = client.get("/v1/geocode/search", params={"q": "bellevue", "type": "stop"}).json()["features"]
    assert stops and all(f["properties"]["type"] == "stop" for f in stops)
    focus = client.get("/v1/geocode/search", params={"q": "rue victor hugo", "lat": 47.1956, "lon": 1.528}).json()
    assert all("distance" in f["properties"] for f in focus["features"])
    _error(client.get("/v1/geocode/search", params={"q": "rue", "type": "planet"}), 400, parameter="types")
    _error(client.get("/v1/geocode/search", params={"q": "rue", "lat": 47.2}), 400, parameter="lon")
    _error(client.get("/v1/geocode/search", params={"q": "rue", "limit": 0}), 400, parameter="limit")
    _error(client.get("/v1/geocode/search", params={"q": ""}), 400, parameter="q")
    _error(client.get("/v1/geocode/search", params={"q": "x" * 300}), 422, "limit_exceeded", "q")  # server: 200
    _error(client.get("/v1/geocode/search", params={"q": "x" * 501}), 400, parameter="q")           # schema: 500
    _error(client.get("/v1/geocode/search", params={"q": "rue", "limit": 51}), 422, "limit_exceeded", "limit")


def test_reverse(client, demo):
    lat, lon = demo["reverse"]
    body = client.get("/v1/geocode/reverse", params={"lat": lat, "lon": lon}).json()
    assert body["query"] is None and len(body["features"]) == 1
    props = body["features"][0]["properties"]
    assert props["label"] == "45 Rue Victor Hugo 41990 Briqueville" and props["distance"] < 10
    _error(client.get("/v1/geocode/reverse", params={"lat": 95, "lon": 1}), 400, parameter="lat")


def test_addok_compatible_endpoints(client, demo):
    r = client.get("/search/", params={"q": "45 rue victor hugo", "limit": 2, "type": "housenumber"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["limit"] == 2 and body["query"] == "45 rue victor hugo"
    assert body["features"][0]["properties"]["type"] == "housenumber"
    lat, lon = demo["reverse"]
    rev = client.get("/reverse/", params={"lat": lat, "lng": lon}).json()     # addok accepts lng
    assert rev["features"][0]["properties"]["housenumber"] == "45"
    # addok autocompletes by default; autocomplete=0 switches it off
    assert client.get("/search/", params={"q": "victor hu"}).json()["features"]
    assert len(client.get("/search/", params={"q": "victor hu", "autocomplete": 0}).json()["features"]) <= \
        len(client.get("/search/", params={"q": "victor hu"}).json()["features"])
    multi = client.get("/search/", params=[("q", "bellevue"), ("type", "stop"), ("type", "street")]).json()
    assert {f["properties"]["type"] for f in multi["features"]} <= {"stop", "street"}
    _error(client.get("/search/"), 400, parameter="q")
    _error(client.get("/reverse/", params={"lat": 47.2}), 400, parameter="lon")


# ------------------------------------------------------------------ stops
def test_stops_near(client):
    body = client.get("/v1/stops/near", params={"lat": 47.2, "lon": 1.55, "radius_m": 300}).json()
    schemas.StopsNearResponse.model_validate(body)
    d = [s["distance_m"] for s in body["stops"]]
    assert d == sorted(d) and all(x <= 300 for x in d) and body["stops"][0]["name"] == "Hôtel de Ville"
    _error(client.get("/v1/stops/near", params={"lat": 47.2, "lon": 1.55, "radius_m": 50_000}), 400,
           parameter="radius_m")
    _error(client.get("/v1/stops/near", params={"lat": 47.2, "lon": 1.55, "limit": 101}), 422,
           "limit_exceeded", "limit")


def test_departures(client, demo, network):
    params = {"stop": demo["origin"], "date": demo["date"], "time": "08:00", "limit": 5}
    body = client.get("/v1/departures", params=params).json()
    schemas.DeparturesResponse.model_validate(body)
    times = [d["departure"] for d in body["departures"]]
    assert len(times) == 5 and times == sorted(times)
    ref = network.departures(demo["origin"], demo["date"], "08:00", limit=5)
    assert times == [d.departure.isoformat() for d in ref]
    _error(client.get("/v1/departures", params={**params, "stop": "nope"}), 404, "unknown_stop")
    _error(client.get("/v1/departures", params={**params, "date": "1999-01-01"}), 422, "out_of_period")
    _error(client.get("/v1/departures", params={**params, "window_s": 10}), 400, parameter="window_s")
    _error(client.get("/v1/departures", params={**params, "window_s": 7 * 3600}), 422, "limit_exceeded", "window_s")
    _error(client.get("/v1/departures", params={**params, "limit": 101}), 422, "limit_exceeded", "limit")


# ------------------------------------------------------------------ HTTP behaviour
def test_request_limits_cors_gzip(client):
    _error(client.get("/v1/geocode/search", params={"q": "a" * 5000}), 414, "uri_too_long")
    _error(client.post("/v1/plan", content=b"x" * 20000), 413, "body_too_large")
    _error(client.post("/v1/plan"), 405, "method_not_allowed")
    _error(client.get("/v1/nothing-here"), 404, "not_found")
    r = client.get("/health", headers={"Origin": "https://app.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    r = client.get("/v1/network", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"


def test_map_page_is_served(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert '<canvas id="map"' in r.text and "/static/app.js" in r.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "/v1/plan" in js.text and "/v1/network" in js.text
    assert "http://" not in js.text and "https://" not in js.text       # no third-party resources


def test_time_budget_answers_503(network, sample_bundle):
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    class Slow:
        """A network whose geocoder is slow (stands in for a pathological query)."""

        def __getattr__(self, name):
            return getattr(network, name)

        def geocode(self, *args, **kwargs):
            import time

            time.sleep(1.0)
            return []

    app = create_app(Settings(bundle=str(sample_bundle), time_budget_s=0.05), network=Slow())
    with TestClient(app) as c:
        _error(c.get("/v1/geocode/search", params={"q": "rue"}), 503, "time_budget_exceeded")


def test_start_warms_the_query_threads_not_the_event_loop(sample_bundle):
    """The lifespan opens the bundle and allocates the per-thread workspaces on the threads that
    run the queries (the event loop's thread never runs one)."""
    import asyncio

    from fastapi.testclient import TestClient

    from server.main import _on_every_thread, create_app
    from server.settings import Settings

    app = create_app(Settings(bundle=str(sample_bundle), max_concurrent_queries=2))
    with TestClient(app) as c:
        assert c.get("/health").status_code == 200
        net, executor = app.state.network, app.state.executor
        assert len(executor._threads) == 2
        warmed = []

        def check():
            warmed.append(getattr(net._runner._local, "ws", None) is not None)

        asyncio.run(_on_every_thread(executor, 2, check))
        assert warmed == [True, True]
        # the event loop's thread (the lifespan's): none allocated there
        assert c.portal.call(lambda: getattr(net._runner._local, "ws", None)) is None


@pytest.fixture(scope="module")
def partial_bundles(tmp_path_factory, sample_paths):
    """Bundles of the sample city that lack components: GTFS only, addresses only, and a
    timetable without a geocoder."""
    import engine
    from engine.bundle.integrity import MANIFEST_DIGEST_KEY
    from engine.bundle.writer import write_bundle

    out = tmp_path_factory.mktemp("partial")
    gtfs = engine.open(engine.build(out / "gtfs-only.bundle", [sample_paths.gtfs]).path)
    # engine.build indexes a feed's stops, so every build has a geocoder: write the GTFS-only
    # bundle again without its geocoder tables
    src = gtfs.bundle
    writer_keys = {"format", "format_version", "created_at", "tables", "files", MANIFEST_DIGEST_KEY}
    no_geocoder = write_bundle(out / "no-geocoder.bundle",
                               {n: src.table(n) for n in src.manifest["tables"] if not n.startswith("geocoder/")},
                               {k: v for k, v in src.manifest.items() if k not in writer_keys | {"geocoder"}})
    return {"gtfs": gtfs, "no-geocoder": engine.open(no_geocoder),
            "geocoder": engine.open(engine.build(out / "geocoder-only.bundle", [],
                                                 addresses=[sample_paths.addresses]).path)}


def test_capability_the_bundle_lacks_is_a_409_named_by_health(partial_bundles, demo):
    """A capability the bundle lacks is a 4xx with a code naming it (never a 5xx or a 501 a
    client could take for a server fault), and /health says what the bundle can answer."""
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    geo = partial_bundles["geocoder"]
    with TestClient(create_app(Settings(bundle=str(geo.bundle.path)), network=geo)) as c:
        assert c.get("/health").json()["capabilities"] == {"timetable": False, "streets": False, "geocoder": True}
        plan = {"from": demo["origin"], "to": demo["destination"], "date": demo["date"], "time": demo["time"]}
        for path, params in [("/v1/plan", plan), ("/v1/plan", {"from": "47.2,1.5", "to": "47.21,1.55"}),
                             ("/v1/departures", {"stop": demo["origin"]}),
                             ("/v1/stops/near", {"lat": 47.2, "lon": 1.55})]:
            err = _error(c.get(path, params=params), 409, "no_timetable")
            assert "/health" in err["message"]
        _error(c.get("/v1/plan", params={"from": "x"}), 409, "no_timetable")       # before parameter checks
        _error(c.get("/v1/route", params={"from": "47.2,1.5", "to": "47.21,1.55"}), 409, "no_streets")
        assert c.get("/v1/geocode/search", params={"q": "victor hugo"}).json()["features"]
        assert c.get("/v1/meta").json()["components"]["timetable"] is False

    gtfs = partial_bundles["gtfs"]
    with TestClient(create_app(Settings(bundle=str(gtfs.bundle.path)), network=gtfs)) as c:
        caps = c.get("/health").json()["capabilities"]
        assert caps["timetable"] is True and caps["streets"] is False
        _error(c.get("/v1/route", params={"from": "47.2,1.5", "to": "47.21,1.55"}), 409, "no_streets")
        assert c.get("/v1/plan", params=plan).status_code == 200
        assert c.get("/v1/network").status_code == 200
        assert caps["geocoder"] is True                       # the feed's stops are indexed
        assert c.get("/v1/geocode/search", params={"q": "gare"}).json()["features"]

    no_geocoder = partial_bundles["no-geocoder"]
    with TestClient(create_app(Settings(bundle=str(no_geocoder.bundle.path)), network=no_geocoder)) as c:
        assert c.get("/health").json()["capabilities"] == {"timetable": True, "streets": False, "geocoder": False}
        _error(c.get("/v1/geocode/search", params={"q": "rue"}), 409, "no_geocoder")
        _error(c.get("/v1/geocode/reverse", params={"lat": 47.2, "lon": 1.55}), 409, "no_geocoder")
        _error(c.get("/search/", params={"q": "rue"}), 409, "no_geocoder")
        assert c.get("/v1/plan", params=plan).status_code == 200


def test_error_bodies_carry_no_path_or_traceback(network, sample_bundle):
    """A damaged bundle or a bug answers a 5xx whose body names no file and shows no traceback;
    the details go to the server log."""
    from fastapi.testclient import TestClient

    from engine.errors import BundleError
    from server.main import create_app
    from server.settings import Settings

    where = str(sample_bundle / "timetable" / "stops.arrow")

    class Broken:
        def __getattr__(self, name):
            return getattr(network, name)

        def geocode(self, *args, **kwargs):
            raise BundleError(f"bundle file {where} is corrupt: column 'lat' row 3: NaN")

        def reverse(self, *args, **kwargs):
            raise RuntimeError(f"bug reading {where}")

    with TestClient(create_app(Settings(bundle=str(sample_bundle)), network=Broken()),
                    raise_server_exceptions=False) as c:
        for r in (c.get("/v1/geocode/search", params={"q": "rue"}),
                  c.get("/v1/geocode/reverse", params={"lat": 47.2, "lon": 1.55})):
            assert r.status_code == 500 and r.headers["content-type"].startswith("application/json")
            assert set(r.json()["error"]) >= {"code", "message"}
            assert str(sample_bundle) not in r.text and "stops.arrow" not in r.text
            assert "Traceback" not in r.text and 'File "' not in r.text
        # an engine message naming a path (e.g. an unknown stop id that looks like one) is scrubbed too
        r = c.get("/v1/departures", params={"stop": where})
        assert r.status_code == 404 and str(sample_bundle) not in r.text


def test_the_test_client_uses_the_supported_http_client():
    """starlette.testclient over plain httpx is deprecated (and will break): httpx2 is installed
    (test extra), so importing the test client warns no more."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-W", "error", "-c", "import fastapi.testclient, httpx2"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
