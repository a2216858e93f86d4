"""GTFS fares v1 and v2 files of one feed -> FeedFares; several feeds -> the ``fares/*`` tables.

BUILD TIME ONLY. Why a module of its own: fares are optional and independent of the timetable
(nothing in RAPTOR reads them), so they are parsed after ``gtfs_feed.load_feed`` with the
feed's clean stops, routes and services, and stored in their own bundle group (schema.py,
"fares tables"). Query time (``engine.fares``) maps those tables and parses nothing.

What is read (https://gtfs.org/documentation/schedule/reference/):
- v1: fare_attributes.txt, fare_rules.txt, stops.txt zone_id, routes.txt agency_id; and, from
  GTFS+ (the San Francisco Bay Area's extension, MTC), fare_rider_categories.txt (a rider
  category's price of a fare) with the names of rider_categories.txt (rider_category_description),
  when the feed has no fares v2;
- v2 (engine/loaders/gtfs_fares_v2.py): fare_products.txt (every row, by rider category and
  fare medium; and the default rider's price: rows with an empty rider_category_id or the
  category marked is_default_fare_category=1 in rider_categories.txt, cheapest medium),
  rider_categories.txt, fare_media.txt, fare_leg_rules.txt, fare_transfer_rules.txt,
  networks.txt + route_networks.txt or routes.network_id, areas.txt + stop_areas.txt (a station
  stands for its platforms), timeframes.txt, fare_leg_join_rules.txt (effective fare legs).
Bad rows are skipped (or fixed) and counted in the BuildReport with file, line and field
(``skipped.fare_attributes.bad_price`` ...); what is not understood (extension files, unknown
columns) is counted under ``warnings.fares.not_understood``. A
required column missing from a fare file drops that file only (``warnings.fares.file_unusable``):
fares never fail a build. Prices are integers in the currency's minor unit (ISO 4217 digits).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import InputError
from engine.loaders.gtfs_csv import CsvTable, FeedSource, read_table
from engine.loaders.gtfs_diag import Diag

#: ISO 4217 decimal digits of the minor unit; any other code: 2 (counted as fixed).
MINOR_DIGITS = {
    **dict.fromkeys(("USD", "EUR", "BRL", "GBP", "CAD", "AUD", "NOK", "CHF", "SEK", "DKK", "NZD", "MXN",
                     "PLN", "CZK", "HUF", "INR", "CNY", "HKD", "SGD", "ZAR", "TRY", "ILS", "ARS", "COP",
                     "PEN", "TWD", "THB", "MYR", "PHP", "IDR", "RON", "BGN", "RUB", "UAH", "EGP", "MAD",
                     "NGN", "KES", "CLF", "UYU", "BOB", "CRC", "DOP", "GTQ", "PKR", "BDT", "LKR", "SAR",
                     "AED", "QAR"), 2),
    **dict.fromkeys(("JPY", "KRW", "CLP", "ISK", "VND", "XOF", "XAF", "XPF", "UGX", "PYG", "RWF", "KMF",
                     "GNF", "DJF", "VUV", "BIF"), 0),
    **dict.fromkeys(("BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD"), 3),
}
V1_FILES = ("fare_attributes.txt", "fare_rules.txt")
V2_FILES = ("fare_products.txt", "fare_leg_rules.txt", "fare_transfer_rules.txt", "fare_media.txt",
            "networks.txt", "route_networks.txt", "areas.txt", "stop_areas.txt", "timeframes.txt",
            "rider_categories.txt", "fare_leg_join_rules.txt")
#: Fare-related files some feeds carry that this engine does not use (counted, never read).
NOT_UNDERSTOOD_FILES = ("farezone_attributes.txt", "fare_capping.txt")
#: GTFS+ rider_category_id values with a meaning of their own (MTC's GTFS+ 1.7; 15-25: the
#: agency's): a category fare_rider_categories.txt names without a rider_categories.txt row.
GTFS_PLUS_CATEGORIES = {"2": "Senior", "3": "Child", "4": "Student", "5": "Youth", "6": "Disabled",
                        "7": "Promotional", "11": "Military"}
#: why a fare_id other files name is unknown (fare_rules.txt, fare_rider_categories.txt)
UNKNOWN_FARE = "not in fare_attributes.txt (or skipped there)"
COLUMNS = {
    "fare_attributes.txt": ("fare_id", "price", "currency_type", "payment_method", "transfers", "agency_id",
                            "transfer_duration"),
    "fare_rules.txt": ("fare_id", "route_id", "origin_id", "destination_id", "contains_id"),
    "fare_products.txt": ("fare_product_id", "fare_product_name", "rider_category_id", "fare_media_id", "amount",
                          "currency"),
    "fare_leg_rules.txt": ("leg_group_id", "network_id", "from_area_id", "to_area_id", "from_timeframe_group_id",
                           "to_timeframe_group_id", "fare_product_id", "rule_priority"),
    "fare_transfer_rules.txt": ("from_leg_group_id", "to_leg_group_id", "transfer_count", "duration_limit",
                                "duration_limit_type", "fare_transfer_type", "fare_product_id"),
    "fare_leg_join_rules.txt": ("from_network_id", "to_network_id", "from_stop_id", "to_stop_id"),
    "fare_media.txt": ("fare_media_id", "fare_media_name", "fare_media_type"),
    "networks.txt": ("network_id", "network_name"),
    "route_networks.txt": ("network_id", "route_id"),
    "areas.txt": ("area_id", "area_name"),
    "stop_areas.txt": ("area_id", "stop_id"),
    "timeframes.txt": ("timeframe_group_id", "start_time", "end_time", "service_id"),
    "rider_categories.txt": ("rider_category_id", "rider_category_name", "is_default_fare_category",
                             "eligibility_url"),
    "fare_rider_categories.txt": ("fare_id", "rider_category_id", "price"),
}
REQUIRED = {
    "fare_attributes.txt": ("fare_id", "price", "currency_type"),
    "fare_rules.txt": ("fare_id",),
    "fare_products.txt": ("fare_product_id", "amount", "currency"),
    "fare_leg_rules.txt": ("fare_product_id",),
    "fare_transfer_rules.txt": ("fare_transfer_type",),
    "fare_leg_join_rules.txt": ("from_network_id", "to_network_id"),
    "networks.txt": ("network_id",),
    "route_networks.txt": ("network_id", "route_id"),
    "areas.txt": ("area_id",),
    "stop_areas.txt": ("area_id", "stop_id"),
    "timeframes.txt": ("timeframe_group_id", "service_id"),
    "rider_categories.txt": ("rider_category_id",),
    "fare_rider_categories.txt": ("fare_id", "rider_category_id", "price"),
}


@dataclass
class FeedFares:
    """One feed's fares with feed-local indices (-1 = empty / none); ids not yet prefixed."""

    agencies: list[str]
    route_agency: np.ndarray            # int32 per local route
    zones: list[str]
    stop_zone: np.ndarray               # int32 per local stop
    # v1: one tuple per kept fare_attributes row / fare_rules row
    fares: list[tuple] = field(default_factory=list)    # (id, price_minor, currency, digits, payment,
    #                                                     transfers, transfer_duration_s, agency)
    rules: list[tuple] = field(default_factory=list)    # (fare, route, origin, destination, contains)
    fare_prices: list[tuple] = field(default_factory=list)  # GTFS+: (fare, rider category, price_minor)
    # v2
    networks: list[tuple[str, str]] = field(default_factory=list)
    route_network: np.ndarray | None = None             # int32 per local route
    areas: list[tuple[str, str]] = field(default_factory=list)
    stop_areas: list[tuple[int, int]] = field(default_factory=list)   # (stop, area)
    products: list[tuple] = field(default_factory=list)  # (id, name, amount_minor, currency, digits,
    #                                                      priced): the default rider's price
    rider_categories: list[tuple] = field(default_factory=list)   # (id, name, is_default, eligibility_url)
    fare_media: list[tuple] = field(default_factory=list)         # (id, name, fare_media_type or -1)
    product_prices: list[tuple] = field(default_factory=list)     # (product, category or -1, medium or -1,
    #                                                               amount_minor, currency, digits)
    leg_groups: list[str] = field(default_factory=list)
    timeframe_groups: list[str] = field(default_factory=list)
    timeframes: list[tuple] = field(default_factory=list)  # (group, start_s, end_s, service)
    leg_rules: list[tuple] = field(default_factory=list)   # (group, network, from_area, to_area,
    #                                                        from_tf, to_tf, product, priority)
    transfer_rules: list[tuple] = field(default_factory=list)  # (from_group, to_group, count,
    #                                          duration_s, duration_type, transfer_type, product)
    join_rules: list[tuple] = field(default_factory=list)      # (from_network, to_network,
    #                                          from_stop, to_stop): fare_leg_join_rules.txt, stops -1 = empty


