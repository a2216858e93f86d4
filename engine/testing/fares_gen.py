"""Add realistic GTFS fare files to a copy of a real feed that has none (tests and benchmarks).

Why: no shared feed carries fares v2, and the v1 feeds that exist each exercise one part of the
spec. ``add_fares(src, out, version)`` writes ``out``: every member of ``src`` byte for byte,
stops.txt with a ``zone_id`` (v1), and the fare files. Deterministic for a given ``seed``.

Zones / areas: stops by straight-line distance from the stops' median point: the nearest third
is zone ``Z1`` (area ``centre``), the next ``Z2``, the rest ``Z3`` (areas: Z2 and Z3 = ``suburbs``).

v1 (fare_attributes.txt, fare_rules.txt):
- ``centre``: 1.50 EUR, contains_id Z1 (rides wholly in the centre), 1 transfer within 1800 s;
- ``od_Zi_Zj`` for each zone pair: 1.70 + 0.60 x |i - j| EUR, origin Zi / destination Zj, any
  number of transfers within 5400 s, on every route but the express ones (route_id rows);
- ``express``: 3.00 EUR on two routes chosen with ``seed`` (route_id rows), no transfer.
v2 (fare_media, rider_categories, fare_products, networks + route_networks, areas + stop_areas,
timeframes, fare_leg_rules, fare_transfer_rules):
- networks ``tram`` (route_type 0) and ``bus`` (the rest);
- timeframes ``peak`` (07:00-09:00, 16:30-18:30) and ``offpeak`` (the rest of the day) on every
  service of calendar.txt / calendar_dates.txt;
- products (adult = default rider; on the "card" medium, the cheapest): tram_single 1.70,
  tram_peak 2.30, bus_single 1.80, suburb_single 2.60 (any rider, any medium), upgrade 0.50,
  combo 3.00; on "paper" tram_single 2.00, tram_peak 2.60, bus_single 2.10, combo 3.40 and no
  upgrade nor discount (card only: transfer rules selling them do not apply with paper); for
  the ``youth`` category tram_single 1.00, tram_peak 1.20, bus_single 0.90 (paper), combo
  1.50 (card), suburb_single as everyone, and no upgrade nor discount;
- leg rules (no rule_priority: an empty field matches only values no other row names, the
  reference's inverse match): group ``tram``: tram x peak -> tram_peak, tram x offpeak ->
  tram_single, each twice (to_area empty, and to_area ``suburbs``, since an empty to_area does
  not match suburban stops once a row names that area); group ``bus``: bus to a ``suburbs``
  stop -> suburb_single, bus with empty to_area -> bus_single;
- transfer rules, one per fare_transfer_type: tram -> tram free (type 0, transfer_count 1,
  3600 s departure-to-departure), bus -> bus free (type 0, count -1, 5400 s departure-to-
  arrival), bus -> tram + upgrade (type 1, 3600 s arrival-to-departure), tram -> bus = combo
  (type 2, no limit).
v2-simple (the common shapes, "transfers within a time" and discounts): the same products and
leg rules; no transfer_count: tram -> tram free (type 0) within 3600 s departure-to-departure,
bus -> bus free within 5400 s departure-to-arrival, bus -> tram with a discount of -0.50
(type 1: both tickets and the discount) within 2700 s arrival-to-departure, tram -> bus for the
upgrade (type 0) within 3600 s arrival-to-arrival.
v2-priority (rule_priority and discounts): leg rules with priorities: a tram ride from and to the
centre (priority 2) -> tram_short 1.20; any tram (1) -> tram_single; a bus from the suburbs to
the suburbs (1) -> night_owl, a product with no price for the default rider (such legs have no
fare); any bus (0) -> bus_single. Transfers: tram -> tram a discount of -0.40 (type 1, at most
2 transfers, 3600 s departure-to-departure); bus -> bus free (type 0, count -1, 5400 s
departure-to-arrival); tram -> bus = combo (type 2, no limit).
v2-join (effective fare legs, fare_leg_join_rules.txt): v2's products and leg rules; a change of
tram at one station is the same tram leg (join rules tram -> tram: with empty stops, and, for
feeds without parent stations, one row per pair of stops that share a stop_name); the tram ->
tram transfer rule is gone (a change of tram elsewhere pays again); the other transfer rules as v2.
"""
from __future__ import annotations

