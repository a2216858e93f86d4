"""Arrow schemas of every bundle table: the one definition of the on-disk format.

Layout rules (see docs/bundle.md):
- one table per file ``<group>/<name>.arrow``, uncompressed Arrow IPC *file* format, one record
  batch, so a memory map gives zero-copy numpy views;
- no nulls in numeric columns: sentinels from ``engine._types`` (NO_IDX, NO_VALUE, UNREACHED);
- CSR relations are ``list<T>`` columns: offsets + values, exposed by the reader as
  ``(offsets, values)`` numpy pairs;
- names say ``<key>_<value>``; times are int32 seconds since the service day's noon-minus-12h.

FORMAT_VERSION history (bump on any format or semantic change):
  1  2026-11-25  first format: timetable/*, streets/*, geocoder/*.
  2  2026-12-04  streets on junctions: segments stored chain by chain (streets/topology), per
                 mode a junction graph with stop entries (streets/<mode>_junctions) and a
                 hierarchy over the junctions; no node-level CSR (streets/<mode>_out, _in).
                 Geocoder: BAN fields (cities: district, context, x/y, old commune), sound-alike
                 keys (geocoder/phonetic), data sources with attribution (geocoder/sources).
  3  2026-12-04  timetable/stop_times.seq: each stop time's GTFS stop_sequence, so that
                 GTFS-Realtime updates addressed by stop_sequence find their stop.
  4  2026-12-04  accessibility and bikes on board (issue 14): timetable/stops.wheelchair_boarding
                 (inherited from the parent station), timetable/trips.wheelchair_accessible and
                 bikes_allowed, timetable/footpaths.step_free (pathways.txt without stairs or
                 escalators).
  5  2026-12-04  (one bump for this session's work; each change adds its line below)
                 Step-free streets (issue 14): a "wheelchair" street mode (walk without
                 highway=steps or wheelchair=no): streets/segments.wheelchair_ms, stop_links
                 wheelchair_*, streets/wheelchair_junctions and _ch_*; timetable/footpaths_step_free
                 (the footpaths a wheelchair user can take, street walks on that profile).
                 Fares (issue 14): a fares/* group (GTFS fares v1 and v2, engine.loaders.gtfs_fares),
                 present only when some feed has fare files; fares/products.amount_minor may be
                 negative (a v2 transfer discount, as the reference allows).
  6  2026-12-06  Rider categories (fares v2): fares/rider_categories (rider_categories.txt),
                 fares/product_prices (each category's price of each product, cheapest medium);
                 fares/products keeps one row per product id, priced or not for the default rider
                 (``priced``), and leg / transfer rules always name their product.
  7  2026-12-06  Fare media (fares v2): fares/fare_media (fare_media.txt); fares/product_prices
                 holds every usable fare_products.txt row (rider category and medium, NO_IDX =
                 empty: any), the query picks a category's and a medium's (engine.fares.load_v2).
  8  2026-12-06  Rider categories for fares v1 (GTFS+ fare_rider_categories.txt, the Bay Area's
                 extension): fares/attribute_prices (a category's price of a fare_attributes row);
                 their categories in fares/rider_categories (rider_categories.txt's
                 rider_category_description as the name).
  9  2026-12-07  Effective fare legs (fares v2): fares/leg_join_rules (fare_leg_join_rules.txt, now
                 in the GTFS reference): consecutive legs it joins are priced as one leg.
                 The wheelchair street mode leaves out ways whose incline is a number steeper
                 than 1:12, or whose smoothness is bad or worse (engine/streets/profiles.py):
                 its costs differ;
                 timetable/footpaths.step_free is false across pathways whose max_slope is steeper.
                 timetable/stops.street_step_free: whether a stop inside a station's pathways is
                 reached from, and reaches, the street step-free (wheelchair access and egress).
  10 2026-12-07  Stations with pathways.txt (engine/timetable/station_walks.py): footpaths
                 walk the pathways (traversal_time, else length) inside stations and reach their
                 platforms only through their entrances; entrances are linked to the streets;
                 timetable/stops.street_step_free bit 4 (INSIDE): a stop the street reaches only
                 through an entrance.
  11 2026-12-07  (when some feed has pathways.txt) timetable/station_gates and _step_free: the
                 walks between entrances and the stops inside, kept out of the footpaths;
                 timetable/pathways: each pathway's mode, seconds, length and sign, for the steps
                 and geometry of a walk through a station.
"""
from __future__ import annotations

