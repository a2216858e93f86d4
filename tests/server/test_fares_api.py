"""Fares over HTTP and in the CLI: the server serialises the engine's Fare (no pricing of its
own), the CLI's plan text and --json say it; on the sample city with generated v2 fares."""
from __future__ import annotations

import contextlib
import json

import pytest

import engine
from engine.cli import main
from engine.errors import InvalidQueryError
from engine.sample import DEMO
from engine.testing.fares_gen import add_fares


@pytest.fixture(scope="module")
def fares_bundle(sample_paths, tmp_path_factory):
    out = tmp_path_factory.mktemp("fares_api")
    z = add_fares(sample_paths.gtfs, out / "v2.zip", "v2")
    return engine.build(out / "v2.bundle", gtfs=[("briqueville", z)]).path


@pytest.fixture(scope="module")
def fares_client(fares_bundle):
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    net = engine.open(fares_bundle)
    with TestClient(create_app(Settings(bundle=str(fares_bundle)), network=net), raise_server_exceptions=False) as c:
        yield c, net


def test_http_plan_carries_the_engine_fare(fares_client):
    client, net = fares_client
    r = client.get("/v1/plan", params={"from": DEMO["origin"], "to": DEMO["destination"], "date": DEMO["date"],
                                       "time": "08:00"})
    assert r.status_code == 200
    body = r.json()
    want = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00")
    assert [it["fare"] for it in body["itineraries"]] == [it.fare.to_dict() for it in want.itineraries]
    fare = body["itineraries"][0]["fare"]
    assert set(fare) == {"amount", "currency", "products", "known", "version", "reason", "amount_minor",
                         "minor_digits", "rider_category", "fare_medium"}
    assert fare["rider_category"] == "adult" and fare["fare_medium"] is None   # the default; the cheapest
    assert fare["known"] and fare["version"] == "v2" and fare["currency"] == "EUR"
    assert all(set(p) == {"id", "name", "amount", "currency", "legs"} for p in fare["products"])
    assert all("ride" not in leg for it in body["itineraries"] for leg in it["legs"])


def test_http_fare_is_null_without_fare_data(client, demo):
    r = client.get("/v1/plan", params={"from": demo["origin"], "to": demo["destination"], "date": demo["date"],
                                       "time": "08:00"})
    assert r.status_code == 200 and r.json()["itineraries"]
    assert all(it["fare"] is None for it in r.json()["itineraries"])