class Issues:
    """Bad rows of one file, grouped per (code, action, field), reported in one Diag.rows call each."""

    def __init__(self, diag: Diag, table: CsvTable):
        self.diag, self.table = diag, table
        self.items: dict[tuple[str, str, str], list[tuple[int, str]]] = {}

    def add(self, code: str, action: str, row: int, field_: str, text: str) -> None:
        self.items.setdefault((code, action, field_), []).append((row, text))

    def reference(self, index: dict[str, int], r: dict[str, str], row: int, field_: str, code: str,
                  why: str, required: bool = False, what: str = "rule") -> int | None:
        """An id field resolved through ``index``: its index when known; -1 when empty (an
        optional field); None when unknown, or empty and ``required`` (reported as ``code``:
        "<field> '<id>' <why>; <what> skipped")."""
        value = r[field_]
        if not value and not required:
            return -1
        found = index.get(value)
        if found is None:
            self.add(code, "skipped", row, field_, f"{field_} {value!r} {why}; {what} skipped")
        return found

    def new_id(self, r: dict[str, str], row: int, field_: str, file: str, seen) -> str | None:
        """The row's id in ``field_`` when it is not empty and not in ``seen`` (the ids kept so
        far); else None, reported as ``<file>.empty_id`` / ``<file>.duplicate_id`` (the first row
        of an id is kept)."""
        value = r[field_]
        if not value:
            self.add(f"{file}.empty_id", "skipped", row, field_, f"empty {field_}; skipped")
            return None
        if value in seen:
            self.add(f"{file}.duplicate_id", "skipped", row, field_, f"{field_} {value!r} defined again; the first "
                                                                     f"row kept")
            return None
        return value

    def flush(self) -> None:
        for (code, action, field_), entries in self.items.items():
            texts = [t for _, t in entries]
            self.diag.rows(code, action, self.table, np.array([r for r, _ in entries], np.int64), field_,
                           lambda i, texts=texts: texts[i])