import pyarrow as pa

from .version import FORMAT_VERSION, MAGIC  # noqa: F401  (re-exported; no pyarrow there)

_i8, _i16, _i32, _i64 = pa.int8(), pa.int16(), pa.int32(), pa.int64()
_u8, _u32, _f32, _f64, _str = pa.uint8(), pa.uint32(), pa.float32(), pa.float64(), pa.string()
#: CSR stop -> walks to other stops (to, seconds): the step-free footpaths and the station gates
_WALKS = pa.schema([("to", pa.list_(_i32)), ("duration", pa.list_(_i32))])

TABLES: dict[str, pa.Schema] = {
    # ---------------------------------------------------------------- timetable
    # One row per feed merged into the bundle.
    "timetable/feeds": pa.schema([
        ("name", _str),            # short feed name, prefix of every id of that feed ("FEED:ID")
        ("timezone", _str),        # agency_timezone (IANA); stop times are local to it
        ("agency_names", _str),    # "; "-joined agency names
        ("source", _str),          # file name of the input
        ("sha256", _str),          # digest of the input file
    ]),
    # One row per GTFS stop of any location_type. Row index = stop_idx.
    "timetable/stops": pa.schema([
        ("stop_id", _str),         # "FEED:GTFS_ID" (unique in the bundle)
        ("stop_code", _str),
        ("name", _str),
        ("lat", _f64),             # NaN when the feed gave no usable coordinate
        ("lon", _f64),
        ("location_type", _i8),    # GTFS location_type (0 stop/platform, 1 station, 2 entrance, ...)
        ("parent_idx", _i32),      # stop_idx of parent_station, NO_IDX if none
        ("feed_idx", _i32),
        ("timezone", _str),        # stop_timezone ("" = feed timezone)
        ("platform_code", _str),
        ("min_change_time", _i32), # same-stop change time from transfers.txt, NO_VALUE = query default
        ("wheelchair_boarding", _i8),  # GTFS 0 unknown / 1 yes / 2 no, a 0 inherits the parent station's
        # bit 1: the street reaches the stop over step-free pathways (entrances), bit 2: the stop
        # reaches the street; 3 for a stop no pathway touches (engine/timetable/accessibility.py)
        ("street_step_free", _i8),
    ]),
    # Stop ids sorted, for O(log n) lookup by binary search without parsing at open.
    "timetable/stop_id_index": pa.schema([
        ("stop_id", _str),         # sorted ascending (byte order)
        ("stop_idx", _i32),
    ]),
    # One row per GTFS route (line metadata; never a RAPTOR "route").
    "timetable/routes": pa.schema([
        ("route_id", _str),        # "FEED:GTFS_ID"
        ("agency_name", _str),
        ("short_name", _str),
        ("long_name", _str),
        ("route_type", _i32),
        ("color", _str),
        ("text_color", _str),
        ("feed_idx", _i32),
    ]),
    # One row per pattern: trips with the same stops and pickup/drop-off, with no overtaking.
    "timetable/patterns": pa.schema([
        ("route_idx", _i32),
        ("stops", pa.list_(_i32)),     # CSR pattern -> stop_idx, by stop_pos
        ("pickup", pa.list_(_u8)),     # 1 if boarding allowed at stop_pos (same offsets as stops)
        ("dropoff", pa.list_(_u8)),    # 1 if alighting allowed at stop_pos
        ("first_trip", _i32),          # trips of the pattern are rows first_trip .. first_trip+n_trips-1
        ("n_trips", _i32),
        ("stop_times_offset", _i64),   # first row of the pattern's block in stop_times
        ("max_day_offset", _i32),      # largest (time // 86400) in the block: days a trip can run over
    ]),
    # One row per trip, grouped by pattern, sorted by departure at the first stop (then by all times).
    "timetable/trips": pa.schema([
        ("trip_id", _str),         # "FEED:GTFS_ID"; frequency-expanded trips get "@HH:MM:SS"
        ("pattern_idx", _i32),
        ("route_idx", _i32),
        ("service_idx", _i32),
        ("headsign", _str),
        ("short_name", _str),
        ("direction_id", _i8),     # NO_VALUE when absent
        ("shape_id", _str),
        ("shape_idx", _i32),       # row of timetable/shapes, NO_IDX when the trip has no shape
        ("wheelchair_accessible", _i8),  # GTFS 0 unknown / 1 yes / 2 no
        ("bikes_allowed", _i8),    # GTFS 0 unknown / 1 yes / 2 no
    ]),
    # One row per shapes.txt shape, points in shape_pt_sequence order (transit leg geometry).
    "timetable/shapes": pa.schema([
        ("shape_id", _str),        # "FEED:GTFS_ID"
        ("lat", pa.list_(_f64)),
        ("lon", pa.list_(_f64)),
    ]),
    # Pattern-major, stop_pos-major, trip-minor: row = stop_times_offset[p] + pos * n_trips[p] + i,
    # so the departures of one pattern at one stop are a contiguous, non-decreasing slice.
    "timetable/stop_times": pa.schema([
        ("arr", _i32),
        ("dep", _i32),
        ("seq", _i32),     # GTFS stop_sequence (GTFS-Realtime StopTimeUpdate matching)
    ]),
    # CSR stop -> (pattern, stop_pos) visits; a pattern visiting a stop twice appears twice.
    "timetable/stop_patterns": pa.schema([
        ("pattern", pa.list_(_i32)),
        ("pos", pa.list_(_i32)),
    ]),
    # CSR stop -> footpaths to other stops (one walk between two vehicles), durations in seconds.
    "timetable/footpaths": pa.schema([
        ("to", pa.list_(_i32)),
        ("duration", pa.list_(_i32)),
        ("step_free", pa.list_(_u8)),  # 1 unless pathways.txt leaves only stairs/escalators (same offsets)
    ]),
    # CSR stop -> the footpaths of a wheelchair user: built like timetable/footpaths but from
    # street walks on the wheelchair profile (no steps) when OSM is given, and only the pairs
    # pathways.txt leaves step-free (plan(wheelchair=True) uses it instead of footpaths).
    "timetable/footpaths_step_free": _WALKS,
    # pathways.txt edges (one row per direction; only when some feed has pathways): the walk
    # through a station an itinerary shows (engine/timetable/station_access.py PathwayRoutes).
    "timetable/pathways": pa.schema([
        ("from_idx", _i32), ("to_idx", _i32),
        ("mode", pa.int8()),           # pathway_mode: 1 walkway, 2 stairs, 3 travelator, 4 escalator,
                                       # 5 elevator, 6 fare gate, 7 exit gate
        ("seconds", _i32),             # traversal_time, else length (else the straight line) at walking speed
        ("length_m", pa.float32()),    # NaN: none given
        ("step_free", _u8),            # neither stairs nor escalator nor steeper than 1:12
        ("signposted_as", _str),       # signposted_as (reversed_signposted_as the way back), "" none
    ]),
    # CSR stop -> the walks by pathways between a station's entrances and its stops, both ways
    # (when some stop is inside a station with pathways and an entrance): how the street reaches a
    # platform inside (engine/timetable/station_walks.py); _step_free: by step-free pathways only.
    "timetable/station_gates": _WALKS,
    "timetable/station_gates_step_free": _WALKS,
    # One row per service: active days as a bitset over [period_start, period_start + n_days).
    "timetable/services": pa.schema([
        ("service_id", _str),      # "FEED:GTFS_ID"
        ("feed_idx", _i32),
        ("days", pa.binary()),     # bit d (byte d>>3, bit d&7) = active on period_start + d days
    ]),
    # ---------------------------------------------------------------- streets
    # (streets/* tables are defined below by the streets module's section)
    # ---------------------------------------------------------------- geocoder
    # (geocoder/* tables are defined below by the geocoder module's section)
}

