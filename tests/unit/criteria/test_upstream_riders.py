"""Fares v2: a boarding that a rider of the same vehicle boarded upstream covers is dropped
(_v2_upstream_covers in engine/_mcraptor.pyx), only when the two rides price alike at every stop
down the pattern. Each feed below has one vehicle boarded at X by a traveller who came by bus
(rider A) and at Y, downstream, by one who came by another bus for the same price (rider B),
and an express bus, faster and dearer, that the two-criteria search answers with: the fare
search's bounds then keep both riders. Where a condition of the rule tells the two rides apart (the stop's area, the
departure's timeframe, a transfer limit that ends between the two departures, a limit measured
from the departure that ends before B's next ride), B's journey is the cheaper one and must be
in the answer: without that condition the rule would drop it. Where nothing tells them apart,
the rule must fire and the answer stay the same. The answers are checked by hand and against
the search without the rule (McPlanner.upstream_riders False).
"""
from __future__ import annotations

import zipfile

import pytest

from engine.sample._zip import csv_bytes

FARE = ("arrival", "transfers", "fare")
DATE = "2026-03-02"

#: O -> X and O -> Y by bus, both for 0.40; the tram leaves X at 08:00 and Y at 08:10; the
#: express (3.00) reaches Z at 08:05
TWO_BUSES_THEN_TRAM = """
route E type=3
  O      Z
  07:45  08:05
route B0 type=3
  O      X
  07:40  07:50
route B1 type=3
  O      Y
  07:40  07:50
route T type=0
  X      Y      Z
  08:00  08:10  08:20
"""

PRODUCTS = [["bus", "Bus", "0.40", "EUR"], ["tram", "Tram", "1.00", "EUR"], ["tram_dear", "Tram (far)", "2.00", "EUR"],
            ["tram_short", "Tram (centre)", "1.20", "EUR"], ["tram_peak", "Tram (peak)", "2.30", "EUR"],
            ["fee", "Transfer fee", "0.50", "EUR"], ["express", "Express bus", "3.00", "EUR"]]


def _fares(routes: dict[str, str], leg_rules: list[list[str]], transfer_rules: list[list[str]] = (),
           areas: dict[str, str] | None = None, timeframes: list[list[str]] = ()) -> dict[str, bytes]:
    """Fares v2 files: ``routes`` route_id -> network_id; leg rules (leg_group_id, network_id,
    from_area_id, to_area_id, from_timeframe_group_id, fare_product_id, rule_priority);
    transfer rules (from, to leg group, transfer_count, duration_limit, duration_limit_type,
    fare_transfer_type, fare_product_id); ``areas`` stop_id -> area_id."""
    files = {
        "fare_products.txt": csv_bytes(["fare_product_id", "fare_product_name", "amount", "currency"], PRODUCTS),
        "networks.txt": csv_bytes(["network_id", "network_name"], [[n, n] for n in sorted(set(routes.values()))]),
        "route_networks.txt": csv_bytes(["network_id", "route_id"], [[n, r] for r, n in routes.items()]),
        "fare_leg_rules.txt": csv_bytes(["leg_group_id", "network_id", "from_area_id", "to_area_id",
                                         "from_timeframe_group_id", "fare_product_id", "rule_priority"], leg_rules),
    }
    if transfer_rules:
        files["fare_transfer_rules.txt"] = csv_bytes(
            ["from_leg_group_id", "to_leg_group_id", "transfer_count", "duration_limit", "duration_limit_type",
             "fare_transfer_type", "fare_product_id"], transfer_rules)
    if areas:
        files["areas.txt"] = csv_bytes(["area_id", "area_name"], [[a, a] for a in sorted(set(areas.values()))])
        files["stop_areas.txt"] = csv_bytes(["area_id", "stop_id"], [[a, s] for s, a in areas.items()])
    if timeframes:
        files["timeframes.txt"] = csv_bytes(["timeframe_group_id", "start_time", "end_time", "service_id"],
                                            list(timeframes))
    return files


def _plan(tmp_path, text: str, fares: dict[str, bytes], origin: str, target: str, time: str,
          monkeypatch, within: int | None = 3300) -> tuple[list[tuple], int]:
    """The fare plan's (arrival, vehicles, fare) and how many boardings the rule dropped; the same
    plan without the rule must give the same answer. ``within`` (max_duration_s): 55 min, one
    search (no pass of fares v2 before it, McPlanner._by_horizons: a later pass, given the first
    one's journeys, may find what the first one lost, and hide it)."""
    import engine
    from engine.criteria.mcraptor import McPlanner
    from engine.testing import feed_from_text

    feed = feed_from_text(tmp_path / "feed.zip", text, date=DATE)
    with zipfile.ZipFile(feed, "a") as z:
        for name, data in fares.items():
            z.writestr(name, data)
    net = engine.open(str(engine.build(tmp_path / "b.bundle", gtfs=[("f", feed)]).path))
    covered = [0]
    run = McPlanner.run

    def counted(self, *args, **kwargs):
        ws = run(self, *args, **kwargs)
        covered[0] += ws.boardings_covered
        return ws

    monkeypatch.setattr(McPlanner, "run", counted)

    def answer():
        plan = net.plan(f"f:{origin}", f"f:{target}", date=DATE, time=time, max_transfers=3, optimize=FARE,
                        max_duration_s=within)
        return sorted((it.arrival.strftime("%H:%M"), it.n_vehicles, fare)
                      for it, fare in zip(plan.itineraries, plan.stats["fare_minor"]))

    got = answer()
    monkeypatch.setattr(McPlanner, "upstream_riders", False)
    assert answer() == got
    return got, covered[0]


