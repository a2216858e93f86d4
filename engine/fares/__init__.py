"""Fares: the ``fares/*`` bundle tables as the v1 and v2 models, and what an itinerary costs.

QUERY TIME. ``load_v1`` / ``load_v2`` map columns (numeric columns stay memory-mapped;
the few string columns become lists once; ``load_v2`` picks one rider category's prices, a
few small arrays of rules and products): the parsing happened at build
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

__all__ = ["RiderCategory", "has_fares", "load_v1", "load_v2", "rider_categories"]


def has_fares(bundle: Bundle) -> bool:
    """Whether the bundle was built from at least one feed with fare files."""
    return bundle.has("fares/attributes")


def _has_rows(bundle: Bundle, table: str) -> bool:
    """Whether the bundle has fares and ``table`` is not empty (what decides v1 / v2 support)."""
    return has_fares(bundle) and bundle.manifest["tables"][table]["rows"] > 0


def _strings(bundle: Bundle, table: str, column: str) -> list[str]:
    """A string column as a Python list, once per load: it is indexed per ticket at query time."""
    return bundle.strings(table, column).to_pylist()


def load_v1(bundle: Bundle) -> FaresV1 | None:
    """The GTFS fares v1 of the bundle (None when no feed has fare_attributes.txt rows)."""
    if not _has_rows(bundle, "fares/attributes"):
        return None
    from .v1 import FaresV1

    col = bundle.column
    return FaresV1(
        fare_ids=_strings(bundle, "fares/attributes", "fare_id"),
        price_minor=col("fares/attributes", "price_minor"),
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
    )


def rider_categories(bundle: Bundle) -> list[RiderCategory]:
    """The fares v2 rider categories of the bundle, one per id (a merged bundle's feeds may each
    define "youth": one category, priced in each feed by that feed's), in first-seen order."""
    if not _has_rows(bundle, "fares/leg_rules") or not bundle.has("fares/rider_categories"):
        return []
    out: dict[str, RiderCategory] = {}
    ids = _strings(bundle, "fares/rider_categories", "rider_category_id")
    names = _strings(bundle, "fares/rider_categories", "name")
    urls = _strings(bundle, "fares/rider_categories", "eligibility_url")
    defaults = bundle.column("fares/rider_categories", "is_default").tolist()
    for full, name, url, default in zip(ids, names, urls, defaults):
        cid = full.split(":", 1)[1]
        known = out.get(cid)
        out[cid] = RiderCategory(cid, known.name if known else name, bool(default) or (known is not None and
                                                                                    known.is_default),
                                 known.eligibility_url if known else (url or None))
    return list(out.values())


@dataclass(frozen=True)
class RiderCategory:
    """A fares v2 rider category (rider_categories.txt): its id as the feeds write it."""

    id: str
    name: str
    is_default: bool
    eligibility_url: str | None = None


def load_v2(bundle: Bundle, rider: str | None = None) -> FaresV2 | None:
    """The GTFS fares v2 of the bundle (None when no feed has fare_leg_rules.txt rows), priced for
    rider category ``rider`` (its id as the feeds write it, rider_categories) or, None, for
    each feed's default rider. A product the rider has no price for leaves the legs it would
    price with an unknown fare, and the transfer rules it would be bought for do not apply
    (engine/fares/v2.py). ValueError: no feed has that category."""
    if not _has_rows(bundle, "fares/leg_rules"):
        return None
    from .v2 import FaresV2

    col = bundle.column
    n_products = bundle.manifest["tables"]["fares/products"]["rows"]
    if rider is None:
        amounts = col("fares/products", "amount_minor")
        priced = col("fares/products", "priced").astype(bool)
        currency = _strings(bundle, "fares/products", "currency")
        digits = col("fares/products", "minor_digits")
        default = [c.id for c in rider_categories(bundle) if c.is_default]
        category = default[0] if len(default) == 1 else None
    else:
        ids = _strings(bundle, "fares/rider_categories", "rider_category_id") \
            if bundle.has("fares/rider_categories") else []
        rows = [i for i, full in enumerate(ids) if full.split(":", 1)[1] == rider]
        if not rows:
            raise ValueError(f"no feed of the bundle has the rider category {rider!r}")
        amounts = np.zeros(n_products, np.int64)
        priced = np.zeros(n_products, bool)
        currency = [""] * n_products
        digits = np.full(n_products, 2, np.int8)
        prices = bundle.table("fares/product_prices")
        mine = np.isin(prices.column("rider_idx").to_numpy(), rows)
        for p, amount, cur, d in zip(prices.column("product_idx").to_numpy()[mine].tolist(),
                                     prices.column("amount_minor").to_numpy()[mine].tolist(),
                                     np.asarray(prices.column("currency").to_pylist(), object)[mine].tolist(),
                                     prices.column("minor_digits").to_numpy()[mine].tolist()):
            amounts[p], priced[p], currency[p], digits[p] = amount, True, cur, d
        category = rider
        # a feed without rider categories: its products are everyone's (an empty
        # rider_category_id, "eligible for any rider category"): the default price
        with_categories = set(col("fares/rider_categories", "feed_idx").tolist())
        others = set()
        for table in ("fares/leg_rules", "fares/transfer_rules"):
            for p, feed in zip(col(table, "product_idx").tolist(), col(table, "feed_idx").tolist()):
                if p >= 0 and feed not in with_categories:
                    others.add(p)
        if others:
            default_priced = col("fares/products", "priced").astype(bool)
            default_currency = _strings(bundle, "fares/products", "currency")
            for p in others:
                amounts[p], priced[p] = col("fares/products", "amount_minor")[p], default_priced[p]
                currency[p], digits[p] = default_currency[p], col("fares/products", "minor_digits")[p]
    # a rule whose product the rider has no price for: the legs it prices have no fare (NO_IDX),
    # a transfer rule is dropped (it cannot be bought)
    leg_product = np.asarray(col("fares/leg_rules", "product_idx"), np.int32)
    leg_product = np.where((leg_product >= 0) & priced[np.maximum(leg_product, 0)], leg_product, -1).astype(np.int32)
    tr_product = np.asarray(col("fares/transfer_rules", "product_idx"), np.int32)
    keep = (tr_product < 0) | priced[np.maximum(tr_product, 0)] if len(tr_product) else np.zeros(0, bool)

    def tr(name: str) -> np.ndarray:
        return np.asarray(col("fares/transfer_rules", name))[keep]

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
        rider_category=category,
    )