# === streets tables (owned by engine/streets) ===
# Street graphs from OSM (engine/streets). Node row = node_idx (spatially sorted, Morton order).
# Segment row = segment_idx: segments are stored chain by chain (see engine/_chains.pyx): a chain
# is a path junction a -> inner nodes -> junction b, where inner nodes have exactly two
# neighbours; its segments are consecutive rows, each oriented u -> v along the chain. Per-mode
# costs are int32 milliseconds, max(1, ceil(length_m * 1000 / speed_mps)), NO_VALUE (-1) for a
# forbidden direction; every mode keeps only its largest strongly connected component.
_STREET_MODES = ("walk", "bike", "car", "wheelchair")    # engine.streets.options.MODES
_STOP_LINK = []
for _mode in _STREET_MODES:
    _STOP_LINK += [
        (f"{_mode}_segment", _i32),  # segment the stop is linked to for the mode, NO_IDX if none
        (f"{_mode}_t", _f64),        # position of the projection along the segment, 0 = u, 1 = v
        (f"{_mode}_dist_m", _f64),   # stop -> projection distance (walked at walk speed)
    ]
TABLES.update({
    # One row: build options and grid parameters.
    "streets/meta": pa.schema([
        ("walk_speed_mps", _f64), ("bike_speed_mps", _f64), ("car_max_mps", _f64),
        ("max_snap_m", _f64), ("footpath_max_s", _i32),
        ("grid_cell_m", _f64),     # snapping grid cell side, metres (local equirectangular)
        ("grid_lat0", _f64), ("grid_lon0", _f64), ("grid_cos0", _f64),  # projection origin
        ("source", _str),          # OSM file name
    ]),
    "streets/nodes": pa.schema([("lat", _f64), ("lon", _f64)]),
    "streets/ways": pa.schema([("osm_id", _i64), ("name", _str), ("highway", _str)]),
    "streets/segments": pa.schema([
        ("u", _i32), ("v", _i32), ("way_idx", _i32),
        ("length_m", _f32),        # haversine length of the segment, metres
        ("walk_ms", _i32),         # both directions (walking ignores oneway), NO_VALUE = forbidden
        ("bike_fwd_ms", _i32), ("bike_bwd_ms", _i32),   # u->v and v->u costs, NO_VALUE = forbidden
        ("car_fwd_ms", _i32), ("car_bwd_ms", _i32),
        ("wheelchair_ms", _i32),   # both directions: walk_ms without highway=steps / wheelchair=no
        ("modes", _u8),            # bit 1 walk, 2 bike, 4 car, 8 wheelchair: usable (some direction)
    ]),
    # One row: the chains (list columns are flat arrays).
    "streets/topology": pa.schema([
        ("chain_offsets", pa.list_(_i32)),  # [n_chains + 1] segments of chain c: [off[c], off[c+1])
        ("chain_a", pa.list_(_i32)),        # [n_chains] junction_idx where the chain starts
        ("chain_b", pa.list_(_i32)),        # [n_chains] junction_idx where it ends (may equal a)
        ("junction_node", pa.list_(_i32)),  # [n_junctions] node_idx of each junction
    ]),
    # Snapping grid: non-empty cells sorted by key = (row + 2**30) * 2**31 + (col + 2**30).
    "streets/grid": pa.schema([("cell", _i64), ("segments", pa.list_(_i32))]),
    # One row per timetable stop (same stop_idx): its link to each mode's graph.
    "streets/stop_links": pa.schema([("lat", _f64), ("lon", _f64)] + _STOP_LINK),
})
# Per mode, one row: the junction graph (edge a -> b when the whole chain allows it, ms = sum of
# its segments' costs), searched forward ("fwd": from a point) or on its transpose ("bwd": to a
# point; empty when the mode is symmetric, meaning the fwd arrays), and the stops' entries:
# junction -> (stop, ms from the junction to the stop along its chain, "fwd"; or from the stop
# to the junction, "bwd"). Stops on a query's own chain are walked along it (link_*).
_JUNCTION_SIDE = []
for _side in ("fwd", "bwd"):
    _JUNCTION_SIDE += [
        (f"{_side}_off", pa.list_(_i32)),         # [n_junctions + 1] CSR offsets
        (f"{_side}_head", pa.list_(_i32)),        # junction_idx at the other end
        (f"{_side}_ms", pa.list_(_i32)),          # cost of the chain, ms
        (f"{_side}_entry_off", pa.list_(_i32)),   # [n_junctions + 1] junction -> stop entries
        (f"{_side}_entry_stop", pa.list_(_i32)),  # stop_idx
        (f"{_side}_entry_ms", pa.list_(_i64)),    # ms, cheapest per (junction, stop)
    ]
