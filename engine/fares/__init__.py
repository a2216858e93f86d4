"""Fares: the ``fares/*`` bundle tables as the v1 and v2 models, and what an itinerary costs.

QUERY TIME. ``load_v1`` / ``load_v2`` map columns (numeric columns stay memory-mapped;
the few string columns become lists once; ``load_v2`` picks one rider category's and fare
medium's prices, a few small arrays of rules and products): the parsing happened at build
(engine/loaders/gtfs_fares.py). ``engine.fares.v1`` holds the v1 semantics (shared with the
McRAPTOR fare criterion), ``engine.fares.v2`` the v2 ones, ``engine.fares.pricing`` turns an
itinerary's legs into rides and a ``Fare``. docs/fares.md says what is supported.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..bundle.reader import Bundle
    from .v1 import FaresV1
    from .v2 import FaresV2

__all__ = ["FareMedium", "RiderCategory", "fare_media", "has_fares", "load_v1", "load_v2", "rider_categories"]


def has_fares(bundle: Bundle) -> bool:
    """Whether the bundle was built from at least one feed with fare files."""
    return bundle.has("fares/attributes")


def _has_rows(bundle: Bundle, table: str) -> bool:
    """Whether the bundle has fares and ``table`` is not empty (what decides v1 / v2 support)."""
    return has_fares(bundle) and bundle.manifest["tables"][table]["rows"] > 0


def _strings(bundle: Bundle, table: str, column: str) -> list[str]:
    """A string column as a Python list, once per load: it is indexed per ticket at query time."""
    return bundle.strings(table, column).to_pylist()


def load_v1(bundle: Bundle, rider: str | None = None) -> FaresV1 | None:
    """The GTFS fares v1 of the bundle (None when no feed has fare_attributes.txt rows), priced
    for rider category ``rider`` (GTFS+ fare_rider_categories.txt, its id as the feeds write it;
    None: fare_attributes.txt's prices): a fare gets that category's price, and a fare the
    category has no price for is not sold to it (engine/fares/v1.py ``sold``). ValueError: no
    feed has that category for fares v1."""
    if not _has_rows(bundle, "fares/attributes"):
        return None
    from .v1 import FaresV1

    col = bundle.column
    price, sold = col("fares/attributes", "price_minor"), None
    if rider is not None:
        riders = _rows_named(bundle, "fares/rider_categories", "rider_category_id", rider)
        prices = bundle.table("fares/attribute_prices")
        fare_idx, rider_idx = prices.column("fare_idx").to_numpy(), prices.column("rider_idx").to_numpy()
        mine = np.isin(rider_idx, riders)
        if not mine.any():
            raise ValueError(f"no feed of the bundle prices fares v1 for the rider category {rider!r}")
        price = np.array(price, np.int64)
        sold = np.zeros(len(price), bool)
        price[fare_idx[mine]] = prices.column("price_minor").to_numpy()[mine]
        sold[fare_idx[mine]] = True
    return FaresV1(
        fare_ids=_strings(bundle, "fares/attributes", "fare_id"),
        price_minor=price,
        currency=_strings(bundle, "fares/attributes", "currency"),
        minor_digits=col("fares/attributes", "minor_digits"),
        transfers=col("fares/attributes", "transfers"),
        transfer_duration_s=col("fares/attributes", "transfer_duration_s"),
        fare_agency=col("fares/attributes", "agency_idx"),
        route_agency=col("fares/routes", "agency_idx"),
        rule_fare=col("fares/rules", "fare_idx"),
        rule_route=col("fares/rules", "route_idx"),
        rule_origin=col("fares/rules", "origin_zone"),
        rule_destination=col("fares/rules", "destination_zone"),
        rule_contains=col("fares/rules", "contains_zone"),
        stop_zone=col("fares/stops", "zone_idx"),
        zone_ids=_strings(bundle, "fares/zones", "zone_id"),
        sold=sold,
        rider_category=rider,
    )


def rider_categories(bundle: Bundle) -> list[RiderCategory]:
    """The rider categories of the bundle (fares v2 rider_categories.txt; fares v1: GTFS+
    fare_rider_categories.txt's), one per id (a merged bundle's feeds may each define "youth":
    one category, priced in each feed by that feed's), in first-seen order."""
    if not _has_rows(bundle, "fares/rider_categories"):
        return []
    out: dict[str, RiderCategory] = {}
    ids = _strings(bundle, "fares/rider_categories", "rider_category_id")
    names = _strings(bundle, "fares/rider_categories", "name")
    urls = _strings(bundle, "fares/rider_categories", "eligibility_url")
    defaults = bundle.column("fares/rider_categories", "is_default").tolist()
    for full, name, url, default in zip(ids, names, urls, defaults):
        cid = full.split(":", 1)[1]
        first = out.setdefault(cid, RiderCategory(cid, name, bool(default), url or None))
        if default and not first.is_default:        # (the default in some feed: the default)
            out[cid] = RiderCategory(cid, first.name, True, first.eligibility_url)
    return list(out.values())


@dataclass(frozen=True)
class RiderCategory:
    """A rider category (fares v2 rider_categories.txt, or GTFS+ for fares v1): its id as the
    feeds write it."""

    id: str
    name: str
    is_default: bool
    eligibility_url: str | None = None


def fare_media(bundle: Bundle) -> list[FareMedium]:
    """The fares v2 fare media of the bundle (fare_media.txt), one per id, in first-seen order."""
    if not _has_rows(bundle, "fares/leg_rules") or not bundle.has("fares/fare_media"):
        return []
    out: dict[str, FareMedium] = {}
    kinds = bundle.column("fares/fare_media", "media_type").tolist()
    for full, name, kind in zip(_strings(bundle, "fares/fare_media", "fare_media_id"),
                                _strings(bundle, "fares/fare_media", "name"), kinds):
        mid = full.split(":", 1)[1]
        out.setdefault(mid, FareMedium(mid, name, MEDIA_TYPES.get(kind)))
    return list(out.values())


#: fare_media_type values (the reference's)
MEDIA_TYPES = {0: "none", 1: "paper ticket", 2: "transit card", 3: "contactless (cEMV)", 4: "mobile app"}


@dataclass(frozen=True)
class FareMedium:
    """A fares v2 fare medium (fare_media.txt): its id as the feeds write it."""

    id: str
    name: str
    type: str | None           # MEDIA_TYPES' word, None when the feed gave none (or a bad one)


def _rows_named(bundle: Bundle, table: str, column: str, wanted: str) -> list[int]:
    """Rows of a fares table whose "FEED:ID" id is ``wanted`` in some feed."""
    if not bundle.has(table):
        return []
    return [i for i, full in enumerate(_strings(bundle, table, column)) if full.split(":", 1)[1] == wanted]


def load_v2(bundle: Bundle, rider: str | None = None, medium: str | None = None) -> FaresV2 | None:
    """The GTFS fares v2 of the bundle (None when no feed has fare_leg_rules.txt rows), priced for
    rider category ``rider`` (its id as the feeds write it: rider_categories; None: each feed's
    default rider) paying with fare medium ``medium`` (fare_media; None: the cheapest). A
    product row serves a rider when its rider_category_id is that category or empty ("eligible
    for any rider category"), a medium when its fare_media_id is that medium or empty (read as
    any); a product gets the cheapest row that serves both. One the rider has no price for
    leaves the legs it would price with an unknown fare, and the transfer rules it would be
    bought for do not apply (engine/fares/v2.py). ValueError: no feed has that category or
    medium."""
    if not _has_rows(bundle, "fares/leg_rules"):
        return None
    from .v2 import FaresV2

    col = bundle.column
    n_products = bundle.manifest["tables"]["fares/products"]["rows"]
    if rider is None and medium is None:
        # (the default rider, the cheapest medium: kept so at build, nothing to pick)
        amounts = col("fares/products", "amount_minor")
        priced = col("fares/products", "priced").astype(bool)
        currency = _strings(bundle, "fares/products", "currency")
        digits = col("fares/products", "minor_digits")
    else:
        riders = _rows_named(bundle, "fares/rider_categories", "rider_category_id", rider) if rider is not None \
            else np.flatnonzero(col("fares/rider_categories", "is_default")).tolist()
        if rider is not None and not riders:
            raise ValueError(f"no feed of the bundle has the rider category {rider!r}")
        media = _rows_named(bundle, "fares/fare_media", "fare_media_id", medium) if medium is not None else None
        if medium is not None and not media:
            raise ValueError(f"no feed of the bundle has the fare medium {medium!r}")
        prices = bundle.table("fares/product_prices")
        r_idx, m_idx = prices.column("rider_idx").to_numpy(), prices.column("media_idx").to_numpy()
        serves = (r_idx < 0) | np.isin(r_idx, riders)
        if media is not None:
            serves &= (m_idx < 0) | np.isin(m_idx, media)
        amounts = np.zeros(n_products, np.int64)
        priced = np.zeros(n_products, bool)
        currency = [""] * n_products
        digits = np.full(n_products, 2, np.int8)
        rows = list(zip(prices.column("product_idx").to_numpy()[serves].tolist(),
                        prices.column("amount_minor").to_numpy()[serves].tolist(),
                        np.asarray(prices.column("currency").to_pylist(), object)[serves].tolist(),
                        prices.column("minor_digits").to_numpy()[serves].tolist()))
        # amounts of two currencies are never compared: a product sold in several picks its
        # default price's currency when a row serves in it, else its first serving row's
        default_currency = _strings(bundle, "fares/products", "currency")
        default_priced = col("fares/products", "priced").astype(bool)
        chosen: dict[int, str] = {}
        for p, _, cur, _ in rows:
            if chosen.get(p) != cur and (p not in chosen or (default_priced[p] and cur == default_currency[p])):
                chosen[p] = cur
        for p, amount, cur, d in rows:
            if cur == chosen[p] and (not priced[p] or amount < amounts[p]):
                amounts[p], priced[p], currency[p], digits[p] = amount, True, cur, d
    if rider is None:
        default = [c.id for c in rider_categories(bundle) if c.is_default]
        rider = default[0] if len(default) == 1 else None
    # a rule whose product the rider has no price for: the legs it prices have no fare (NO_IDX),
    # a transfer rule is dropped (it cannot be bought)
    leg_product = np.asarray(col("fares/leg_rules", "product_idx"), np.int32)
    leg_product = np.where((leg_product >= 0) & priced[np.maximum(leg_product, 0)], leg_product, -1).astype(np.int32)
    tr_product = np.asarray(col("fares/transfer_rules", "product_idx"), np.int32)
    keep = (tr_product < 0) | priced[np.maximum(tr_product, 0)] if len(tr_product) else np.zeros(0, bool)

    def tr(name: str) -> np.ndarray:
        return np.asarray(col("fares/transfer_rules", name))[keep]

    joins = {}
    if _has_rows(bundle, "fares/leg_join_rules"):
        parent = np.asarray(col("timetable/stops", "parent_idx"), np.int32)
        joins = {f"join_{name}": np.asarray(col("fares/leg_join_rules", f"{name}_idx"), np.int32)
                 for name in ("from_network", "to_network", "from_stop", "to_stop", "feed")}
        joins["stop_station"] = np.where(parent >= 0, parent, np.arange(len(parent), dtype=np.int32)).astype(np.int32)

    return FaresV2(
        product_ids=_strings(bundle, "fares/products", "product_id"),
        product_names=_strings(bundle, "fares/products", "name"),
        product_amount_minor=amounts,
        product_currency=currency,
        product_minor_digits=digits,
        route_network=col("fares/routes", "network_idx"),
        stop_area_stop=col("fares/stop_areas", "stop_idx"),
        stop_area_area=col("fares/stop_areas", "area_idx"),
        timeframe_group=col("fares/timeframes", "group_idx"),
        timeframe_start_s=col("fares/timeframes", "start_s"),
        timeframe_end_s=col("fares/timeframes", "end_s"),
        timeframe_service=col("fares/timeframes", "service_idx"),
        leg_group=col("fares/leg_rules", "leg_group_idx"),
        leg_network=col("fares/leg_rules", "network_idx"),
        leg_from_area=col("fares/leg_rules", "from_area"),
        leg_to_area=col("fares/leg_rules", "to_area"),
        leg_from_timeframe=col("fares/leg_rules", "from_timeframe"),
        leg_to_timeframe=col("fares/leg_rules", "to_timeframe"),
        leg_product=leg_product,
        leg_priority=col("fares/leg_rules", "rule_priority"),
        leg_feed=col("fares/leg_rules", "feed_idx"),
        tr_from_group=tr("from_leg_group"),
        tr_to_group=tr("to_leg_group"),
        tr_count=tr("transfer_count"),
        tr_duration_s=tr("duration_limit_s"),
        tr_duration_type=tr("duration_limit_type"),
        tr_type=tr("fare_transfer_type"),
        tr_product=tr("product_idx"),
        tr_feed=tr("feed_idx"),
        leg_group_ids=_strings(bundle, "fares/leg_groups", "leg_group_id"),
        rider_category=rider,
        fare_medium=medium,
        **joins,
    )