import csv
import io
import math
import random
import zipfile
from os import PathLike
from pathlib import Path

from ..sample._zip import csv_bytes

FARE_FILES = ("fare_attributes.txt", "fare_rules.txt", "fare_media.txt", "fare_products.txt", "fare_leg_rules.txt",
              "fare_transfer_rules.txt", "networks.txt", "route_networks.txt", "areas.txt", "stop_areas.txt",
              "timeframes.txt", "rider_categories.txt", "fare_leg_join_rules.txt")
PEAK = (("07:00:00", "09:00:00"), ("16:30:00", "18:30:00"))
OFFPEAK = (("00:00:00", "07:00:00"), ("09:00:00", "16:30:00"), ("18:30:00", "24:00:00"))


def _read(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    member = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == name), None)
    if member is None:
        return []
    text = zf.read(member).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def stop_zones(stops: list[dict[str, str]]) -> dict[str, int]:
    """stop_id -> zone number 1..3 (distance rings around the median stop, thirds of the stops)."""
    pts = [(s["stop_id"], float(s["stop_lat"]), float(s["stop_lon"])) for s in stops
           if s.get("stop_lat") and s.get("stop_lon")]
    if not pts:
        return {}
    lat0 = sorted(p[1] for p in pts)[len(pts) // 2]
    lon0 = sorted(p[2] for p in pts)[len(pts) // 2]
    k = math.cos(math.radians(lat0))
    dist = sorted(((p[1] - lat0) ** 2 + ((p[2] - lon0) * k) ** 2, p[0]) for p in pts)
    return {sid: 1 + min(2, 3 * i // len(dist)) for i, (_, sid) in enumerate(dist)}


VERSIONS = ("v1", "v2", "v2-simple", "v2-priority", "v2-join")


def add_fares(src_zip: str | PathLike, out_zip: str | PathLike, version: str = "v1", seed: int = 0) -> Path:
    """Write ``out_zip``: ``src_zip`` plus fare files of ``version`` (VERSIONS); see the module
    docstring for what they say. Raises ValueError if the source already has fare files."""
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {', '.join(VERSIONS)}, not {version!r}")
    rng = random.Random(seed)
    out_zip = Path(out_zip)
    with zipfile.ZipFile(src_zip) as zf:
        names = {n.rsplit("/", 1)[-1]: n for n in zf.namelist() if not n.endswith("/")}
        if any(f in names for f in FARE_FILES):
            raise ValueError(f"{src_zip} already has fare files")
        stops = _read(zf, "stops.txt")
        routes = _read(zf, "routes.txt")
        zones = stop_zones(stops)
        services = sorted({r["service_id"] for r in _read(zf, "calendar.txt")}
                          | {r["service_id"] for r in _read(zf, "calendar_dates.txt")})
        files: dict[str, bytes] = {}
        if version == "v1":
            header = list(stops[0].keys()) if stops else ["stop_id"]
            if "zone_id" not in header:
                header.append("zone_id")
            for s in stops:
                s["zone_id"] = f"Z{zones[s['stop_id']]}" if s["stop_id"] in zones else ""
            files["stops.txt"] = csv_bytes(header, [[s.get(h, "") for h in header] for s in stops])
            files.update(_v1_files(routes, rng))
        else:
            files.update(_v2_files(stops, routes, zones, services, version))
        with zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as out:
            for base, member in sorted(names.items()):
                out.writestr(base, files.pop(base) if base in files else zf.read(member))
            for base, data in sorted(files.items()):
                out.writestr(base, data)
    return out_zip


def _v1_files(routes: list[dict[str, str]], rng: random.Random) -> dict[str, bytes]:
    route_ids = sorted(r["route_id"] for r in routes)
    express = sorted(rng.sample(route_ids, min(2, len(route_ids))))
    others = [r for r in route_ids if r not in express]
    attrs = [["centre", "1.50", "EUR", "0", "1", "1800"], ["express", "3.00", "EUR", "0", "0", ""]]
    rules = [["centre", "", "", "", "Z1"]] + [["express", r, "", "", ""] for r in express]
    for i in (1, 2, 3):
        for j in (1, 2, 3):
            fid = f"od_Z{i}_Z{j}"
            attrs.append([fid, f"{1.70 + 0.60 * abs(i - j):.2f}", "EUR", "1", "", "5400"])
            rules.append([fid, "", f"Z{i}", f"Z{j}", ""])
            rules += [[fid, r, "", "", ""] for r in others]
    return {
        "fare_attributes.txt": csv_bytes(["fare_id", "price", "currency_type", "payment_method", "transfers",
                                     "transfer_duration"], attrs),
        "fare_rules.txt": csv_bytes(["fare_id", "route_id", "origin_id", "destination_id", "contains_id"], rules),
    }


def _v2_files(stops, routes, zones: dict[str, int], services: list[str], version: str = "v2") -> dict[str, bytes]:
    networks = [["tram", "Tramway"], ["bus", "Bus"]]
    route_networks = [["tram" if r.get("route_type") == "0" else "bus", r["route_id"]] for r in routes]
    areas = [["centre", "Centre"], ["suburbs", "Suburbs"]]
    stop_areas = [["centre" if zones[s["stop_id"]] == 1 else "suburbs", s["stop_id"]]
                  for s in stops if s["stop_id"] in zones]
    timeframes = [[group, a, b, svc] for svc in services
                  for group, spans in (("peak", PEAK), ("offpeak", OFFPEAK)) for a, b in spans]
    products = [
        ["tram_single", "Tram ticket", "adult", "card", "1.70", "EUR"],
        ["tram_single", "Tram ticket", "adult", "paper", "2.00", "EUR"],
        ["tram_single", "Tram ticket", "youth", "card", "1.00", "EUR"],
        ["tram_peak", "Tram ticket (peak)", "adult", "card", "2.30", "EUR"],
        ["tram_peak", "Tram ticket (peak)", "adult", "paper", "2.60", "EUR"],
        ["tram_peak", "Tram ticket (peak)", "youth", "card", "1.20", "EUR"],
        ["bus_single", "Bus ticket", "adult", "card", "1.80", "EUR"],
        ["bus_single", "Bus ticket", "adult", "paper", "2.10", "EUR"],
        ["bus_single", "Bus ticket", "youth", "paper", "0.90", "EUR"],
        ["suburb_single", "Suburban bus ticket", "", "", "2.60", "EUR"],
        ["upgrade", "Bus to tram upgrade", "adult", "card", "0.50", "EUR"],
        ["combo", "Tram + bus combo", "adult", "card", "3.00", "EUR"],
        ["combo", "Tram + bus combo", "adult", "paper", "3.40", "EUR"],
        ["combo", "Tram + bus combo", "youth", "card", "1.50", "EUR"],
    ]
    leg_rules = [
        ["tram", "tram", "", "", "peak", "", "tram_peak"],
        ["tram", "tram", "", "", "offpeak", "", "tram_single"],
        ["tram", "tram", "", "suburbs", "peak", "", "tram_peak"],
        ["tram", "tram", "", "suburbs", "offpeak", "", "tram_single"],
        ["bus", "bus", "", "suburbs", "", "", "suburb_single"],
        ["bus", "bus", "", "", "", "", "bus_single"],
    ]
    transfer_rules = [
        ["tram", "tram", "1", "3600", "1", "0", ""],
        ["bus", "bus", "-1", "5400", "0", "0", ""],
        ["bus", "tram", "", "3600", "2", "1", "upgrade"],
        ["tram", "bus", "", "", "", "2", "combo"],
    ]
    priority_header = []
    if version == "v2-simple":
        products += [["bus_tram_discount", "Bus to tram discount", "adult", "card", "-0.50", "EUR"]]
        transfer_rules = [
            ["tram", "tram", "-1", "3600", "1", "0", ""],
            ["bus", "bus", "-1", "5400", "0", "0", ""],
            ["bus", "tram", "", "2700", "2", "1", "bus_tram_discount"],
            ["tram", "bus", "", "3600", "3", "0", "upgrade"],
        ]
    elif version == "v2-priority":
        products += [["tram_short", "Tram ticket (centre)", "adult", "card", "1.20", "EUR"],
                     ["night_owl", "Suburban night bus", "youth", "card", "1.00", "EUR"],
                     ["tram_discount", "Tram to tram discount", "adult", "card", "-0.40", "EUR"]]
        priority_header = ["rule_priority"]
        leg_rules = [
            ["tram", "tram", "centre", "centre", "", "", "tram_short", "2"],
            ["tram", "tram", "", "", "", "", "tram_single", "1"],
            ["bus", "bus", "suburbs", "suburbs", "", "", "night_owl", "1"],
            ["bus", "bus", "", "", "", "", "bus_single", "0"],
        ]
        transfer_rules = [
            ["tram", "tram", "2", "3600", "1", "1", "tram_discount"],
            ["bus", "bus", "-1", "5400", "0", "0", ""],
            ["tram", "bus", "", "", "", "2", "combo"],
        ]
    extra = {}
    if version == "v2-join":
        transfer_rules = [r for r in transfer_rules if r[:2] != ["tram", "tram"]]
        joins = [["tram", "tram", "", ""]]
        by_name: dict[str, list[str]] = {}
        for st in stops:
            if st.get("location_type", "") in ("", "0") and not st.get("parent_station"):
                by_name.setdefault(st.get("stop_name", ""), []).append(st["stop_id"])
        for name, ids in sorted(by_name.items()):
            if name:
                joins += [["tram", "tram", a, b] for a in ids for b in ids if a != b]
        extra["fare_leg_join_rules.txt"] = csv_bytes(["from_network_id", "to_network_id", "from_stop_id",
                                                      "to_stop_id"], joins)
    return extra | {
        "fare_media.txt": csv_bytes(["fare_media_id", "fare_media_name", "fare_media_type"],
                               [["card", "Badgeo card", "2"], ["paper", "Paper ticket", "1"]]),
        "rider_categories.txt": csv_bytes(["rider_category_id", "rider_category_name", "is_default_fare_category"],
                                     [["adult", "Adult", "1"], ["youth", "Youth", "0"]]),
        "fare_products.txt": csv_bytes(["fare_product_id", "fare_product_name", "rider_category_id", "fare_media_id",
                                   "amount", "currency"], products),
        "networks.txt": csv_bytes(["network_id", "network_name"], networks),
        "route_networks.txt": csv_bytes(["network_id", "route_id"], route_networks),
        "areas.txt": csv_bytes(["area_id", "area_name"], areas),
        "stop_areas.txt": csv_bytes(["area_id", "stop_id"], stop_areas),
        "timeframes.txt": csv_bytes(["timeframe_group_id", "start_time", "end_time", "service_id"], timeframes),
        "fare_leg_rules.txt": csv_bytes(["leg_group_id", "network_id", "from_area_id", "to_area_id",
                                    "from_timeframe_group_id", "to_timeframe_group_id", "fare_product_id"]
                                   + priority_header, leg_rules),
        "fare_transfer_rules.txt": csv_bytes(["from_leg_group_id", "to_leg_group_id", "transfer_count", "duration_limit",
                                         "duration_limit_type", "fare_transfer_type", "fare_product_id"],
                                        transfer_rules),
    }
