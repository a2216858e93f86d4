"""End-to-end: the map page in headless Chromium plans a journey from two clicks and draws it.

Drives Debian's /usr/bin/chromium through Playwright (executable_path, no downloaded browser).
Skips with the reason when Chromium or Playwright is absent.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent: run `sudo bash .ci/install-system-deps.sh` (README)"),
]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
    profile = tempfile.mkdtemp(prefix="brique-chromium-")
    try:
        with sync_api.sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=FLAGS,
                viewport={"width": 1200, "height": 800})
            try:
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(live_server + "/")
                page.wait_for_selector("body[data-ready='1']", timeout=20_000)
                page.js_errors = errors
                yield page
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _click_at(page, lat: float, lon: float) -> None:
    xy = page.evaluate("([lat, lon]) => window.brique.project(lat, lon)", [lat, lon])
    page.mouse.click(xy["x"], xy["y"])


def test_click_origin_and_destination_draws_an_itinerary(page, demo):
    state = page.evaluate("() => ({streets: window.brique.state.network.streets.length, "
                          "lines: window.brique.state.network.transit.length})")
    assert state["streets"] > 100 and state["lines"] == 14          # the network is drawn from the bundle
    page.fill("#date", demo["date"])
    page.fill("#time", demo["time"])
    _click_at(page, *demo["from_point"])
    _click_at(page, *demo["to_point"])
    page.wait_for_selector("#itineraries .itinerary", timeout=20_000)
    cards = page.locator("#itineraries .itinerary")
    assert cards.count() >= 1
    first = cards.nth(0).inner_text()
    assert "→" in first and "min" in first
    assert page.locator("#itineraries .itinerary").nth(0).locator(".chip.walk").count() >= 1
    drawn = int(page.get_attribute("#map", "data-drawn-legs"))
    plan = page.evaluate("() => window.brique.state.plan")
    assert drawn == len(plan["itineraries"][0]["legs"]) >= 3        # walk, transit..., walk
    # the legs are really painted: some canvas pixels carry a transit line colour or the walk grey
    painted = page.evaluate("""() => {
        const c = document.getElementById('map'); const g = c.getContext('2d');
        const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 0x39 && d[i+1] === 0x40 && d[i+2] === 0x4d) n++;
        return n; }""")
    assert painted > 50
    # a change inside a station reads "change at X (platform A → B)", not "X → X"
    changes = [leg for leg in plan["itineraries"][0]["legs"]
               if leg["transfer"] and leg["origin"]["name"] == leg["destination"]["name"]]
    assert changes, "the demo journey changes at Hôtel de Ville"
    for leg in changes:
        assert f"change at {leg['origin']['name']} (platform A → B)" in first
        assert f"{leg['origin']['name']} → {leg['destination']['name']}" not in first
    assert not page.js_errors


def test_arrive_within_limits_the_journeys(page, demo):
    """The "Arrive within" select sends max_duration_s: every itinerary shown arrives in time."""
    import datetime as dt

    page.select_option("#within", "3600")
    page.evaluate("() => { window.brique.state.plan = null; }")
    page.click("#plan")
    page.wait_for_function("() => window.brique.state.plan !== null", timeout=20_000)
    plan = page.evaluate("() => window.brique.state.plan")
    page.select_option("#within", "")
    start = dt.datetime.fromisoformat(f"{demo['date']}T{demo['time']}:00+01:00")   # Europe/Paris in March
    assert plan["itineraries"], "the demo pair has journeys within an hour"
    assert all(dt.datetime.fromisoformat(it["arrival"]) <= start + dt.timedelta(hours=1)
               for it in plan["itineraries"])
    assert not page.js_errors


def test_search_box_sets_an_end(page):
    page.click("#clear")
    page.fill("#from", "victor hu")
    page.wait_for_selector("#from-suggest li", timeout=10_000)
    page.keyboard.press("Enter")
    origin = page.evaluate("() => window.brique.state.origin")
    assert origin and "Victor Hugo" in origin["name"]
    assert not page.js_errors