# Contraction hierarchy of each mode over its junction graph (point-to-point routes).
# "<mode>_ch_up": row = junction, edges to higher-ranked junctions; "<mode>_ch_down": row =
# junction, edges *from* higher-ranked junctions ("to" is the tail). An edge code is a row of
# "<mode>_ch_shortcuts" (>= 0: a shortcut made of two edges) or -(chain_edge + 1) for an original
# edge, chain_edge = 2 * chain + 0 for a -> b, + 1 for b -> a. A mode built without contraction
# has every junction in the core: up and down then hold the whole graph, and no shortcut.
_CH_CSR = pa.schema([
    ("to", pa.list_(_i32)),
    ("cost_ms", pa.list_(_i32)),
    ("edge", pa.list_(_i32)),      # edge code (see above)
])
for _mode in _STREET_MODES:
    TABLES.update({
        f"streets/{_mode}_junctions": pa.schema([
            ("shift", _i32),                   # log2 of the reach queue's bucket width (speed only)
            ("link_seg", pa.list_(_i32)),      # segments of the stops linked to the mode, ascending
            ("link_stop", pa.list_(_i32)),     # stop_idx of each, same order
            ("stop_conn_ms", pa.list_(_i64)),  # [n_stops] walk between each stop and its projection
        ] + _JUNCTION_SIDE),
        f"streets/{_mode}_ch_up": _CH_CSR,
        f"streets/{_mode}_ch_down": _CH_CSR,
        f"streets/{_mode}_ch_shortcuts": pa.schema([
            ("child_a", _i32), ("child_b", _i32),   # first and second half, as edge codes
        ]),
    })