BUS_TRAM = {"B0": "bus", "B1": "bus", "B2": "bus", "T": "tram", "E": "express", "E2": "express"}
EXPRESS = ["express", "express", "", "", "", "express", "0"]


def test_a_rider_boarded_in_another_area_does_not_cover(tmp_path, monkeypatch):
    """X is outside the centre, Y and Z in it: a tram ride within the centre costs 1.20, another
    2.00. B (0.40 + 1.20) beats A (0.40 + 2.00)."""
    fares = _fares(BUS_TRAM, [EXPRESS, ["bus", "bus", "", "", "", "bus", "0"], ["tram", "tram", "centre", "centre", "",
                                                                        "tram_short", "2"],
                              ["tram", "tram", "", "", "", "tram_dear", "1"]],
                   areas={"O": "far", "X": "far", "Y": "centre", "Z": "centre"})
    got, _ = _plan(tmp_path, TWO_BUSES_THEN_TRAM, fares, "O", "Z", "07:30:00", monkeypatch)
    assert got == [("08:05", 1, 300), ("08:20", 2, 160)]


def test_a_rider_boarded_in_another_timeframe_does_not_cover(tmp_path, monkeypatch):
    """The peak ends at 08:05: A's tram (08:00) costs 2.30, B's (08:10) 1.00."""
    fares = _fares(BUS_TRAM, [EXPRESS, ["bus", "bus", "", "", "", "bus", "0"], ["tram", "tram", "", "", "peak", "tram_peak", "1"],
                              ["tram", "tram", "", "", "", "tram", "0"]],
                   timeframes=[["peak", "07:00:00", "08:05:00", "DAY"]])
    got, _ = _plan(tmp_path, TWO_BUSES_THEN_TRAM, fares, "O", "Z", "07:30:00", monkeypatch)
    assert got == [("08:05", 1, 300), ("08:20", 2, 140)]


def test_a_transfer_limit_between_the_two_departures_keeps_both(tmp_path, monkeypatch):
    """A transfer fee of 0.50 from bus to tram within 15 min of the bus's arrival: A's tram
    (08:00, 10 min after 07:50) pays it, B's (08:10) does not. A bus-to-bus rule within an hour
    keeps both travellers' last leg in their state, so their states are alike."""
    fares = _fares(BUS_TRAM, [EXPRESS, ["bus", "bus", "", "", "", "bus", "0"], ["tram", "tram", "", "", "", "tram", "0"]],
                   transfer_rules=[["bus", "tram", "", "900", "2", "1", "fee"], ["bus", "bus", "-1", "3600", "2", "0", ""]])
    got, _ = _plan(tmp_path, TWO_BUSES_THEN_TRAM, fares, "O", "Z", "07:30:00", monkeypatch)
    assert got == [("08:05", 1, 300), ("08:20", 2, 140)]


def test_a_limit_from_the_earlier_departure_keeps_the_later_boarding(tmp_path, monkeypatch):
    """Tram then bus free within 30 min departure to departure; the bus leaves Z at 08:35: free
    after B's tram (08:10), paid after A's (08:00)."""
    text = TWO_BUSES_THEN_TRAM + """
route B2 type=3
  Z      D
  08:35  08:45
route E2 type=3
  O      D
  07:45  08:10
"""
    fares = _fares(BUS_TRAM, [EXPRESS, ["bus", "bus", "", "", "", "bus", "0"], ["tram", "tram", "", "", "", "tram", "0"]],
                   transfer_rules=[["tram", "bus", "", "1800", "1", "0", ""]])
    got, _ = _plan(tmp_path, text, fares, "O", "D", "07:30:00", monkeypatch, within=None)
    assert got == [("08:10", 1, 300), ("08:45", 3, 140)]


def test_a_rider_that_prices_alike_covers_the_later_boarding(tmp_path, monkeypatch):
    """Nothing tells the two rides apart: B's boarding is dropped, the answer is A's fare."""
    fares = _fares(BUS_TRAM, [EXPRESS, ["bus", "bus", "", "", "", "bus", "0"], ["tram", "tram", "", "", "", "tram", "0"]])
    got, covered = _plan(tmp_path, TWO_BUSES_THEN_TRAM, fares, "O", "Z", "07:30:00", monkeypatch)
    assert got == [("08:05", 1, 300), ("08:20", 2, 140)]
    assert covered > 0
