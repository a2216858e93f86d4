"""Real-time state of one opened network: the sources applied so far and the current Overlay.

Each source (a feed URL or file, named by the caller) keeps its own trip records and alerts: a
FULL_DATASET replaces that source's, a DIFFERENTIAL updates them (an entity replaces the trip it
names, ``is_deleted`` removes it). After each application a new Overlay of all sources is built
(from the previous one's trip table when a DIFFERENTIAL changed few trips) and published by one
reference assignment, so queries in flight keep the snapshot they took.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from .._realtime import WireError
from ..timetable.model import Timetable
from .alerts import AlertIndex, read_alerts
from .feed import RealtimeFeedError, read_message
from .index import StaticIndex
from .overlay import Overlay, TripTable
from .report import RealtimeReport
from .updates import MAX_UNIX_TIME_S, UpdateReader

FULL, DIFFERENTIAL = 0, 1


@dataclass
class SourceState:
    feed: int
    records: dict = field(default_factory=dict)     # key -> TripRecord
    alerts: dict = field(default_factory=dict)      # entity id -> (Alert, selectors)
    feed_timestamp: int | None = None
    applied_at: float = 0.0
    report: RealtimeReport | None = None


class RealtimeState:
    """Applies feeds (one at a time, under a lock) and publishes Overlay snapshots."""

    def __init__(self, tt: Timetable):
        self.tt = tt
        self.index = StaticIndex(tt)
        self.sources: dict[str, SourceState] = {}
        self.overlay: Overlay | None = None
        self.group_ids: dict[bytes, int] = {}      # overlay groups of trips off their pattern
        self.group_codes: dict[int, object] = {}   # group -> packed stops and flags (overlay.TripTable)
        self._lock = threading.Lock()

    def feed_for(self, feed: str | None) -> int:
        names = self.tt.feed_names
        if feed is None:
            if len(names) != 1:
                raise RealtimeFeedError(f"this bundle has {len(names)} GTFS feeds ({', '.join(names)}): "
                                        "say which one the realtime feed is about (feed=NAME)")
            return 0
        if feed not in names:
            raise RealtimeFeedError(f"unknown GTFS feed {feed!r} (this bundle has {', '.join(names)})")
        return names.index(feed)

    def apply(self, source_data, source: str = "default", feed: str | None = None,
              now: float | None = None) -> RealtimeReport:
        t0 = time.perf_counter()
        message = read_message(source_data)
        feed_idx = self.feed_for(feed)
        header = message.feed.header
        incremental = header.incrementality == DIFFERENTIAL
        stamp = int(header.timestamp) if header.HasField("timestamp") and header.timestamp else None
        if stamp is not None and stamp > MAX_UNIX_TIME_S:
            raise RealtimeFeedError(f"header timestamp {stamp} is not a time in Unix seconds "
                                    "(milliseconds?)")
        feed_time = stamp if stamp is not None else int(now if now is not None else time.time())
        with self._lock:
            reader = UpdateReader(self.index, feed_idx, self.group_ids)
            try:
                records, deleted, n_entities, n_tu = reader.read(message.data, feed_time)
            except WireError as exc:        # bytes the bindings accept but the column reader does not
                raise RealtimeFeedError(f"not a GTFS-Realtime FeedMessage the engine reads: {exc}") from None
            alerts = read_alerts(message.feed, self.index, feed_idx)
            counts = reader.counts
            old = self.sources.get(source)
            state = SourceState(feed_idx)
            continued = incremental and old is not None and old.feed == feed_idx
            # keys whose merged record may change: a DIFFERENTIAL touches its own entities' only
            changed = set() if continued or old is None else set(old.records)
            if continued:
                state.records = dict(old.records)
                state.alerts = dict(old.alerts)
            if deleted:
                if not incremental:
                    counts["deleted_in_full_dataset"] += len(deleted)
                else:
                    gone = set(deleted)
                    for key in [k for k, r in state.records.items() if r.entity in gone]:
                        del state.records[key]
                        changed.add(key)
                        counts["trips_removed"] += 1
                    for alert_id in {g.decode("utf-8", "replace") for g in gone} & set(state.alerts):
                        del state.alerts[alert_id]
            for r in records:
                state.records[r.key] = r
                changed.add(r.key)
                counts[{"updated": "trips_updated", "canceled": "trips_canceled", "added": "trips_added",
                        "duplicated": "trips_duplicated"}[r.kind]] += 1
            state.alerts.update(alerts)
            counts["alerts"] = len(alerts)
            state.feed_timestamp = stamp
            state.applied_at = time.time()
            sources = dict(self.sources)
            sources[source] = state
            overlay = self._build(sources, changed)
            report = RealtimeReport(
                source, "DIFFERENTIAL" if incremental else "FULL_DATASET",
                dt.datetime.fromtimestamp(stamp, dt.timezone.utc) if stamp is not None else None,
                n_entities, n_tu, {k: int(v) for k, v in sorted(counts.items()) if v},
                overlay.n_trips + overlay.n_canceled, (time.perf_counter() - t0) * 1e3)
            state.report = report
            self.sources = sources
            self.overlay = overlay          # one assignment: queries see the old or the new one
        return report

    def clear(self) -> None:
        with self._lock:
            self.sources = {}
            self.overlay = None

    def _build(self, sources: dict[str, SourceState], changed: set) -> Overlay:
        """The overlay of ``sources``, where only the records of the keys ``changed`` differ
        from the published overlay's: those rows are replaced in its trip table (a DIFFERENTIAL
        costs its own trips, not the whole overlay's), else the table is built anew."""
        alerts = []
        for state in sources.values():
            alerts.extend(state.alerts.values())
        previous = self.overlay
        if previous is not None and 2 * len(changed) <= len(previous.table.rows):
            winners = []
            for key in changed:
                record = None
                for state in sources.values():          # the last source naming a key wins
                    record = state.records.get(key, record)
                if record is not None:
                    winners.append(record)
            table = previous.table.replace(changed, winners) if changed else previous.table
        else:
            merged: dict = {}
            for state in sources.values():
                merged.update(state.records)
            table = TripTable.of(list(merged.values()), self.group_codes)
        return Overlay(self.tt, table, AlertIndex(self.tt, alerts), dict(sources), previous)

    def status(self, now: float | None = None) -> dict:
        now = time.time() if now is None else now
        overlay = self.overlay
        out = {"active": overlay is not None, "sources": {}}
        for name, s in self.sources.items():
            ts = s.feed_timestamp
            out["sources"][name] = {
                "feed": self.tt.feed_names[s.feed],
                "feed_timestamp": dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat() if ts else None,
                "feed_age_s": round(now - ts, 1) if ts else None,
                "applied_at": dt.datetime.fromtimestamp(s.applied_at, dt.timezone.utc).isoformat(),
                "applied_age_s": round(now - s.applied_at, 1),
                "trips": len(s.records), "alerts": len(s.alerts),
                "last_report": s.report.to_dict() if s.report else None,
            }
        if overlay is not None:
            out["overlay"] = overlay.status()
        return out
