"""Street-level reach: the travel time from an origin to every street node and every stop, by
the streets alone or with transit (``reach``), and the node times that isochrones contour.

Model (the one of ``Network.plan``, door to door): from a point, the streets of ``mode`` (walk
or bike) lead directly to every node, and, within ``max_access_s``, to stops; RAPTOR carries on
from there; from every stop reached by transit, the same mode's streets lead on (a stop enters
the street graph through its link, as for egress). A node's time at one departure minute is
its earliest arrival minus that minute (waiting at the origin counts), whole seconds rounded
up; over a window (one departure per minute) it is the percentile P of those, R5's nearest
rank: the value at index ceil(P / 100 * n) - 1 of the n sorted minutes, unreached last (the
matrix's rule too: engine.accessibility.matrix).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .. import _isochrone
from .._types import UNREACHED
from ..raptor.request import hms
from ..timetable.station_access import exits, street_seeds, through_entrances
from .graph import ModeView, views
from .request import DEFAULT_ACCESS_S, DEFAULT_MIN_CHANGE_S, AccessRequest, check_request
from .transit import minute_arrivals


@dataclass(frozen=True, slots=True)
class NodeTimes:
    """Travel times (seconds, UNREACHED over the limit) of one request, at its percentile."""

    request: AccessRequest
    view: ModeView
    node_s: np.ndarray           # int32 [n_nodes]
    stop_s: np.ndarray           # int32 [n_stops] (empty without a timetable or with_stops=False)


def origin_sources(net, req: AccessRequest, view: ModeView) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(segment, t, connector ms) where the origin enters the streets: the snapped point, or the
    links of a stop origin's platforms (those linked to the mode)."""
    if req.origin is not None:
        snap = net.streets.snap(req.origin[0], req.origin[1], req.mode, "origin")
        return (np.array([snap.segment], np.int32), np.array([snap.t], np.float64),
                np.array([snap.conn_ms], np.int64))
    # (platforms inside a station leave it through its entrances: the pathways' time first)
    _, stops, inside_s = exits(net.timetable, np.asarray(req.origin_stops, dtype=np.int64))
    linked = view.stop_seg[stops] >= 0
    stops, inside_s = stops[linked], inside_s[linked]
    return (np.ascontiguousarray(view.stop_seg[stops], np.int32),
            np.ascontiguousarray(view.stop_t[stops], np.float64),
            np.ascontiguousarray(view.stop_conn_ms[stops] + 1000 * inside_s, np.int64))


def node_times(net, req: AccessRequest, limit_s: int | None = None, with_stops: bool = True) -> NodeTimes:
    """Every node's and stop's travel time for ``req`` (up to ``limit_s``, default its
    max_time_s), at its percentile over the departure minutes. ``with_stops=False``: the nodes
    only (isochrones; skips the street search to the stops and the per-stop percentiles)."""
    limit_s = req.max_time_s if limit_s is None else int(limit_s)
    v = views(net.streets.graph)
    view = v.mode(req.mode)
    o_seg, o_t, o_ms = origin_sources(net, req, view)
    n_stops = len(view.stop_seg)
    departures = req.departures
    if req.transit and n_stops:
        arrivals = minute_arrivals(net, req)
    else:
        # the streets alone: every minute gives the same times, so one departure (not n_nodes x
        # minutes of per-minute scratch and passes for the same answer)
        departures = departures[:1]
        arrivals = np.full((1, n_stops), UNREACHED, dtype=np.int32)
    # (a platform inside a station enters the streets through its entrances: its arrival plus
    # the walk out, timetable/station_gates)
    seeds = street_seeds(net.timetable, arrivals, UNREACHED) if net.timetable is not None else arrivals
    nodes = _isochrone.run_node_percentiles(
        view.iso, v.workspace(req.mode), o_seg, o_t, o_ms, departures, seeds, view.stop_seg,
        view.stop_t, view.stop_conn_ms, limit_s, np.array([req.percentile], np.int32))[0]
    stop_s = _stop_times(net, req, departures, arrivals, limit_s) if with_stops else np.empty(0, np.int32)
    return NodeTimes(req, view, nodes, stop_s)


