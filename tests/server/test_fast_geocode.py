"""FastGeocode (server/routes/geocode.py): plain geocode requests answered without FastAPI's
layers must get exactly the route's answer, headers included (CORS, gzip), and anything the
route would reject must still reach the route."""
from __future__ import annotations

import pytest

from server.routes import geocode as G

QUERIES = [("/v1/geocode/autocomplete", {"q": "victor hu", "limit": "3"}),
           ("/v1/geocode/autocomplete", {"q": "rue"}),
           ("/v1/geocode/search", {"q": "victor hugo", "limit": "20"}),
           ("/v1/geocode/autocomplete", {"q": "gare", "lat": "48.58", "lon": "7.75"})]
# client header sets: plain, browser on another origin, gzip
HEADERS = [{}, {"Origin": "https://example.org"}, {"Accept-Encoding": "gzip"},
           {"Origin": "https://example.org", "Accept-Encoding": "gzip, br"}]
COMPARED = ("content-type", "content-encoding", "vary", "access-control-allow-origin")


@pytest.fixture()
def calls(monkeypatch):
    """Counts the requests FastGeocode answered itself."""
    seen = []
    original = G.FastGeocode._headers

    def counting(self, scope, body):
        seen.append(scope["path"])
        return original(self, scope, body)

    monkeypatch.setattr(G.FastGeocode, "_headers", counting)
    return seen


def _raw(client, path, params, headers):
    """(status, compared headers, body: the client decompresses a gzip one)."""
    r = client.get(path, params=params, headers={"Accept-Encoding": "identity", **headers})
    assert int(r.headers["content-length"]) == r.num_bytes_downloaded
    return r.status_code, {k: r.headers.get(k) for k in COMPARED}, r.content


@pytest.mark.parametrize("path, params", QUERIES)
@pytest.mark.parametrize("headers", HEADERS)
def test_the_fast_path_answers_as_the_route(client, calls, path, params, headers):
    fast = _raw(client, path, params, headers)
    assert calls == [path]
    # a leading zero in limit is valid for the route and not plain for the fast path
    routed = _raw(client, path, {**params, "limit": "0" + params.get("limit", "5")}, headers)
    assert calls == [path]
    assert fast[0] == routed[0] == 200
    assert fast[1] == routed[1]
    assert fast[2] == routed[2]


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "rue", "limit": "0"}, {"q": "rue", "limit": "1000"},
                                    {"q": "rue", "lat": "48.5"}, {"q": "rue", "lat": "91", "lon": "7"},
                                    {"q": "x" * 600}, {"q": "rue", "type": "street"},
                                    {"q": "rue", "limit": "abc"}])
def test_other_requests_reach_the_route(client, calls, params):
    r = client.get("/v1/geocode/autocomplete", params=params)
    assert calls == []
    assert r.status_code in (200, 400, 422)
    assert (r.status_code == 200) == ("type" in params), params     # only the type filter is valid
    if r.status_code != 200:
        assert r.json()["error"]["status"] == r.status_code


def test_repeated_parameters_reach_the_route(client, calls):
    r = client.get("/v1/geocode/autocomplete?q=rue&q=gare")
    assert calls == [] and r.status_code == 200


def test_the_inline_call_gives_the_same_answer(client, calls, app):
    params = {"q": "victor hu", "limit": "3"}
    threaded = client.get("/v1/geocode/autocomplete", params=params).content
    fast = app.middleware_stack
    while not isinstance(fast, G.FastGeocode):
        fast = fast.app
    assert not fast.inline          # the default: on the query threads, within the time budget
    fast.inline = True
    try:
        inline = client.get("/v1/geocode/autocomplete", params=params).content
    finally:
        fast.inline = False
    assert calls == ["/v1/geocode/autocomplete"] * 2
    assert inline == threaded


def test_a_large_answer_is_compressed_when_the_client_accepts_gzip(client, calls):
    params = {"q": "rue", "limit": "20"}
    r = client.get("/v1/geocode/autocomplete", params=params, headers={"Accept-Encoding": "gzip"})
    assert calls == ["/v1/geocode/autocomplete"]
    assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "Accept-Encoding, Origin"
    assert r.num_bytes_downloaded < len(r.content) and len(r.json()["features"]) > 5


def test_past_the_time_budget_the_fast_path_answers_as_the_route(network, sample_bundle, calls):
    import time

    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    class Slow:
        """The test network, with a geocode slower than the budget."""

        def __getattr__(self, name):
            return getattr(network, name)

        def geocode(self, *args, **kwargs):
            time.sleep(0.5)
            return []

    app = create_app(Settings(bundle=str(sample_bundle), time_budget_s=0.05), network=Slow())
    with TestClient(app) as c:
        fast = c.get("/v1/geocode/autocomplete", params={"q": "rue"})
        routed = c.get("/v1/geocode/autocomplete", params={"q": "rue", "limit": "05"})
    assert calls == []                    # the fast path answered no 200
    assert fast.status_code == routed.status_code == 503
    assert fast.json() == routed.json()
    assert fast.json()["error"]["code"] == "time_budget_exceeded"
