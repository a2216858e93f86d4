"""GTFS fares v2 files of one feed -> the v2 part of its FeedFares (engine.loaders.gtfs_fares).

BUILD TIME ONLY. Networks (networks.txt, routes.network_id, route_networks.txt which wins),
areas (areas.txt, stop_areas.txt: a station stands for its platforms), rider categories, fare
media, the product prices (every row, by rider category and medium; and the default rider's:
empty rider_category_id or is_default_fare_category=1, the cheapest medium), timeframes, leg
rules, join rules (fare_leg_join_rules.txt) and transfer rules; every bad row skipped or fixed and counted with file,
line and field, as gtfs_fares does for v1. The semantics are engine/fares/v2.py's.
"""
from __future__ import annotations

import numpy as np

from engine._types import MAX_ROUNDS
from engine.loaders.gtfs_csv import CsvTable
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_fares import (
    COLUMNS,
    MAX_TRANSFER_DURATION_S,
    FeedFares,
    Issues,
    checked_price,
    data_rows,
    index_of,
    parse_int,
)
from engine.loaders.gtfs_parse import parse_hms


#: rule_priority past this does not fit the bundle's int32 column: a typo, not an order
MAX_RULE_PRIORITY = (1 << 31) - 1


def load_v2_files(read, out: FeedFares, part, routes: CsvTable | None, route_rows: np.ndarray,
                  route_idx: dict[str, int], diag: Diag) -> None:
    """Fill ``out``'s v2 fields; ``read(file)`` is gtfs_fares' reader (None: absent or unusable)."""
    products = read("fare_products.txt")
    legs = read("fare_leg_rules.txt")
    if products is None or legs is None:     # unusable (a required column missing): counted by read
        return
    n_routes = len(part.routes.ids)
    # networks: networks.txt, routes.network_id, route_networks.txt (which wins)
    net_idx = _named_ids(read("networks.txt"), "network", out.networks)
    route_network = np.full(n_routes, -1, np.int32)
    if routes is not None and routes.has("network_id"):
        for local, nid in zip(route_rows.tolist(), routes.get("network_id").to_pylist()):
            if local >= 0 and nid:
                if nid not in net_idx:
                    net_idx[nid] = len(out.networks)
                    out.networks.append((nid, ""))
                route_network[local] = net_idx[nid]
    rn = read("route_networks.txt")
    if rn is not None:
        issues = Issues(diag, rn)
        for row, r in data_rows(rn, COLUMNS["route_networks.txt"]):
            local = issues.reference(route_idx, r, row, "route_id", "route_networks.unknown_route", "not in routes.txt",
                                     required=True, what="row")
            if local is None:
                continue
            if not r["network_id"]:
                issues.add("route_networks.empty_network", "skipped", row, "network_id",
                           "empty network_id; skipped")
                continue
            if r["network_id"] not in net_idx:
                net_idx[r["network_id"]] = len(out.networks)
                out.networks.append((r["network_id"], ""))
            route_network[local] = net_idx[r["network_id"]]
        issues.flush()
    out.route_network = route_network
    # areas
    area_idx = _named_ids(read("areas.txt"), "area", out.areas)
    sa = read("stop_areas.txt")
    if sa is not None:
        issues = Issues(diag, sa)
        stop_local = index_of(sa.get("stop_id"), part.stops.ids)
        children: dict[int, list[int]] = {}
        for child, parent in enumerate(part.stops.parent.tolist()):
            if parent >= 0:
                children.setdefault(parent, []).append(child)
        pairs = set()
        for row, r in data_rows(sa, COLUMNS["stop_areas.txt"]):
            a = area_idx.get(r["area_id"])
            s = int(stop_local[row])
            if a is None:
                issues.add("stop_areas.unknown_area", "skipped", row, "area_id",
                           f"area_id {r['area_id']!r} not in areas.txt; skipped")
                continue
            if s < 0:
                issues.add("stop_areas.unknown_stop", "skipped", row, "stop_id",
                           f"stop_id {r['stop_id']!r} not in stops.txt; skipped")
                continue
            pairs.add((s, a))
            for c in children.get(s, ()):            # a station stands for its platforms
                pairs.add((c, a))
        out.stop_areas = sorted(pairs)
        issues.flush()
    # rider categories (rider_categories.txt): each keeps its own prices below; the default one
    # (is_default_fare_category = 1) prices itineraries unless a query names another
    categories: dict[str, int] = {}
    default_rider = set()
    rc = read("rider_categories.txt")
    if rc is not None:
        issues = Issues(diag, rc)
        for row, r in data_rows(rc, COLUMNS["rider_categories.txt"]):
            cid = issues.new_id(r, row, "rider_category_id", "rider_categories", categories)
            if cid is None:
                continue
            is_default = r["is_default_fare_category"] == "1"
            categories[cid] = len(out.rider_categories)
            out.rider_categories.append((cid, r["rider_category_name"], is_default, r["eligibility_url"]))
            if is_default:
                default_rider.add(cid)
        issues.flush()
    # fare media (fare_media.txt): what a product is held on; a query may name one
    media: dict[str, int] = {}
    fm = read("fare_media.txt")
    if fm is not None:
        issues = Issues(diag, fm)
        for row, r in data_rows(fm, COLUMNS["fare_media.txt"]):
            mid = issues.new_id(r, row, "fare_media_id", "fare_media", media)
            if mid is None:
                continue
            kind = parse_int(r["fare_media_type"]) if r["fare_media_type"] else None
            if kind not in (0, 1, 2, 3, 4):
                issues.add("fare_media.bad_fare_media_type", "fixed", row, "fare_media_type",
                           f"fare_media_type {r['fare_media_type']!r} not 0-4; read as unknown")
                kind = -1
            media[mid] = len(out.fare_media)
            out.fare_media.append((mid, r["fare_media_name"], kind))
        issues.flush()
    # products: every usable row is kept (product, rider category, medium, price: engine.fares.
    # load_v2 picks a rider's and a medium's); per product id also the default rider's price (rows
    # with an empty rider_category_id or the default category's), the cheapest medium, in the
    # currency of its first such row (a product priced in two currencies: never compared)
    issues = Issues(diag, products)
    best: dict[str, tuple] = {}                          # pid -> (name, amount, currency, digits)
    rows: list[tuple] = []                               # (pid, category, medium, amount, currency, digits)
    names: dict[str, str] = {}
    for row, r in data_rows(products, COLUMNS["fare_products.txt"]):
        pid = r["fare_product_id"]
        if not pid:
            issues.add("fare_products.empty_id", "skipped", row, "fare_product_id", "empty fare_product_id")
            continue
        names.setdefault(pid, r["fare_product_name"])
        rider, medium = r["rider_category_id"], r["fare_media_id"]
        if rider and rider not in categories:
            issues.add("fare_products.unknown_rider_category", "skipped", row, "rider_category_id",
                       f"rider_category_id {rider!r} not in rider_categories.txt; row skipped")
            continue
        if medium and medium not in media:
            # (feeds name media without fare_media.txt: the row stays, its medium one of its own)
            issues.add("fare_products.unknown_fare_media", "fixed", row, "fare_media_id",
                       f"fare_media_id {medium!r} not in fare_media.txt; kept as a medium of its own")
            media[medium] = len(out.fare_media)
            out.fare_media.append((medium, "", -1))
        checked = checked_price(issues, "fare_products", row, r, "currency", "amount", f"product {pid!r}",
                                negative=True)
        if checked is None:
            continue
        amount, currency, digits = checked
        rows.append((pid, categories[rider] if rider else -1, media[medium] if medium else -1, amount, currency,
                     digits))
        if rider and rider not in default_rider:
            diag.count("fares.fare_products.other_rider", 1)     # (a price for another category only)
            continue
        # (amounts of two currencies are never compared: the first default row's currency holds)
        if pid not in best or (currency == best[pid][2] and amount < best[pid][1]):
            best[pid] = (r["fare_product_name"], amount, currency, digits)
    issues.flush()
    for pid in names:
        if pid not in best:
            diag.warn("fare_products.no_default_price", "fare_products.txt", 0, "fare_product_id",
                      f"product {pid!r} has no usable price for the default rider: legs it covers have an unknown "
                      f"fare for that rider")
    product_idx = {}
    for pid, name in names.items():
        product_idx[pid] = len(out.products)
        if pid in best:
            out.products.append((pid, *best[pid], True))
        else:
            out.products.append((pid, name, 0, "", 2, False))
    out.product_prices = sorted((product_idx[pid], *rest) for pid, *rest in rows)
    # timeframes
    tf_idx: dict[str, int] = {}
    tfs = read("timeframes.txt")
    if tfs is not None:
        issues = Issues(diag, tfs)
        services = {s: i for i, s in enumerate(part.calendar.service_ids.to_pylist())}
        start, bad_s, _ = parse_hms(tfs.get("start_time"))
        end, bad_e, _ = parse_hms(tfs.get("end_time"))
        has_s, has_e = tfs.nonempty("start_time"), tfs.nonempty("end_time")
        for row, r in data_rows(tfs, COLUMNS["timeframes.txt"]):
            if not r["timeframe_group_id"]:
                issues.add("timeframes.empty_id", "skipped", row, "timeframe_group_id", "empty timeframe_group_id")
                continue
            svc = services.get(r["service_id"])
            if svc is None:
                issues.add("timeframes.unknown_service", "skipped", row, "service_id",
                           f"service_id {r['service_id']!r} not in calendar files; skipped")
                continue
            if bad_s[row] or bad_e[row] or has_s[row] != has_e[row]:
                issues.add("timeframes.bad_time", "skipped", row, "start_time",
                           "start_time/end_time unparsable or only one of them given; skipped")
                continue
            s = int(start[row]) if has_s[row] else 0
            e = int(end[row]) if has_e[row] else 86400
            if not (0 <= s < e <= 86400):
                issues.add("timeframes.bad_time", "skipped", row, "end_time",
                           "start_time must be before end_time, both within 00:00:00-24:00:00; skipped")
                continue
            g = tf_idx.setdefault(r["timeframe_group_id"], len(tf_idx))
            out.timeframes.append((g, s, e, svc))
        issues.flush()
    out.timeframe_groups = list(tf_idx)
    # leg rules
    issues = Issues(diag, legs)
    group_idx: dict[str, int] = {}
    for row, r in data_rows(legs, COLUMNS["fare_leg_rules.txt"]):
        p = product_idx.get(r["fare_product_id"])
        if p is None:
            issues.add("fare_leg_rules.unknown_product", "skipped", row, "fare_product_id",
                       f"fare_product_id {r['fare_product_id']!r} not in fare_products.txt; rule skipped")
            continue
        refs = []
        for col, table in (("network_id", net_idx), ("from_area_id", area_idx), ("to_area_id", area_idx),
                           ("from_timeframe_group_id", tf_idx), ("to_timeframe_group_id", tf_idx)):
            ref = issues.reference(table, r, row, col, f"fare_leg_rules.unknown_{col[:-3]}", "is defined nowhere")
            if ref is None:
                break
            refs.append(ref)
        if len(refs) < 5:           # an unknown reference: reported, rule skipped
            continue
        priority = -1
        if r["rule_priority"]:
            priority = parse_int(r["rule_priority"])
            if priority is None or priority < 0 or priority > MAX_RULE_PRIORITY:
                issues.add("fare_leg_rules.bad_rule_priority", "skipped", row, "rule_priority",
                           f"rule_priority {r['rule_priority']!r} not an integer from 0 to {MAX_RULE_PRIORITY:,}; "
                           f"rule skipped")
                continue
        g = group_idx.setdefault(r["leg_group_id"], len(group_idx)) if r["leg_group_id"] else -1
        out.leg_rules.append((g, *refs, p, priority))
    issues.flush()
    out.leg_groups = list(group_idx)
    _join_rules(read("fare_leg_join_rules.txt"), out, part, net_idx, diag)
    # transfer rules
    tr = read("fare_transfer_rules.txt")
    if tr is None:
        return
    issues = Issues(diag, tr)
    for row, r in data_rows(tr, COLUMNS["fare_transfer_rules.txt"]):
        groups = []
        for col in ("from_leg_group_id", "to_leg_group_id"):
            groups.append(group_idx.get(r[col], -2) if r[col] else -1)
        if -2 in groups:
            col = "from_leg_group_id" if groups[0] == -2 else "to_leg_group_id"
            issues.add("fare_transfer_rules.unknown_leg_group", "skipped", row, col,
                       f"{col} {r[col]!r} is the leg_group_id of no fare_leg_rules row; rule skipped")
            continue
        ttype = parse_int(r["fare_transfer_type"]) if r["fare_transfer_type"] else None
        if ttype not in (0, 1, 2):
            issues.add("fare_transfer_rules.bad_fare_transfer_type", "skipped", row, "fare_transfer_type",
                       f"fare_transfer_type {r['fare_transfer_type']!r} not 0, 1 or 2; rule skipped")
            continue
        same = r["from_leg_group_id"] == r["to_leg_group_id"]
        count = -1
        if r["transfer_count"]:
            count = parse_int(r["transfer_count"])
            if count is None or count == 0 or count < -1:
                issues.add("fare_transfer_rules.bad_transfer_count", "skipped", row, "transfer_count",
                           f"transfer_count {r['transfer_count']!r} not -1 or a positive integer; rule skipped")
                continue
            if not same:
                issues.add("fare_transfer_rules.transfer_count_forbidden", "fixed", row, "transfer_count",
                           "transfer_count is forbidden between different leg groups; ignored (no limit)")
                count = -1
            elif count >= MAX_ROUNDS:
                # (no journey has that many transfers: the same rule as no limit, and it fits int32)
                issues.add("fare_transfer_rules.transfer_count_unreachable", "fixed", row, "transfer_count",
                           f"transfer_count {r['transfer_count']!r} is more than any journey's transfers "
                           f"({MAX_ROUNDS - 1}); read as -1 (no limit)")
                count = -1
        elif same:
            issues.add("fare_transfer_rules.missing_transfer_count", "skipped", row, "transfer_count",
                       "transfer_count is required when from_leg_group_id = to_leg_group_id; rule skipped")
            continue
        duration, dtype = -1, -1
        if r["duration_limit"]:
            duration = parse_int(r["duration_limit"])
            dtype = parse_int(r["duration_limit_type"]) if r["duration_limit_type"] else None
            if duration is None or duration <= 0 or duration > MAX_TRANSFER_DURATION_S:
                issues.add("fare_transfer_rules.bad_duration_limit", "skipped", row, "duration_limit",
                           f"duration_limit {r['duration_limit']!r} not a positive integer up to "
                           f"{MAX_TRANSFER_DURATION_S} (10 days); rule skipped")
                continue
            if dtype not in (0, 1, 2, 3):
                issues.add("fare_transfer_rules.bad_duration_limit_type", "skipped", row, "duration_limit_type",
                           f"duration_limit_type {r['duration_limit_type']!r} must be 0-3 with a duration_limit; "
                           f"rule skipped")
                continue
        p = issues.reference(product_idx, r, row, "fare_product_id", "fare_transfer_rules.unknown_product",
                             "not in fare_products.txt")
        if p is None:
            continue
        if p >= 0 and not out.products[p][5]:
            issues.add("fare_transfer_rules.no_default_price", "fixed", row, "fare_product_id",
                       f"fare_product_id {r['fare_product_id']!r} has no price for the default rider: the rule "
                       f"applies only to the rider categories that have one")
        out.transfer_rules.append((groups[0], groups[1], count, duration, dtype, ttype, p))
    issues.flush()