def test_cli_plan_prints_the_fare(fares_bundle, capsys):
    net = engine.open(fares_bundle)
    want = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00")
    argv = ["plan", str(fares_bundle), "--from", DEMO["origin"], "--to", DEMO["destination"], "--date", DEMO["date"],
            "--time", "08:00"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert want.itineraries
    for it in want.itineraries:
        assert it.fare.describe() in text
    assert main(argv + ["--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [it["fare"] for it in got["itineraries"]] == [it.fare.to_dict() for it in want.itineraries]


@contextlib.contextmanager
def _demo_on_map_page(serve_app, bundle, net):
    """The map page (headless Chromium) serving ``bundle``, ready, with the demo's date, time,
    start and destination points picked (which plans)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    from server.main import create_app
    from server.settings import Settings

    with serve_app(create_app(Settings(bundle=str(bundle)), network=net)) as address, \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(f"http://{address}/")
            page.wait_for_selector("body[data-ready='1']", timeout=20_000)
            page.fill("#date", DEMO["date"])
            page.fill("#time", DEMO["time"])
            for lat, lon in (DEMO["from_point"], DEMO["to_point"]):
                xy = page.evaluate("([lat, lon]) => window.brique.project(lat, lon)", [lat, lon])
                page.mouse.click(xy["x"], xy["y"])
            yield page
        finally:
            browser.close()


@pytest.mark.skipif(not __import__("pathlib").Path("/usr/bin/chromium").exists(), reason="/usr/bin/chromium absent")
def test_map_page_lists_the_fare(sample_paths, tmp_path, serve_app):
    """The map page's itinerary list shows the price of each itinerary (headless Chromium)."""
    z = add_fares(sample_paths.gtfs, tmp_path / "v1.zip", "v1")
    bundle = engine.build(tmp_path / "v1.bundle", gtfs=[("briqueville", z)], osm=sample_paths.osm).path
    net = engine.open(bundle)
    want = net.plan(DEMO["from_point"], DEMO["to_point"], DEMO["date"], DEMO["time"]).itineraries
    with _demo_on_map_page(serve_app, bundle, net) as page:
        page.wait_for_selector("#itineraries .itinerary .fare", timeout=20_000)
        shown = page.locator("#itineraries .itinerary .fare").all_inner_texts()
    def badge(fare) -> str:
        if not fare.known:
            return " · fare unknown"
        return f" · {fare.describe()}" if fare.currency else " · no fare"
    assert shown == [badge(it.fare) for it in want] and any(it.fare.known and it.fare.currency for it in want)


@pytest.fixture(scope="module")
def fares_v1_bundle(sample_paths, tmp_path_factory):
    out = tmp_path_factory.mktemp("fares_api_v1")
    z = add_fares(sample_paths.gtfs, out / "v1.zip", "v1")
    return engine.build(out / "v1.bundle", gtfs=[("briqueville", z)]).path


def test_http_and_cli_optimize_fare(fares_v1_bundle, capsys):
    """optimize=fare over HTTP and in the CLI gives the engine's Pareto set and fares; a bundle
    without fares v1 is a 4xx naming optimize."""
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    net = engine.open(fares_v1_bundle)
    fare = ("arrival", "transfers", "fare")
    want = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", optimize=fare)
    assert want.itineraries and any(f is not None for f in want.stats["fare_minor"])
    with TestClient(create_app(Settings(bundle=str(fares_v1_bundle)), network=net),
                    raise_server_exceptions=False) as client:
        r = client.get("/v1/plan", params={"from": DEMO["origin"], "to": DEMO["destination"], "date": DEMO["date"],
                                           "time": "08:00", "optimize": "fare"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert [it["fare"] for it in body["itineraries"]] == [it.fare.to_dict() for it in want.itineraries]
        # each itinerary's v1 price is the criterion's value
        assert [it["fare"]["amount_minor"] if it["fare"]["known"] else None
                for it in body["itineraries"]] == want.stats["fare_minor"]
    assert main(["plan", str(fares_v1_bundle), "--from", DEMO["origin"], "--to", DEMO["destination"],
                 "--date", DEMO["date"], "--time", "08:00", "--optimize", "fare", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stats"]["fare_minor"] == want.stats["fare_minor"]


def test_http_optimize_fare_without_fares_is_a_4xx(client, demo):
    r = client.get("/v1/plan", params={"from": demo["origin"], "to": demo["destination"], "date": demo["date"],
                                       "time": "08:00", "optimize": "fare"})
    assert 400 <= r.status_code < 500 and "optimize" in r.text


def test_http_optimize_fare_with_fares_v2(fares_client):
    """optimize=fare on a fares v2 bundle: the Pareto set's fares are the v2 prices its
    itineraries show (HTTP equals the engine)."""
    client, net = fares_client
    fare = ("arrival", "transfers", "fare")
    want = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", optimize=fare)
    assert want.itineraries and any(f is not None for f in want.stats["fare_minor"])
    assert [it.fare.amount_minor if it.fare.known else None for it in want.itineraries] == want.stats["fare_minor"]
    assert all(it.fare.version == "v2" for it in want.itineraries if it.legs)
    r = client.get("/v1/plan", params={"from": DEMO["origin"], "to": DEMO["destination"], "date": DEMO["date"],
                                       "time": "08:00", "optimize": "fare"})
    assert r.status_code == 200, r.text
    assert [it["fare"] for it in r.json()["itineraries"]] == [it.fare.to_dict() for it in want.itineraries]


def test_optimize_fare_refuses_feeds_mixing_v1_and_v2(sample_paths, tmp_path):
    """One feed with fares v1, another with v2: no single fare model prices every journey, so the
    criterion is refused naming optimize (itineraries still show each feed's price)."""
    v1 = add_fares(sample_paths.gtfs, tmp_path / "v1.zip", "v1")
    v2 = add_fares(sample_paths.gtfs, tmp_path / "v2.zip", "v2")
    net = engine.open(engine.build(tmp_path / "mixed.bundle", gtfs=[("one", v1), ("two", v2)]).path)
    stop = net._planner.tt.stop_id(0)
    with pytest.raises(InvalidQueryError, match="mix GTFS fares v1 and v2") as e:
        net.plan(stop, net._planner.tt.stop_id(1), DEMO["date"], "08:00", optimize=("arrival", "transfers", "fare"))
    assert e.value.parameter == "optimize"


@pytest.mark.parametrize("amount", ["400000.00", "9999999999.99"])
@pytest.mark.parametrize("version,member,column", [("v1", "fare_attributes.txt", "price"),
                                                    ("v2", "fare_products.txt", "amount")])
def test_optimize_fare_refuses_amounts_its_sums_cannot_hold(sample_paths, tmp_path, version, member, column, amount):
    """Prices of 400,000.00 or 9,999,999,999.99 EUR are valid bundle values, but the fare
    criterion adds them in int32 minor units below its "unknown" mark (10^9): an amount past
    int32 was a traceback, and 32 amounts of 400,000.00 (16 rides, a product and a transfer's
    each) sum past the mark, a silent wrong answer. The bound is the query's: with the default
    4 transfers (5 rides, 10 amounts) 400,000.00 is searched exactly (each itinerary's price is
    its criterion value), with 15 transfers it is refused naming optimize, as is an amount past
    int32 for any query; a plan without the criterion still prices the itinerary."""
    import csv
    import io
    import zipfile

    from engine.testing.data import feed_with_files

    src = add_fares(sample_paths.gtfs, tmp_path / f"{version}.zip", version)
    with zipfile.ZipFile(src) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read(member).decode())))
    for row in rows:
        row[column] = amount
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    dear = feed_with_files(src, tmp_path / f"{version}-dear.zip", {member: text.getvalue()})
    net = engine.open(engine.build(tmp_path / f"{version}.bundle", gtfs=[("briqueville", dear)]).path)
    plan = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00")
    assert any(it.fare is not None and it.fare.known and it.fare.amount_minor >= 40_000_000
               for it in plan.itineraries)
    fare = ("arrival", "transfers", "fare")
    if amount == "400000.00":
        searched = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", optimize=fare)
        assert searched.itineraries and searched.stats["fare_minor"] == [
            it.fare.amount_minor if it.fare.known else None for it in searched.itineraries]
        assert max(m for m in searched.stats["fare_minor"] if m is not None) >= 40_000_000
    with pytest.raises(InvalidQueryError, match="minor units") as e:
        net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", optimize=fare, max_transfers=15)
    assert e.value.parameter == "optimize"
    if amount != "400000.00":
        with pytest.raises(InvalidQueryError, match="minor units") as e:
            net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", optimize=fare, max_transfers=0)
        assert e.value.parameter == "optimize"


def test_optimize_fare_refuses_join_rules_over_http_and_in_the_cli(sample_paths, tmp_path, capsys):
    """Fares v2 with fare_leg_join_rules.txt ("v2-join"; their prices: tests/realdata): the fare
    criterion, which does not take them yet, is a 400 naming optimize over HTTP and exit 2 in
    the CLI; plain plans and the walking criterion answer, every itinerary priced."""
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    z = add_fares(sample_paths.gtfs, tmp_path / "join.zip", "v2-join")
    bundle = engine.build(tmp_path / "join.bundle", gtfs=[("briqueville", z)]).path
    net = engine.open(bundle)
    query = {"from": DEMO["origin"], "to": DEMO["destination"], "date": DEMO["date"], "time": "08:00"}
    with TestClient(create_app(Settings(bundle=str(bundle)), network=net), raise_server_exceptions=False) as c:
        r = c.get("/v1/plan", params={**query, "optimize": "fare"})
        assert r.status_code == 400 and "fare_leg_join_rules.txt" in r.text and "optimize" in r.text, r.text
        for extra in ({}, {"optimize": "walking"}):
            r = c.get("/v1/plan", params={**query, **extra})
            assert r.status_code == 200 and all(it["fare"]["known"] for it in r.json()["itineraries"]), r.text
    code = main(["plan", str(bundle), "--from", DEMO["origin"], "--to", DEMO["destination"], "--date", DEMO["date"],
                 "--time", "08:00", "--optimize", "fare"])
    assert code == 2 and "fare_leg_join_rules.txt" in capsys.readouterr().err


def _http_fares_and_engine(client, net, rider: str):
    """For two criteria and the fare criterion: (the fares /v1/plan gives for ``rider`` on the
    demo query, the engine's plan for that rider, the engine's plan for the default rider); a
    non-200 answer fails."""
    fare = ("arrival", "transfers", "fare")
    query = {"from": DEMO["origin"], "to": DEMO["destination"], "date": DEMO["date"], "time": "08:00"}
    out = []
    for optimize in (None, "fare"):
        extra = {"optimize": fare} if optimize else {}
        want = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", rider_category=rider, **extra)
        adult = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", **extra)
        r = client.get("/v1/plan", params={**query, **({"optimize": optimize} if optimize else {}),
                                           "rider_category": rider})
        assert r.status_code == 200, r.text
        out.append(([it["fare"] for it in r.json()["itineraries"]], want, adult))
    return out


def test_http_and_cli_rider_category(fares_client, fares_bundle, capsys):
    """rider_category (fares v2) over HTTP and in the CLI is the engine's answer for that
    category (different prices from the default's); the categories are listed; an unknown one
    is a 4xx JSON error naming the parameter, and exit status 2 in the CLI."""
    client, net = fares_client
    r = client.get("/v1/fares/rider_categories")
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["rider_categories"]] == ["adult", "youth"]
    assert [c["is_default"] for c in r.json()["rider_categories"]] == [True, False]
    query = {"from": DEMO["origin"], "to": DEMO["destination"], "date": DEMO["date"], "time": "08:00"}
    for got, want, adult in _http_fares_and_engine(client, net, "youth"):
        assert got == [it.fare.to_dict() for it in want.itineraries] and got
        assert all(f["rider_category"] == "youth" for f in got)
        assert got != [it.fare.to_dict() for it in adult.itineraries]
    r = client.get("/v1/plan", params={**query, "rider_category": "senior"})
    assert r.status_code in (400, 422)
    assert r.json()["error"]["parameter"] == "rider_category"
    # fare media likewise
    r = client.get("/v1/fares/media")
    assert r.status_code == 200 and [m["id"] for m in r.json()["fare_media"]] == ["card", "paper"]
    want = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", fare_media="paper")
    r = client.get("/v1/plan", params={**query, "fare_media": "paper"})
    assert r.status_code == 200 and [it["fare"] for it in r.json()["itineraries"]] == \
        [it.fare.to_dict() for it in want.itineraries]
    assert all(it["fare"]["fare_medium"] == "paper" for it in r.json()["itineraries"])
    r = client.get("/v1/plan", params={**query, "fare_media": "coins"})
    assert r.status_code in (400, 422) and r.json()["error"]["parameter"] == "fare_media"
    argv = ["plan", str(fares_bundle), "--from", DEMO["origin"], "--to", DEMO["destination"], "--date", DEMO["date"],
            "--time", "08:00", "--rider-category", "youth", "--json"]
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    want = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", rider_category="youth")
    assert [it["fare"] for it in got["itineraries"]] == [it.fare.to_dict() for it in want.itineraries]
    assert main(argv[:-2] + ["senior"]) == 2
    assert "rider_category" in capsys.readouterr().err
    assert main(argv[:-3] + ["--fare-media", "paper", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [it["fare"]["fare_medium"] for it in got["itineraries"]] == ["paper"] * len(got["itineraries"])
    assert main(argv[:-3] + ["--fare-media", "coins"]) == 2
    assert "fare_media" in capsys.readouterr().err


def test_rider_category_on_fares_v1_is_refused(fares_v1_bundle):
    """Fares v1 without GTFS+ rider prices know no rider categories: asking for one is an error
    naming the parameter."""
    net = engine.open(fares_v1_bundle)
    assert net.rider_categories() == []
    with pytest.raises(InvalidQueryError) as err:
        net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", rider_category="youth")
    assert err.value.parameter == "rider_category" and "no feed's fares have rider categories" in str(err.value)


def _gtfs_plus(sample_paths, tmp_path):
    """The sample with generated fares v1 and GTFS+ rider prices: category 5 ("Youth") pays half
    of each fare (fare_rider_categories.txt)."""
    import csv
    import io
    import zipfile

    z = add_fares(sample_paths.gtfs, tmp_path / "v1.zip", "v1")
    with zipfile.ZipFile(z) as zf:
        fares = list(csv.DictReader(io.StringIO(zf.read("fare_attributes.txt").decode())))
        members = {n: zf.read(n) for n in zf.namelist()}
    members["rider_categories.txt"] = b"rider_category_id,rider_category_description\n5,Youth\n"
    members["fare_rider_categories.txt"] = ("fare_id,rider_category_id,price\n" + "".join(
        f"{r['fare_id']},5,{float(r['price']) / 2:.2f}\n" for r in fares)).encode()
    out = tmp_path / "gtfs_plus.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def test_http_and_cli_gtfs_plus_rider_category_on_fares_v1(sample_paths, tmp_path, capsys):
    """Fares v1 with GTFS+ rider prices (fare_rider_categories.txt; youth pays half of each
    generated fare): listed at /v1/fares/rider_categories, priced over HTTP and in the CLI as the
    engine prices them (the fare criterion too); fare media refused (4xx, exit 2): v1 has none."""
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    bundle = engine.build(tmp_path / "gtfs_plus.bundle", gtfs=[("briqueville", _gtfs_plus(sample_paths, tmp_path))]).path
    net = engine.open(bundle)
    query = {"from": DEMO["origin"], "to": DEMO["destination"], "date": DEMO["date"], "time": "08:00"}
    with TestClient(create_app(Settings(bundle=str(bundle)), network=net), raise_server_exceptions=False) as client:
        r = client.get("/v1/fares/rider_categories")
        assert r.status_code == 200 and [(c["id"], c["name"]) for c in r.json()["rider_categories"]] == [("5", "Youth")]
        for got, want, adult in _http_fares_and_engine(client, net, "5"):
            assert got == [it.fare.to_dict() for it in want.itineraries] and got
            assert all(f["rider_category"] == "5" and f["version"] == "v1" for f in got)
            assert sum(f["amount_minor"] for f in got if f["known"]) < \
                sum(it.fare.amount_minor for it in adult.itineraries if it.fare.known)
        r = client.get("/v1/plan", params={**query, "fare_media": "card"})
        assert r.status_code in (400, 422) and r.json()["error"]["parameter"] == "fare_media"
    argv = ["plan", str(bundle), "--from", DEMO["origin"], "--to", DEMO["destination"], "--date", DEMO["date"],
            "--time", "08:00", "--rider-category", "5", "--json"]
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    want = net.plan(DEMO["origin"], DEMO["destination"], DEMO["date"], "08:00", rider_category="5")
    assert [it["fare"] for it in got["itineraries"]] == [it.fare.to_dict() for it in want.itineraries]
    assert main(argv[:-3] + ["--fare-media", "card"]) == 2
    assert "fare_media" in capsys.readouterr().err


@pytest.mark.skipif(not __import__("pathlib").Path("/usr/bin/chromium").exists(), reason="/usr/bin/chromium absent")
def test_map_page_prices_for_the_chosen_rider_category(sample_paths, tmp_path, serve_app):
    """The map page offers the bundle's rider categories ("Fares for") and fare media ("Pay
    with") and shows the prices of the ones chosen, planning again when they change (headless
    Chromium)."""
    z = add_fares(sample_paths.gtfs, tmp_path / "v2.zip", "v2")
    bundle = engine.build(tmp_path / "v2.bundle", gtfs=[("briqueville", z)], osm=sample_paths.osm).path
    net = engine.open(bundle)
    choices = ((None, None, "Adult", "the cheapest"), ("youth", None, "Youth", "the cheapest"),
               (None, "paper", "Adult", "Paper ticket"))
    want = {(rider, medium): [f" · {it.fare.describe()}" for it in net.plan(
        DEMO["from_point"], DEMO["to_point"], DEMO["date"], DEMO["time"], rider_category=rider,
        fare_media=medium).itineraries] for rider, medium, _, _ in choices}
    assert len({tuple(v) for v in want.values()}) == 3          # three different answers
    with _demo_on_map_page(serve_app, bundle, net) as page:
        page.wait_for_selector("#rider-field:not([hidden])", timeout=20_000)
        options = page.locator("#rider option").all_inner_texts()
        media = page.locator("#media option").all_inner_texts()
        shown = {}
        for rider, medium, rider_label, medium_label in choices:
            page.select_option("#rider", label=rider_label)
            page.select_option("#media", label=medium_label)
            page.wait_for_function(
                "(want) => JSON.stringify([...document.querySelectorAll('#itineraries .itinerary .fare')]"
                ".map((e) => e.innerText)) === JSON.stringify(want)", arg=want[rider, medium], timeout=20_000)
            shown[rider, medium] = page.locator("#itineraries .itinerary .fare").all_inner_texts()
    assert options == ["Adult", "Youth"] and media == ["the cheapest", "Badgeo card", "Paper ticket"]
    assert shown == want


@pytest.mark.skipif(not __import__("pathlib").Path("/usr/bin/chromium").exists(), reason="/usr/bin/chromium absent")
def test_map_page_offers_gtfs_plus_rider_categories(sample_paths, tmp_path, serve_app):
    """Fares v1 with GTFS+ rider prices: "Fares for" offers the standard fare (no default
    category) and Youth, and shows the engine's price of each; no "Pay with" (v1 has no media)."""
    bundle = engine.build(tmp_path / "gtfs_plus.bundle", gtfs=[("briqueville", _gtfs_plus(sample_paths, tmp_path))],
                          osm=sample_paths.osm).path
    net = engine.open(bundle)
    want = {rider: [f" · {it.fare.describe()}" for it in net.plan(
        DEMO["from_point"], DEMO["to_point"], DEMO["date"], DEMO["time"], rider_category=rider).itineraries]
        for rider in (None, "5")}
    assert want[None] != want["5"] and want["5"]
    with _demo_on_map_page(serve_app, bundle, net) as page:
        page.wait_for_selector("#rider-field:not([hidden])", timeout=20_000)
        options = page.locator("#rider option").all_inner_texts()
        shown = {}
        for rider, label in ((None, "Standard fare"), ("5", "Youth")):
            page.select_option("#rider", label=label)
            page.wait_for_function(
                "(want) => JSON.stringify([...document.querySelectorAll('#itineraries .itinerary .fare')]"
                ".map((e) => e.innerText)) === JSON.stringify(want)", arg=want[rider], timeout=20_000)
            shown[rider] = page.locator("#itineraries .itinerary .fare").all_inner_texts()
        media_hidden = page.locator("#media-field").is_hidden()
    assert options == ["Standard fare", "Youth"] and media_hidden
    assert shown == want
