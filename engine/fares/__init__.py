"""Fares: the ``fares/*`` bundle tables as the v1 and v2 models, and what an itinerary costs.

QUERY TIME. ``load_v1`` / ``load_v2`` only map columns (numeric columns stay memory-mapped;
the few string columns become lists once): the parsing happened at build
(engine/loaders/gtfs_fares.py). ``engine.fares.v1`` holds the v1 semantics (shared with the
McRAPTOR fare criterion), ``engine.fares.v2`` the v2 ones, ``engine.fares.pricing`` turns an
itinerary's legs into rides and a ``Fare``. docs/fares.md says what is supported.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..bundle.reader import Bundle
    from .v1 import FaresV1
    from .v2 import FaresV2

__all__ = ["has_fares", "load_v1", "load_v2"]


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


def load_v2(bundle: Bundle) -> FaresV2 | None:
    """The GTFS fares v2 of the bundle (None when no feed has fare_leg_rules.txt rows)."""
    if not _has_rows(bundle, "fares/leg_rules"):
        return None
    from .v2 import FaresV2

    col = bundle.column
    return FaresV2(
        product_ids=_strings(bundle, "fares/products", "product_id"),
        product_names=_strings(bundle, "fares/products", "name"),
        product_amount_minor=col("fares/products", "amount_minor"),
        product_currency=_strings(bundle, "fares/products", "currency"),
        product_minor_digits=col("fares/products", "minor_digits"),
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
        leg_product=col("fares/leg_rules", "product_idx"),
        leg_priority=col("fares/leg_rules", "rule_priority"),
        leg_feed=col("fares/leg_rules", "feed_idx"),
        tr_from_group=col("fares/transfer_rules", "from_leg_group"),
        tr_to_group=col("fares/transfer_rules", "to_leg_group"),
        tr_count=col("fares/transfer_rules", "transfer_count"),
        tr_duration_s=col("fares/transfer_rules", "duration_limit_s"),
        tr_duration_type=col("fares/transfer_rules", "duration_limit_type"),
        tr_type=col("fares/transfer_rules", "fare_transfer_type"),
        tr_product=col("fares/transfer_rules", "product_idx"),
        tr_feed=col("fares/transfer_rules", "feed_idx"),
        leg_group_ids=_strings(bundle, "fares/leg_groups", "leg_group_id"),
    )