def minor_digits(currency: str) -> tuple[int, bool]:
    """(ISO 4217 digits of the minor unit, known code?)."""
    digits = MINOR_DIGITS.get(currency)
    return (2, False) if digits is None else (digits, True)


MAX_PRICE = 10 ** 12      # in major units: anything larger is a typo, not a fare
#: transfer_duration (v1), duration_limit (v2): longer is a typo (and would not fit the bundle's
#: int32 columns), not a time limit
MAX_TRANSFER_DURATION_S = 10 * 86400


def parse_money(text: str, digits: int, negative: bool = False) -> tuple[int | None, bool]:
    """(amount in minor units or None if unusable, rounded?) for a GTFS price like "6.40";
    ``negative``: below zero allowed too (fares v2 amounts: "may be negative to represent
    transfer discounts")."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, False
    if not value.is_finite() or value < (-MAX_PRICE if negative else 0) or value > MAX_PRICE:
        return None, False
    scaled = value.scaleb(digits)
    rounded = scaled.to_integral_value()
    return int(rounded), rounded != scaled


def checked_price(issues: "Issues", prefix: str, row: int, r: dict, currency_field: str,
                  amount_field: str, what: str, negative: bool = False) -> tuple[int, str, int] | None:
    """(amount in minor units, currency, digits) of a row's price, or None when the row must be
    skipped; each problem reported under ``prefix`` (the file's name) naming the field.
    Shared by fare_attributes.txt (v1) and fare_products.txt (v2, where ``negative`` amounts
    are discounts)."""
    currency = r[currency_field].upper()
    if len(currency) != 3 or not currency.isalpha():
        issues.add(f"{prefix}.bad_currency", "skipped", row, currency_field,
                   f"{currency_field} {r[currency_field]!r} is not an ISO 4217 code; {what} skipped")
        return None
    digits, known = minor_digits(currency)
    if not known:
        issues.add(f"{prefix}.unknown_currency", "fixed", row, currency_field,
                   f"currency {currency!r} not in the engine's ISO 4217 table; 2 decimal digits assumed")
    amount = checked_amount(issues, prefix, row, r, amount_field, currency, digits, what, negative)
    return None if amount is None else (amount, currency, digits)


def checked_amount(issues: "Issues", prefix: str, row: int, r: dict, amount_field: str, currency: str,
                   digits: int, what: str, negative: bool = False) -> int | None:
    """A row's amount in minor units of ``currency`` (``digits``), or None when the row must be
    skipped (``<prefix>.bad_<field>``; rounded to the currency: ``<prefix>.<field>_rounded``).
    checked_price's amount; GTFS+ fare_rider_categories.txt prices in its fare's currency."""
    amount, rounded = parse_money(r[amount_field], digits, negative)
    if amount is None:
        bounds = f"a number between -{MAX_PRICE:,} and {MAX_PRICE:,}" if negative else \
            f"a non-negative number up to {MAX_PRICE:,}"
        issues.add(f"{prefix}.bad_{amount_field}", "skipped", row, amount_field,
                   f"{amount_field} {r[amount_field]!r} is not {bounds}; {what} skipped")
        return None
    if rounded:
        issues.add(f"{prefix}.{amount_field}_rounded", "fixed", row, amount_field,
                   f"{amount_field} {r[amount_field]!r} has more decimals than {currency} ({digits}); rounded")
    return amount


def parse_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            return None
        return int(f) if f.is_integer() else None


def load_feed_fares(src: FeedSource, part, diag: Diag) -> FeedFares | None:
    """The fares of one feed (``part``: its FeedPart from ``gtfs_feed.load_feed``), or None when
    it has no fare file at all."""
    present = [f for f in V1_FILES + V2_FILES if src.has(f)]
    for f in NOT_UNDERSTOOD_FILES:
        if src.has(f):
            diag.warn("fares.not_understood", f, 0, "", f"{f}: not a file this engine uses for fares; ignored")
    fare_files = [f for f in present if f not in ("networks.txt", "route_networks.txt", "areas.txt",
                                                  "stop_areas.txt", "timeframes.txt", "rider_categories.txt",
                                                  "fare_leg_join_rules.txt")]
    if not fare_files:
        # areas/networks alone (e.g. for other extensions), or GTFS+ rider prices without
        # fare_attributes.txt, price nothing
        for f in present + (["fare_rider_categories.txt"] if src.has("fare_rider_categories.txt") else []):
            diag.warn("fares.not_understood", f, 0, "", f"{f} without fare files: ignored")
        return None

    def read(f: str, wanted: tuple[str, ...] | None = None) -> CsvTable | None:
        if not src.has(f):
            return None
        try:
            t = read_table(src, f, diag.warn, list(wanted) if wanted else None, REQUIRED.get(f, ()))
        except InputError as exc:
            diag.warn("fares.file_unusable", f, 0, "", f"{exc}; the file is ignored")
            return None
        if wanted is None:
            for col in t.header:
                if col not in COLUMNS.get(f, ()):
                    diag.warn("fares.not_understood", f, 1, col, f"{f}: column {col!r} is not understood; ignored")
        if f in V1_FILES or f in V2_FILES:
            diag.count(f"fares.{f[:-4]}.read", t.n_rows)
        return t

    stop_ids = part.stops.ids
    n_stops, n_routes = len(stop_ids), len(part.routes.ids)
    agency = read("agency.txt", ("agency_id",)) if src.has("agency.txt") else None
    agencies = [a for a in (agency.get("agency_id").to_pylist() if agency is not None and agency.n_rows else [])]
    agencies = list(dict.fromkeys(agencies)) or [""]
    routes = read("routes.txt", ("route_id", "agency_id", "network_id"))
    route_rows = index_of(routes.get("route_id"), part.routes.ids) if routes is not None else np.zeros(0, np.int64)
    route_agency = np.full(n_routes, 0 if len(agencies) == 1 else -1, np.int32)
    if routes is not None and routes.n_rows:
        a_idx = {a: i for i, a in enumerate(agencies)}
        for local, aid in zip(route_rows.tolist(), routes.get("agency_id").to_pylist()):
            if local >= 0:      # one agency, or no agency_id: the first agency (as the routes loader)
                route_agency[local] = 0 if len(agencies) == 1 or not aid else a_idx.get(aid, -1)

    stops = read("stops.txt", ("stop_id", "zone_id"))
    zones: list[str] = []
    zone_idx: dict[str, int] = {}
    stop_zone = np.full(n_stops, -1, np.int32)
    if stops is not None and stops.n_rows and stops.has("zone_id"):
        local = index_of(stops.get("stop_id"), stop_ids)
        for s, z in reversed(list(zip(local.tolist(), stops.get("zone_id").to_pylist()))):
            if s >= 0 and z:
                stop_zone[s] = zone_idx.setdefault(z, len(zone_idx))
        zones = [""] * len(zone_idx)
        for z, i in zone_idx.items():
            zones[i] = z
    out = FeedFares(agencies=agencies, route_agency=route_agency, zones=zones, stop_zone=stop_zone)
    route_idx = {r: i for i, r in enumerate(part.routes.ids.to_pylist())}
    has_v2 = src.has("fare_products.txt") and src.has("fare_leg_rules.txt")
    fare_idx = _load_v1(read, out, route_idx, zone_idx, diag)
    gtfs_plus = src.has("fare_rider_categories.txt")
    if gtfs_plus and (has_v2 or not fare_idx):
        why = "a feed with fares v2 prices its categories in fare_products.txt" if has_v2 else \
            "no usable fare_attributes.txt row to price"
        diag.warn("fares.not_understood", "fare_rider_categories.txt", 0, "",
                  f"fare_rider_categories.txt (GTFS+): {why}; ignored")
        gtfs_plus = False
    if gtfs_plus:
        _load_rider_prices(read, out, fare_idx, diag)
    if has_v2:
        # imported here: gtfs_fares_v2 imports this module's helpers
        from engine.loaders.gtfs_fares_v2 import load_v2_files

        load_v2_files(read, out, part, routes, route_rows, route_idx, diag)
    else:
        for f in V2_FILES:
            if f in present and not (gtfs_plus and f == "rider_categories.txt"):
                diag.warn("fares.not_understood", f, 0, "",
                          f"{f}: fares v2 need both fare_products.txt and fare_leg_rules.txt; ignored")
    diag.count("fares.feeds", 1)
    return out


def index_of(values: pa.Array, universe: pa.Array) -> np.ndarray:
    return pc.index_in(values, value_set=universe).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def data_rows(t: CsvTable, cols: tuple[str, ...]):
    """(row, {col: value}) per data row, columns absent from the file read as ""."""
    lists = [t.get(c).to_pylist() for c in cols]
    for row in range(t.n_rows):
        yield row, {c: lists[k][row] for k, c in enumerate(cols)}


# ------------------------------------------------------------------------------------------ v1
def _load_v1(read, out: FeedFares, route_idx: dict[str, int], zone_idx: dict[str, int],
             diag: Diag) -> dict[str, int]:
    """fare_attributes.txt and fare_rules.txt into ``out``; returns fare_id -> kept fare index."""
    fa = read("fare_attributes.txt")
    if fa is None:
        if read("fare_rules.txt") is not None:
            diag.warn("fares.not_understood", "fare_rules.txt", 0, "", "fare_rules.txt without fare_attributes.txt; ignored")
        return {}
    issues = Issues(diag, fa)
    fare_idx: dict[str, int] = {}
    a_idx = {a: i for i, a in enumerate(out.agencies)}
    for row, r in data_rows(fa, COLUMNS["fare_attributes.txt"]):
        fid = issues.new_id(r, row, "fare_id", "fare_attributes", fare_idx)
        if fid is None:
            continue
        checked = checked_price(issues, "fare_attributes", row, r, "currency_type", "price", f"fare {fid!r}")
        if checked is None:
            continue
        price, currency, digits = checked
        transfers = -1
        if r["transfers"]:
            transfers = parse_int(r["transfers"])
            if transfers not in (0, 1, 2):
                issues.add("fare_attributes.bad_transfers", "skipped", row, "transfers",
                           f"transfers {r['transfers']!r} not 0, 1, 2 or empty; fare {fid!r} skipped")
                continue
        duration = -1
        if r["transfer_duration"]:
            duration = parse_int(r["transfer_duration"])
            if duration is None or duration < 0 or duration > MAX_TRANSFER_DURATION_S:
                issues.add("fare_attributes.bad_transfer_duration", "skipped", row, "transfer_duration",
                           f"transfer_duration {r['transfer_duration']!r} not a number of seconds up to "
                           f"{MAX_TRANSFER_DURATION_S} (10 days); fare {fid!r} skipped")
                continue
        payment = parse_int(r["payment_method"]) if r["payment_method"] else 0
        if payment not in (0, 1):
            issues.add("fare_attributes.bad_payment_method", "fixed", row, "payment_method",
                       f"payment_method {r['payment_method']!r} not 0/1; 0 (on board) assumed")
            payment = 0
        agency = 0 if len(out.agencies) == 1 else -1
        if r["agency_id"]:
            agency = a_idx.get(r["agency_id"], -2)
            if agency == -2:
                if len(out.agencies) == 1:
                    issues.add("fare_attributes.unknown_agency", "fixed", row, "agency_id",
                               f"agency_id {r['agency_id']!r} not in agency.txt; the feed's only agency assumed")
                    agency = 0
                else:
                    issues.add("fare_attributes.unknown_agency", "skipped", row, "agency_id",
                               f"agency_id {r['agency_id']!r} not in agency.txt; fare {fid!r} skipped")
                    continue
        elif len(out.agencies) > 1:
            issues.add("fare_attributes.no_agency", "fixed", row, "agency_id",
                       "no agency_id although the feed has several agencies; the fare applies to all of them")
        fare_idx[fid] = len(out.fares)
        out.fares.append((fid, price, currency, digits, payment, transfers, duration, agency))
    issues.flush()
    fr = read("fare_rules.txt")
    if fr is None:
        return fare_idx
    issues = Issues(diag, fr)
    for row, r in data_rows(fr, COLUMNS["fare_rules.txt"]):
        f = issues.reference(fare_idx, r, row, "fare_id", "fare_rules.unknown_fare", UNKNOWN_FARE, required=True)
        if f is None:
            continue
        route = issues.reference(route_idx, r, row, "route_id", "fare_rules.unknown_route", "not in routes.txt")
        if route is None:
            continue
        zs = []
        for col in ("origin_id", "destination_id", "contains_id"):
            z = r[col]
            if not z:
                zs.append(-1)
                continue
            if z not in zone_idx:
                issues.add("fare_rules.unknown_zone", "fixed", row, col,
                           f"{col} {z!r} is the zone_id of no stop: the rule can never apply")
                zone_idx[z] = len(zone_idx)
                out.zones.append(z)
            zs.append(zone_idx[z])
        out.rules.append((f, route, *zs))
    issues.flush()
    return fare_idx


def _load_rider_prices(read, out: FeedFares, fare_idx: dict[str, int], diag: Diag) -> None:
    """GTFS+ fare_rider_categories.txt (fare_id, rider_category_id, price: what a rider of that
    category pays for the fare, in the fare's currency) and the category names of its
    rider_categories.txt (rider_category_id, rider_category_description). A fare a category has
    no row for is not sold to it (engine.fares.load_v1): a Bay Area feed lists every fare for
    each category it prices, and a rider asking for a category deserves an unknown fare rather
    than the adult one. The categories kept are those some kept row prices."""
    names: dict[str, str] = {}
    rc = read("rider_categories.txt", ("rider_category_id", "rider_category_description", "rider_category_name"))
    if rc is not None:
        for _, r in data_rows(rc, ("rider_category_id", "rider_category_description", "rider_category_name")):
            if r["rider_category_id"]:
                names.setdefault(r["rider_category_id"], r["rider_category_description"] or r["rider_category_name"])
    frc = read("fare_rider_categories.txt")
    if frc is None:
        return          # (unusable: reported by read)
    issues = Issues(diag, frc)
    categories: dict[str, int] = {}
    seen: set[tuple[int, int]] = set()
    fares = out.fares
    for row, r in data_rows(frc, COLUMNS["fare_rider_categories.txt"]):
        f = issues.reference(fare_idx, r, row, "fare_id", "fare_rider_categories.unknown_fare", UNKNOWN_FARE,
                             required=True, what="row")
        if f is None:
            continue
        cid = r["rider_category_id"]
        if not cid:
            issues.add("fare_rider_categories.empty_rider_category", "skipped", row, "rider_category_id",
                       "empty rider_category_id; row skipped")
            continue
        price = checked_amount(issues, "fare_rider_categories", row, r, "price", fares[f][2], fares[f][3], "row")
        if price is None:
            continue
        c = categories.get(cid)
        if c is None:
            name = names.get(cid)
            if name is None:
                name = GTFS_PLUS_CATEGORIES.get(cid, cid)
                issues.add("fare_rider_categories.unknown_rider_category", "fixed", row, "rider_category_id",
                           f"rider_category_id {cid!r} not in rider_categories.txt; named {name!r}")
            c = categories[cid] = len(out.rider_categories)
            out.rider_categories.append((cid, name, False, ""))
        if (f, c) in seen:
            issues.add("fare_rider_categories.duplicate", "skipped", row, "rider_category_id",
                       f"fare_id {r['fare_id']!r} priced again for rider_category_id {cid!r}; the first row kept")
            continue
        seen.add((f, c))
        out.fare_prices.append((f, c, price))
    issues.flush()
    diag.count("fares.fare_rider_categories.read", frc.n_rows)


# ------------------------------------------------------------------------------------------ merge
def merge_fares(fares: list[FeedFares | None], parts: list) -> dict[str, pa.Table] | None:
    """The ``fares/*`` tables of the merged bundle (ids "FEED:ID", global indices), or None when
    no feed has fare files. ``parts``: the FeedParts, in merge order (for index bases)."""
    if not any(f is not None for f in fares):
        return None
    stop_base = np.cumsum([0] + [len(p.stops.ids) for p in parts])
    route_base = np.cumsum([0] + [len(p.routes.ids) for p in parts])
    service_base = np.cumsum([0] + [len(p.calendar.service_ids) for p in parts])
    from engine.bundle.schema import TABLES

    names = ("agencies", "zones", "attributes", "rules", "networks", "areas", "stop_areas", "products", "leg_groups",
             "timeframe_groups", "timeframes", "leg_rules", "transfer_rules", "rider_categories", "fare_media",
             "product_prices", "attribute_prices", "leg_join_rules")
    rows: dict[str, list[tuple]] = {name: [] for name in names}     # one tuple per row, schema order
    stop_zone = np.full(int(stop_base[-1]), -1, np.int32)
    route_agency = np.full(int(route_base[-1]), -1, np.int32)
    route_network = np.full(int(route_base[-1]), -1, np.int32)
    base = dict.fromkeys(("agencies", "zones", "attributes", "networks", "areas", "products", "leg_groups",
                          "timeframe_groups", "rider_categories", "fare_media"), 0)
    for feed_idx, (f, p) in enumerate(zip(fares, parts)):
        if f is None:
            continue
        pre = f"{p.name}:"
        b = dict(base)

        def shift(i: int, key: str, b: dict = b) -> int:
            return i + b[key] if i >= 0 else -1

        rs, re_ = int(route_base[feed_idx]), int(route_base[feed_idx + 1])
        route_agency[rs:re_] = np.where(f.route_agency >= 0, f.route_agency + b["agencies"], -1)
        if f.route_network is not None:
            route_network[rs:re_] = np.where(f.route_network >= 0, f.route_network + b["networks"], -1)
        ss = int(stop_base[feed_idx])
        stop_zone[ss:ss + len(f.stop_zone)] = np.where(f.stop_zone >= 0, f.stop_zone + b["zones"], -1)
        rows["agencies"] += [(pre + a,) for a in f.agencies]
        rows["zones"] += [(pre + z,) for z in f.zones]
        rows["attributes"] += [(pre + fid, price, cur, digits, pay, transfers, dur, shift(agency, "agencies"), feed_idx)
                               for fid, price, cur, digits, pay, transfers, dur, agency in f.fares]
        za = b["zones"]
        rows["rules"] += [(fare + b["attributes"], route + rs if route >= 0 else -1, o + za if o >= 0 else -1,
                           d + za if d >= 0 else -1, c + za if c >= 0 else -1) for fare, route, o, d, c in f.rules]
        rows["networks"] += [(pre + nid, name) for nid, name in f.networks]
        rows["areas"] += [(pre + aid, name) for aid, name in f.areas]
        rows["stop_areas"] += [(s + ss, a + b["areas"]) for s, a in f.stop_areas]
        rows["products"] += [(pre + pid, name, amount, cur, digits, int(priced))
                             for pid, name, amount, cur, digits, priced in f.products]
        rows["rider_categories"] += [(pre + cid, name, int(is_default), url, feed_idx)
                                     for cid, name, is_default, url in f.rider_categories]
        rows["fare_media"] += [(pre + mid, name, kind, feed_idx) for mid, name, kind in f.fare_media]
        rows["product_prices"] += [(prod + b["products"], shift(cat, "rider_categories"), shift(med, "fare_media"),
                                    amount, cur, digits) for prod, cat, med, amount, cur, digits in f.product_prices]
        rows["attribute_prices"] += [(fare + b["attributes"], cat + b["rider_categories"], price)
                                     for fare, cat, price in f.fare_prices]
        rows["leg_groups"] += [(pre + g,) for g in f.leg_groups]
        rows["timeframe_groups"] += [(pre + g,) for g in f.timeframe_groups]
        rows["timeframes"] += [(g + b["timeframe_groups"], s, e, svc + int(service_base[feed_idx]))
                               for g, s, e, svc in f.timeframes]
        rows["leg_rules"] += [(shift(g, "leg_groups"), shift(net, "networks"), shift(fa, "areas"), shift(ta, "areas"),
                               shift(ftf, "timeframe_groups"), shift(ttf, "timeframe_groups"), shift(prod, "products"),
                               prio, feed_idx) for g, net, fa, ta, ftf, ttf, prod, prio in f.leg_rules]
        rows["transfer_rules"] += [(shift(fg, "leg_groups"), shift(tg, "leg_groups"), count, dur, dtype, ttype,
                                    shift(prod, "products"), feed_idx)
                                   for fg, tg, count, dur, dtype, ttype, prod in f.transfer_rules]
        rows["leg_join_rules"] += [(shift(fn, "networks"), shift(tn, "networks"), fs + ss if fs >= 0 else -1,
                                    ts + ss if ts >= 0 else -1, feed_idx) for fn, tn, fs, ts in f.join_rules]
        base.update(agencies=b["agencies"] + len(f.agencies), zones=b["zones"] + len(f.zones),
                    attributes=b["attributes"] + len(f.fares), networks=b["networks"] + len(f.networks),
                    areas=b["areas"] + len(f.areas), products=b["products"] + len(f.products),
                    leg_groups=b["leg_groups"] + len(f.leg_groups),
                    timeframe_groups=b["timeframe_groups"] + len(f.timeframe_groups),
                    rider_categories=b["rider_categories"] + len(f.rider_categories),
                    fare_media=b["fare_media"] + len(f.fare_media))
    rows["stop_areas"].sort()
    rows["attribute_prices"].sort()
    tables: dict[str, pa.Table] = {}
    for name in names:
        schema = TABLES[f"fares/{name}"]
        columns = list(zip(*rows[name])) if rows[name] else [[] for _ in schema]
        tables[f"fares/{name}"] = pa.table([pa.array(col, f.type) for col, f in zip(columns, schema)], schema=schema)
    tables["fares/stops"] = pa.table({"zone_idx": pa.array(stop_zone, pa.int32())}, schema=TABLES["fares/stops"])
    tables["fares/routes"] = pa.table({"agency_idx": pa.array(route_agency, pa.int32()),
                                       "network_idx": pa.array(route_network, pa.int32())},
                                      schema=TABLES["fares/routes"])
    return tables