def _join_rules(table: CsvTable | None, out: FeedFares, part, net_idx: dict[str, int], diag: Diag) -> None:
    """fare_leg_join_rules.txt -> ``out.join_rules`` (from network, to network, from stop, to
    stop; -1 = empty stop fields: the two legs must meet at one station). Both networks are
    required, the two stop fields go together, a stop must be a stop or a station
    (location_type 0 or 1); a primary key seen before is skipped (the first row holds)."""
    if table is None:
        return
    issues = Issues(diag, table)
    stop_local = index_of(table.get("from_stop_id"), part.stops.ids) if table.has("from_stop_id") else None
    to_local = index_of(table.get("to_stop_id"), part.stops.ids) if table.has("to_stop_id") else None
    location_type = part.stops.location_type
    seen: set[tuple] = set()
    for row, r in data_rows(table, COLUMNS["fare_leg_join_rules.txt"]):
        nets = [issues.reference(net_idx, r, row, col, "fare_leg_join_rules.unknown_network",
                                 "is not a network of networks.txt, route_networks.txt or routes.txt",
                                 required=True) for col in ("from_network_id", "to_network_id")]
        if None in nets:
            continue
        if bool(r["from_stop_id"]) != bool(r["to_stop_id"]):
            col = "to_stop_id" if r["from_stop_id"] else "from_stop_id"
            issues.add("fare_leg_join_rules.missing_stop", "skipped", row, col,
                       f"{col} is required when the other stop field is given; rule skipped")
            continue
        stops = [-1, -1]
        if r["from_stop_id"]:
            for i, (col, local) in enumerate((("from_stop_id", stop_local), ("to_stop_id", to_local))):
                s = int(local[row])
                if s < 0:
                    issues.add("fare_leg_join_rules.unknown_stop", "skipped", row, col,
                               f"{col} {r[col]!r} not in stops.txt; rule skipped")
                    break
                if location_type[s] not in (0, 1):
                    issues.add("fare_leg_join_rules.not_a_stop", "skipped", row, col,
                               f"{col} {r[col]!r} is neither a stop nor a station (location_type "
                               f"{int(location_type[s])}); rule skipped")
                    break
                stops[i] = s
            if -1 in stops:
                continue
        key = (*nets, *stops)
        if key in seen:
            issues.add("fare_leg_join_rules.duplicate_key", "skipped", row, "from_network_id",
                       "from_network_id, to_network_id, from_stop_id, to_stop_id as an earlier row; skipped")
            continue
        seen.add(key)
        if nets[0] != nets[1]:
            issues.add("fare_leg_join_rules.different_networks", "warnings", row, "to_network_id",
                       "the effective fare leg joins two networks: it has no network of its own for "
                       "fare_leg_rules (only an empty network_id matches it)")
        out.join_rules.append(key)
    issues.flush()


def _named_ids(table: CsvTable | None, kind: str, named: list[tuple[str, str]]) -> dict[str, int]:
    """networks.txt / areas.txt: ``<kind>_id`` -> its index in ``named``, which gets one
    (id, ``<kind>_name``) per distinct non-empty id (the first row of an id wins)."""
    index: dict[str, int] = {}
    if table is not None:
        for _, r in data_rows(table, COLUMNS[f"{kind}s.txt"]):
            key = r[f"{kind}_id"]
            if key and key not in index:
                index[key] = len(named)
                named.append((key, r[f"{kind}_name"]))
    return index