def _stop_times(net, req: AccessRequest, departures: np.ndarray, arrivals: np.ndarray,
                limit_s: int) -> np.ndarray:
    """Per stop: the percentile over minutes of min(transit arrival - departure, the street
    time from the origin); UNREACHED over the limit."""
    if net.timetable is None:
        return np.empty(0, np.int32)
    n_stops = arrivals.shape[1]
    street = np.full(n_stops, UNREACHED, dtype=np.int64)
    if req.origin is not None:
        reach = net.streets.stops_within(req.origin[0], req.origin[1], req.mode, limit_s,
                                         parameter="origin")
        stops, seconds, _, _ = through_entrances(net.timetable, np.asarray(reach.stop_idx, np.int32),
                                                 np.asarray(reach.duration_s, np.int32))
        street[stops] = seconds
    else:
        street[list(req.origin_stops)] = 0
    times = np.where(arrivals < UNREACHED, arrivals.astype(np.int64) - departures[:, None], UNREACHED)
    times = np.minimum(times, street[None, :])
    times[times > limit_s] = UNREACHED
    k = _isochrone.percentile_index(len(departures), req.percentile)
    return np.partition(times, k, axis=0)[k].astype(np.int32)


def reach(net, origin, *, date=None, time=None, mode: str = "walk", max_time_s: int = 3600,
          window_s: int = 0, percentile: int = 50, transit: bool | None = None, max_transfers: int = 4,
          min_change_time: int = DEFAULT_MIN_CHANGE_S, max_access_s: int = DEFAULT_ACCESS_S) -> pa.Table:
    """Travel time from ``origin`` to every street node and every stop within ``max_time_s``.

    Parameters
    ----------
    net : engine.Network with streets (BundleError otherwise).
    origin : ``(lat, lon)`` or ``"lat,lon"`` (snapped onto the mode's streets), or a stop id or
        name (its platforms, on the streets through their links, and boarding there).
    date, time : departure (YYYY-MM-DD, "HH:MM[:SS]" on the feed's clock); required with transit.
    mode : "walk" or "bike": the streets from the origin, to stops and on from stops.
    max_time_s : 1..21600 seconds.
    window_s : 0 (one departure at ``time``) or up to 7200: one departure per minute in
        [time, time + window_s), and each time is the ``percentile`` (1..100) over them (nearest
        rank, R5's definition: index ceil(P / 100 * n) - 1 of the sorted minutes).
    transit : use the timetable (default: when the bundle has one).
    max_transfers, min_change_time, max_access_s : as ``Network.plan`` (access: seconds of
        street from a point to its first stops).

    Returns
    -------
    pyarrow.Table, one row per reached node (``kind`` "node", ``idx`` = node_idx) then per
    reached stop (``kind`` "stop", ``idx`` = stop_idx, ``stop_id``), each with ``lat``, ``lon``
    and ``travel_time_s`` (int32 seconds, <= max_time_s), by kind then index. The schema's
    metadata holds the request (origin, date, time, mode, window_s, percentile).
    """
    req = check_request(net, origin, date=date, time=time, mode=mode, max_time_s=max_time_s,
                        window_s=window_s, percentile=percentile, transit=transit,
                        max_transfers=max_transfers, min_change_time=min_change_time,
                        max_access_s=max_access_s)
    times = node_times(net, req)
    g = net.streets.graph
    nodes = np.flatnonzero(times.node_s <= req.max_time_s).astype(np.int32)
    stops = np.flatnonzero(times.stop_s <= req.max_time_s).astype(np.int32)
    n_nodes, n_stops = len(nodes), len(stops)
    if n_stops:
        ids = net.bundle.strings("timetable/stops", "stop_id").take(pa.array(stops))
        stop_lat = net.timetable.stop_lat[stops]
        stop_lon = net.timetable.stop_lon[stops]
    else:
        ids, stop_lat, stop_lon = pa.array([], pa.string()), np.empty(0), np.empty(0)
    table = pa.table({
        "kind": pa.DictionaryArray.from_arrays(
            pa.array(np.r_[np.zeros(n_nodes, np.int8), np.ones(n_stops, np.int8)]),
            pa.array(["node", "stop"])),
        "idx": pa.array(np.r_[nodes, stops].astype(np.int32)),
        "stop_id": pa.concat_arrays([pa.nulls(n_nodes, pa.string()), ids.cast(pa.string())]),
        "lat": pa.array(np.r_[g.node_lat[nodes], stop_lat].astype(np.float64)),
        "lon": pa.array(np.r_[g.node_lon[nodes], stop_lon].astype(np.float64)),
        "travel_time_s": pa.array(np.r_[times.node_s[nodes], times.stop_s[stops]].astype(np.int32)),
    })
    return table.replace_schema_metadata(request_metadata(req))


def request_metadata(req: AccessRequest) -> dict[str, str]:
    """The request as strings (Arrow schema metadata, GeoJSON properties)."""
    return {
        "origin": req.origin_label,
        "date": req.date.isoformat() if req.date is not None else "",
        "time": hms(req.start_s),
        "mode": req.mode,
        "transit": str(req.transit).lower(),
        "window_s": str(req.window_s),
        "percentile": str(req.percentile),
        "max_time_s": str(req.max_time_s),
    }