# === end streets tables ===

# === geocoder tables (owned by engine/geocoder) ===
# Documents: streets (with their house numbers), localities, POIs, stops. Row index = doc_idx.
# Addresses are not documents: a query with a number resolves it inside the street's numbers.
TABLES.update({
    "geocoder/docs": pa.schema([
        ("id", _str),              # source id (BAN street id, "osm:way:123", "stop:FEED:ID" ...)
        ("type", _i8),             # 1 street, 2 locality, 3 poi, 4 stop, 5 municipality (geocoder.tokens)
        ("name", _str),            # display name (street name, place name, stop name)
        ("street", _str),          # street of a POI ("" otherwise)
        ("city_idx", _i32),        # row of geocoder/cities (postcode, citycode, city), NO_IDX if none
        ("lat", _f64),
        ("lon", _f64),
        ("importance", _f32),      # 0..1
        ("hn_first", _i32),        # house numbers are geocoder/housenumbers rows hn_first .. +hn_count-1
        ("hn_count", _i32),        #   sorted by (number, suffix)
        ("tokens", pa.list_(_i32)),  # CSR doc -> token ids: name tokens first, then context tokens
        ("n_name_tokens", _i16),   # how many leading entries of tokens come from the name
    ]),
    # Distinct (postcode, citycode, city, old commune) rows referenced by docs.city_idx, in BAN's
    # API terms (engine.geocoder.france): city "Paris", district "Paris 7e Arrondissement".
    "geocoder/cities": pa.schema([
        ("postcode", _str),
        ("citycode", _str),        # INSEE code as BAN gives it (the arrondissement's: 75107)
        ("city", _str),            # the commune
        ("district", _str),        # the arrondissement, "" elsewhere
        ("oldcitycode", _str),     # merged commune (BAN code_insee_ancienne_commune), "" if none
        ("oldcity", _str),
        ("xy", _i8),               # 1: the source's x/y are Lambert-93 (results give them, computed)
    ]),
    # One row per address, grouped by street doc.
    "geocoder/housenumbers": pa.schema([
        ("id", _str),              # source id of the address
        ("number", _i32),
        ("suffix", _i16),          # row of geocoder/suffixes (0 = no suffix)
        ("lat_e7", _i32),          # degrees * 1e7
        ("lon_e7", _i32),
    ]),
    # House-number suffixes ("", "bis", "b", "s1" ...) and their loose form (b ~ bis).
    "geocoder/suffixes": pa.schema([
        ("suffix", _str),
        ("canon", _i16),           # row of the canonical spelling (bis, ter, quater) or itself
    ]),
    # Token dictionary sorted by UTF-8 bytes (a trie as a sorted array: prefix = row range).
    "geocoder/tokens": pa.schema([
        ("token", _str),
        ("docs", pa.list_(_i32)),  # CSR token -> doc_idx postings, ascending
    ]),
    # Character trigrams (3 UTF-8 bytes packed in a uint32, padded tokens) -> token ids.
    "geocoder/ngrams": pa.schema([
        ("ngram", _u32),           # ascending
        ("tokens", pa.list_(_i32)),
    ]),
    # Sound-alike keys (engine.geocoder.phonetic) sorted by UTF-8 bytes -> token ids having them.
    "geocoder/phonetic": pa.schema([
        ("key", _str),
        ("tokens", pa.list_(_i32)),
    ]),
    # One row per input with an attribution/licence (BAN: "BAN", "ETALAB-2.0"; OSM: ODbL).
    "geocoder/sources": pa.schema([
        ("attribution", _str),
        ("licence", _str),
    ]),
    # Reverse grid: points sorted by cell; ref >= 0 is a housenumbers row, ref < 0 is doc -(ref+1).
    "geocoder/grid_points": pa.schema([
        ("ref", _i32),
        ("lat_e7", _i32),
        ("lon_e7", _i32),
    ]),
    # Non-empty cells ascending, plus a last sentinel row (cell = INT64_MAX, start = n points).
    "geocoder/grid_cells": pa.schema([
        ("cell", _i64),            # (row << 17) | column, see engine.geocoder.tokens.cell_key
        ("start", _i32),           # first grid_points row of the cell
    ]),
})
# === end geocoder tables ===

