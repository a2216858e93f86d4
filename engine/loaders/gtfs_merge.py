"""Several FeedParts -> one StagedTimetable: ids prefixed "FEED:", indices made global, one period.

The global period runs from the earliest to the latest service date of all feeds; each feed's
day matrix is placed at its offset in the [n_services, n_days] matrix.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine._types import NO_IDX
from engine.loaders.gtfs_feed import FeedPart
from engine.timetable.staging import BuildReport, FeedInfo, StagedTimetable

_EPOCH = dt.date(1970, 1, 1)


def _prefix(name: str, ids: pa.Array) -> pa.Array:
    if len(ids) == 0:
        return pa.array([], pa.string())
    return pc.binary_join_element_wise(pa.scalar(name, pa.string()), ids, ":")


def _cat(parts: list[pa.Array]) -> pa.Array:
    parts = [p.cast(pa.string()) for p in parts]
    return pa.concat_arrays(parts) if parts else pa.array([], pa.string())


def _cat_np(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _shift(idx: np.ndarray, base: int) -> np.ndarray:
    """Add ``base`` to valid indices, keep NO_IDX."""
    return np.where(idx >= 0, idx + base, NO_IDX)


def merge_feeds(parts: list[FeedPart], report: BuildReport) -> StagedTimetable:
    stop_base = np.cumsum([0] + [len(p.stops.ids) for p in parts])
    route_base = np.cumsum([0] + [len(p.routes.ids) for p in parts])
    service_base = np.cumsum([0] + [len(p.calendar.service_ids) for p in parts])
    fidx = [np.full(n, i, np.int32) for i, n in enumerate(np.diff(stop_base))]

    stops = pa.table({
        "stop_id": _cat([_prefix(p.name, p.stops.ids) for p in parts]),
        "stop_code": _cat([p.stops.code for p in parts]),
        "name": _cat([p.stops.name for p in parts]),
        "lat": _cat_np([p.stops.lat for p in parts], np.float64),
        "lon": _cat_np([p.stops.lon for p in parts], np.float64),
        "location_type": _cat_np([p.stops.location_type for p in parts], np.int8),
        "parent_idx": _cat_np([_shift(p.stops.parent, int(stop_base[i]))
                               for i, p in enumerate(parts)], np.int32),
        "feed_idx": _cat_np(fidx, np.int32),
        "timezone": _cat([p.stops.timezone for p in parts]),
        "platform_code": _cat([p.stops.platform_code for p in parts]),
        "wheelchair_boarding": _cat_np([p.stops.wheelchair for p in parts], np.int8),
    })
    routes = pa.table({
        "route_id": _cat([_prefix(p.name, p.routes.ids) for p in parts]),
        "agency_name": _cat([p.routes.agency_name for p in parts]),
        "short_name": _cat([p.routes.short_name for p in parts]),
        "long_name": _cat([p.routes.long_name for p in parts]),
        "route_type": _cat_np([p.routes.route_type for p in parts], np.int32),
        "color": _cat([p.routes.color for p in parts]),
        "text_color": _cat([p.routes.text_color for p in parts]),
        "feed_idx": _cat_np([np.full(len(p.routes.ids), i, np.int32)
                             for i, p in enumerate(parts)], np.int32),
    })
    shape_id_parts = [pc.if_else(pc.equal(pc.binary_length(p.trips.shape_id), 0),
                                 pa.scalar("", pa.string()), _prefix(p.name, p.trips.shape_id))
                      if len(p.trips.shape_id) else pa.array([], pa.string()) for p in parts]
    trips = pa.table({
        "trip_id": _cat([_prefix(p.name, p.trips.ids) for p in parts]),
        "route_idx": _cat_np([p.trips.route + route_base[i] for i, p in enumerate(parts)],
                             np.int32),
        "service_idx": _cat_np([p.trips.service + service_base[i] for i, p in enumerate(parts)],
                               np.int32),
        "headsign": _cat([p.trips.headsign for p in parts]),
        "short_name": _cat([p.trips.short_name for p in parts]),
        "direction_id": _cat_np([p.trips.direction for p in parts], np.int8),
        "shape_id": _cat(shape_id_parts),
        "wheelchair_accessible": _cat_np([p.trips.wheelchair for p in parts], np.int8),
        "bikes_allowed": _cat_np([p.trips.bikes for p in parts], np.int8),
        "feed_idx": _cat_np([np.full(len(p.trips.ids), i, np.int32)
                             for i, p in enumerate(parts)], np.int32),
    })
    st_base = np.cumsum([0] + [int(p.trip_offsets[-1]) for p in parts])
    trip_offsets = np.concatenate([[0]] + [p.trip_offsets[1:] + st_base[i]
                                           for i, p in enumerate(parts)]).astype(np.int64)
    services = pa.table({
        "service_id": _cat([_prefix(p.name, p.calendar.service_ids) for p in parts]),
        "feed_idx": _cat_np([np.full(len(p.calendar.service_ids), i, np.int32)
                             for i, p in enumerate(parts)], np.int32),
    })
    days, first = _merge_days(parts, int(service_base[-1]))

    shape_offsets = [np.zeros(1, np.int64)]
    base = 0
    for p in parts:
        shape_offsets.append(p.shape_offsets[1:] + base)
        base += int(p.shape_offsets[-1])
    shape_ids: list[str] = []
    for p in parts:
        shape_ids.extend(_prefix(p.name, p.shape_ids).to_pylist())

    return StagedTimetable(
        feeds=[FeedInfo(p.name, p.timezone, p.agency_names, p.source, p.sha256) for p in parts],
        stops=stops, routes=routes, trips=trips, trip_offsets=trip_offsets,
        st_stop_idx=_cat_np([p.st.stop + stop_base[i] for i, p in enumerate(parts)], np.int32),
        st_arr=_cat_np([p.st.arr for p in parts], np.int32),
        st_dep=_cat_np([p.st.dep for p in parts], np.int32),
        st_pickup=_cat_np([p.st.pickup for p in parts], np.uint8),
        st_dropoff=_cat_np([p.st.dropoff for p in parts], np.uint8),
        st_seq=_cat_np([p.st.seq if p.st.seq is not None else _positions(p.trip_offsets)
                        for p in parts], np.int32),
        services=services, service_days=days, period_start=_EPOCH + dt.timedelta(days=first),
        transfer_from=_cat_np([p.transfers.from_stop + stop_base[i]
                               for i, p in enumerate(parts)], np.int32),
        transfer_to=_cat_np([p.transfers.to_stop + stop_base[i] for i, p in enumerate(parts)],
                            np.int32),
        transfer_type=_cat_np([p.transfers.type for p in parts], np.int8),
        transfer_min_time=_cat_np([p.transfers.min_time for p in parts], np.int32),
        shape_ids=shape_ids, shape_offsets=np.concatenate(shape_offsets).astype(np.int64),
        shape_lat=_cat_np([p.shape_lat for p in parts], np.float64),
        shape_lon=_cat_np([p.shape_lon for p in parts], np.float64),
        pathway_from=_cat_np([p.pathways.from_stop + stop_base[i] for i, p in enumerate(parts)], np.int32),
        pathway_to=_cat_np([p.pathways.to_stop + stop_base[i] for i, p in enumerate(parts)], np.int32),
        pathway_step_free=_cat_np([p.pathways.step_free for p in parts], bool),
        pathway_seconds=_cat_np([p.pathways.seconds for p in parts], np.int32),
        pathway_length_m=_cat_np([p.pathways.length_m for p in parts], np.float64),
        pathway_mode=_cat_np([p.pathways.mode for p in parts], np.int8),
        pathway_sign=[sign for p in parts for sign in p.pathways.sign],
        report=report)


def _merge_days(parts: list[FeedPart], n_services: int) -> tuple[np.ndarray, int]:
    """Global bool matrix and its first day (days since 1970-01-01)."""
    spans = [(p.calendar.first_day, p.calendar.first_day + p.calendar.days.shape[1])
             for p in parts if p.calendar.days.shape[1] > 0]
    if not spans:
        return np.zeros((n_services, 0), bool), (dt.date.today() - _EPOCH).days
    first = min(s for s, _ in spans)
    last = max(e for _, e in spans)
    days = np.zeros((n_services, last - first), bool)
    row = 0
    for p in parts:
        m = p.calendar.days
        if m.shape[1]:
            off = p.calendar.first_day - first
            days[row:row + m.shape[0], off:off + m.shape[1]] = m
        row += m.shape[0]
    return days, first


def _positions(trip_offsets: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within each trip: the stop_sequence of rows that did not keep theirs."""
    counts = np.diff(np.asarray(trip_offsets, np.int64))
    return np.arange(int(counts.sum())) - np.repeat(np.asarray(trip_offsets[:-1], np.int64), counts)
