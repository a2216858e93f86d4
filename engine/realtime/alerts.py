"""Service alerts (GTFS-Realtime ``Alert``): read with the bindings, matched to legs, stops and
departures by their ``informed_entity`` selectors and ``active_period``.

A selector's fields are AND-ed (GTFS-Realtime EntitySelector): ``route_id``, ``route_type``,
``trip`` (trip_id), ``stop_id`` (the stop, its parent station or its platforms) must all match;
``agency_id`` alone selects every route of the GTFS feed the source is attached to (the bundle
does not keep agency ids). An alert without active_period is always active; otherwise it is
shown when the leg's (departure's) time falls in one of its periods (end 0 = open-ended).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .index import StaticIndex

ANY = -3          # selector field not given


@dataclass(frozen=True, slots=True)
class Alert:
    """One service alert (texts in the feed's first translation)."""

    id: str
    cause: str
    effect: str
    header: str
    description: str
    url: str
    language: str
    active_periods: tuple[tuple[int, int], ...]     # (start, end) Unix seconds, 0 = open

    def active_at(self, when: int | None) -> bool:
        if not self.active_periods or when is None:
            return True
        return any((a == 0 or a <= when) and (b == 0 or when <= b) for a, b in self.active_periods)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "cause": self.cause, "effect": self.effect, "header": self.header,
                "description": self.description, "url": self.url, "language": self.language,
                "active_periods": [list(p) for p in self.active_periods]}


@dataclass(frozen=True, slots=True)
class Selector:
    feed: int
    route: int = ANY          # route_idx, -2 unknown id (matches nothing)
    route_type: int = ANY
    trip: int = ANY           # static trip_idx, -2 unknown
    trip_id: str = ""
    stops: frozenset = frozenset()
    has_stop: bool = False
    agency: bool = False

    def matches(self, feed: int, route: int, route_type: int, trip: int, trip_id: str, stops) -> bool:
        if self.feed != feed:
            return False
        if self.route != ANY and self.route != route:
            return False
        if self.route_type != ANY and self.route_type != route_type:
            return False
        if self.trip != ANY and self.trip != trip and not (self.trip_id and self.trip_id == trip_id):
            return False
        if self.has_stop and not any(s in self.stops for s in stops):
            return False
        return self.has_stop or self.route != ANY or self.route_type != ANY or self.trip != ANY or self.agency


def _enum(enum, value: int, default: str) -> str:
    try:
        return enum.Name(value)
    except ValueError:
        return default


def _text(translated) -> tuple[str, str]:
    for t in translated.translation:
        return t.text, t.language
    return "", ""


def read_alerts(feed_message, sidx: StaticIndex, feed: int) -> dict[str, tuple[Alert, tuple[Selector, ...]]]:
    """Alert entities of a message: entity id -> (Alert, selectors)."""
    from google.transit import gtfs_realtime_pb2 as pb2

    prefix = f"{sidx.tt.feed_names[feed]}:"
    out = {}
    tt = sidx.tt
    for entity in feed_message.entity:
        if not entity.HasField("alert"):
            continue
        a = entity.alert
        header, lang = _text(a.header_text)
        description, lang2 = _text(a.description_text)
        url, _ = _text(a.url)
        periods = tuple((int(p.start), int(p.end)) for p in a.active_period)
        alert = Alert(entity.id, _enum(pb2.Alert.Cause, a.cause, "UNKNOWN_CAUSE") if a.HasField("cause")
                      else "UNKNOWN_CAUSE",
                      _enum(pb2.Alert.Effect, a.effect, "UNKNOWN_EFFECT") if a.HasField("effect") else "UNKNOWN_EFFECT",
                      header, description, url, lang or lang2, periods)
        selectors = []
        for ie in a.informed_entity:
            route = sidx.routes.get(f"{prefix}{ie.route_id}".encode(), -2) if ie.HasField("route_id") else ANY
            trip, trip_id = ANY, ""
            if ie.HasField("trip") and ie.trip.trip_id:
                trip_id = f"{prefix}{ie.trip.trip_id}"
                trip = sidx.trips.get(trip_id.encode(), -2)
            stops: frozenset = frozenset()
            if ie.HasField("stop_id"):
                s = sidx.stops.get(f"{prefix}{ie.stop_id}".encode())
                if s is not None:
                    family = {s}
                    parent = int(tt.stop_parent[s])
                    if parent >= 0:
                        family.add(parent)
                    family.update(tt._children.get(s, []))
                    stops = frozenset(family)
            selectors.append(Selector(feed, route, int(ie.route_type) if ie.HasField("route_type") else ANY,
                                      trip, trip_id, stops, ie.HasField("stop_id"),
                                      ie.HasField("agency_id")))
        out[entity.id] = (alert, tuple(selectors))
    return out


class AlertIndex:
    """All alerts of an overlay, with the matching used by legs and departures."""

    def __init__(self, tt, alerts: list[tuple[Alert, tuple[Selector, ...]]]):
        self.tt = tt
        self.items = alerts
        self._route_type = np.asarray(tt.route_type) if alerts else None
        self._route_feed = np.asarray(tt.bundle.column("timetable/routes", "feed_idx")) if alerts else None

    def __len__(self) -> int:
        return len(self.items)

    def for_trip(self, route: int, trip: int, trip_id: str, stops, when: int | None,
                 feed: int | None = None) -> tuple[dict, ...]:
        """Alerts about a ride (its route, trip, or one of ``stops``) active at ``when``."""
        if not self.items:
            return ()
        if feed is None:
            feed = int(self._route_feed[route]) if route >= 0 else int(self.tt.stop_feed[stops[0]])
        rtype = int(self._route_type[route]) if route >= 0 else ANY
        return tuple(a.to_dict() for a, sels in self.items
                     if a.active_at(when) and any(s.matches(feed, route, rtype, trip, trip_id, stops) for s in sels))