# === fares tables (owned by engine/loaders/gtfs_fares.py, read by engine/fares) ===
# GTFS fares v1 (fare_attributes, fare_rules, stop zones) and v2 (products, leg and transfer
# rules, networks, areas, timeframes) of every feed; present only when some feed has fare files.
# Ids are "FEED:ID"; indices are rows of the named table, NO_IDX (-1) = field empty. Prices are
# int64 in the currency's minor unit (ISO 4217 digits: USD 6.40 -> 640, JPY 0 digits).
TABLES.update({
    "fares/agencies": pa.schema([("agency_id", _str)]),          # "FEED:" + agency_id ("" if none)
    "fares/zones": pa.schema([("zone_id", _str)]),               # stops.zone_id values, "FEED:ZONE"
    "fares/stops": pa.schema([("zone_idx", _i32)]),              # one row per timetable stop
    "fares/routes": pa.schema([
        ("agency_idx", _i32),      # row of fares/agencies of routes.agency_id, NO_IDX unknown
        ("network_idx", _i32),     # row of fares/networks (route_networks.txt or routes.network_id)
    ]),                            # one row per timetable route
    # v1: one row per kept fare_attributes.txt row
    "fares/attributes": pa.schema([
        ("fare_id", _str),
        ("price_minor", _i64),
        ("currency", _str),        # ISO 4217 code
        ("minor_digits", _i8),
        ("payment_method", _i8),   # 0 on board, 1 before boarding
        ("transfers", _i32),       # 0, 1, 2; NO_VALUE = empty (unlimited)
        ("transfer_duration_s", _i32),  # NO_VALUE = empty (no limit)
        ("agency_idx", _i32),      # row of fares/agencies, NO_IDX = any agency
        ("feed_idx", _i32),
    ]),
    # v1: one row per kept fare_rules.txt row
    "fares/rules": pa.schema([
        ("fare_idx", _i32), ("route_idx", _i32),   # route_idx: timetable/routes row
        ("origin_zone", _i32), ("destination_zone", _i32), ("contains_zone", _i32),  # fares/zones rows
    ]),
    # v2
    "fares/networks": pa.schema([("network_id", _str), ("name", _str)]),
    "fares/areas": pa.schema([("area_id", _str), ("name", _str)]),
    # stop_areas.txt, a station expanded to its platforms; sorted by (stop_idx, area_idx)
    "fares/stop_areas": pa.schema([("stop_idx", _i32), ("area_idx", _i32)]),
    # one row per product id: the default rider's price (cheapest fare medium; negative: a discount;
    # priced = 0: the default rider has none, amount_minor is then 0)
    "fares/products": pa.schema([
        ("product_id", _str), ("name", _str), ("amount_minor", _i64), ("currency", _str),
        ("minor_digits", _i8), ("priced", _i8),
    ]),
    # rider_categories.txt, one row per (feed, category)
    "fares/rider_categories": pa.schema([
        ("rider_category_id", _str),   # "FEED:ID"
        ("name", _str), ("is_default", _i8), ("eligibility_url", _str), ("feed_idx", _i32),
    ]),
    # fare_media.txt, one row per (feed, medium)
    "fares/fare_media": pa.schema([
        ("fare_media_id", _str),       # "FEED:ID"
        ("name", _str), ("media_type", _i8),   # fare_media_type 0-4, -1 unknown
        ("feed_idx", _i32),
    ]),
    # every usable fare_products.txt row, sorted by product: its rider category and medium
    # (NO_IDX: the field was empty, any category / any medium) and its price
    "fares/product_prices": pa.schema([
        ("product_idx", _i32), ("rider_idx", _i32), ("media_idx", _i32),   # fares/products, rider_categories,
        ("amount_minor", _i64), ("currency", _str), ("minor_digits", _i8),  # fare_media rows
    ]),
    # v1 (GTFS+ fare_rider_categories.txt): a rider category's price of a fares/attributes row,
    # in that fare's currency; sorted by fare
    "fares/attribute_prices": pa.schema([
        ("fare_idx", _i32), ("rider_idx", _i32),   # fares/attributes, fares/rider_categories rows
        ("price_minor", _i64),
    ]),
    "fares/leg_groups": pa.schema([("leg_group_id", _str)]),
    "fares/timeframe_groups": pa.schema([("timeframe_group_id", _str)]),
    "fares/timeframes": pa.schema([
        ("group_idx", _i32),       # row of fares/timeframe_groups
        ("start_s", _i32), ("end_s", _i32),   # local time of day, [start, end), 0..86400
        ("service_idx", _i32),     # timetable/services row: the days it applies
    ]),
    "fares/leg_rules": pa.schema([
        ("leg_group_idx", _i32), ("network_idx", _i32), ("from_area", _i32), ("to_area", _i32),
        ("from_timeframe", _i32), ("to_timeframe", _i32),   # fares/timeframe_groups rows
        ("product_idx", _i32),     # fares/products row (whether a rider has a price: its own)
        ("rule_priority", _i32),   # NO_VALUE = empty
        ("feed_idx", _i32),        # rules match legs of their own feed only
    ]),
    "fares/transfer_rules": pa.schema([
        ("from_leg_group", _i32), ("to_leg_group", _i32),   # fares/leg_groups rows, NO_IDX = empty
        ("transfer_count", _i32),  # -1 no limit (or empty)
        ("duration_limit_s", _i32),  # NO_VALUE = no limit
        ("duration_limit_type", _i8),  # 0..3, NO_VALUE without a limit
        ("fare_transfer_type", _i8),   # 0 A+AB, 1 A+AB+B, 2 AB
        ("product_idx", _i32),     # NO_IDX = free transfer
        ("feed_idx", _i32),
    ]),
    # fare_leg_join_rules.txt: two consecutive legs of the feed, the first of from_network, the
    # second of to_network, meeting at from_stop / to_stop (a stop or station; NO_IDX = both
    # empty: at one station), price as one effective fare leg (engine/fares/v2.py)
    "fares/leg_join_rules": pa.schema([
        ("from_network_idx", _i32), ("to_network_idx", _i32),   # fares/networks rows
        ("from_stop_idx", _i32), ("to_stop_idx", _i32),         # timetable/stops rows, NO_IDX = empty
        ("feed_idx", _i32),
    ]),
})
# === end fares tables ===


def fingerprint(schema: pa.Schema) -> str:
    """A short stable digest of a schema, stored in the manifest to detect format drift."""
    import hashlib

    text = ",".join(f"{f.name}:{f.type}" for f in schema)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def render_all() -> str:
    """All schemas as text (for the snapshot test that makes format changes visible)."""
    lines = [f"FORMAT_VERSION {FORMAT_VERSION}"]
    for name in sorted(TABLES):
        lines.append(f"[{name}]")
        lines.extend(f"  {f.name}: {f.type}" for f in TABLES[name])
    return "\n".join(lines) + "\n"
