"""The engine facade: open a bundle once, then ask questions (plan, arrivals, geocode, streets).

``engine.open(path)`` memory-maps the bundle; nothing is parsed. Each component (timetable,
streets, geocoder) is present when the bundle was built with its input.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ._geo import WALK_SPEED_MPS, check_point
from ._types import MAX_ROUNDS, UNREACHED
from .bundle.reader import Bundle, open_bundle
from .criteria.mcraptor import TWO_CRITERIA, check_optimize
from .criteria.plan import check_filters, plan_with_criteria
from .errors import BundleError, InvalidQueryError
from .raptor.journey import Plan
from .raptor.legs import LegBuilder, local_datetime, zone
from .raptor.planner import Planner
from .raptor.request import (DEFAULT_ACCESS_S, DEFAULT_MIN_CHANGE_S, PlanRequest, check_change_time, check_int,
                             check_max_transfers, parse_date, parse_time)
from .raptor.search import RaptorQuery, RaptorRunner
from .timetable.departures import (MAX_DEPARTURES, MAX_DEPARTURES_WINDOW_S, MAX_NEAR_RADIUS_M, MAX_STOPS_NEAR,
                                   MIN_DEPARTURES_WINDOW_S, Departure, NearbyStop, next_departures, stops_near)
from .timetable.model import Timetable

if TYPE_CHECKING:
    import pyarrow as pa


class Network:
    """A bundle opened for queries. Thread-safe: each thread gets its own RAPTOR workspace."""

    def __init__(self, bundle: Bundle, warmup: bool = False):
        self.bundle = bundle
        self.manifest: dict[str, Any] = bundle.manifest
        self.streets = None
        if bundle.has("streets/nodes"):
            from .streets import StreetNetwork

            self.streets = StreetNetwork.open(bundle)     # maps nothing until a street query
        self.geocoder = None
        if bundle.has("geocoder/docs"):
            from .geocoder import Geocoder

            self.geocoder = Geocoder.open(bundle)         # maps nothing until a geocoding query
        if warmup:
            self.warmup()

    # The timetable, like the streets and the geocoder, is mapped (and its tables checked) on
    # the first query that needs it, so that opening a bundle costs the same whatever its size.
    @cached_property
    def timetable(self) -> Timetable | None:
        return Timetable(self.bundle) if self.bundle.has("timetable/stops") else None

    @cached_property
    def _runner(self) -> RaptorRunner | None:
        return RaptorRunner(self.timetable) if self.timetable is not None else None

    @cached_property
    def _legs(self) -> LegBuilder | None:
        return LegBuilder(self.timetable) if self.timetable is not None else None

    @cached_property
    def _planner(self) -> Planner | None:
        if self._runner is None:
            return None
        speed = float(self.manifest.get("options", {}).get("walk_speed_mps", WALK_SPEED_MPS))
        return Planner(self._runner, self._legs, self.streets, speed)

    @cached_property
    def _criteria_cache(self) -> dict:
        return {}     # engine.criteria: filtered timetables and their planners, per filter set

    # ------------------------------------------------------------------ real time
    @cached_property
    def _realtime(self):
        from .realtime.state import RealtimeState

        return RealtimeState(self._require_timetable())

    def apply_realtime(self, feed, *, source: str = "default", gtfs_feed: str | None = None):
        """Apply a GTFS-Realtime feed (TripUpdates and Alerts) over the bundle, without a rebuild.

        feed : bytes (binary protobuf, or its JSON form), a file path, or a parsed FeedMessage.
        source : a name per feed URL or file: a FULL_DATASET replaces that source's trips and
            alerts, a DIFFERENTIAL updates them; sources are merged (README "Real time").
        gtfs_feed : the bundle's GTFS feed the realtime ids belong to (needed when it has several).

        Returns a ``RealtimeReport`` (counts of what was applied, repaired and ignored, never an
        exception for a bad entity). Queries already running keep the overlay they started with.
        """
        return self._realtime.apply(feed, source=source, feed=gtfs_feed)

    def clear_realtime(self) -> None:
        """Forget every realtime source: back to the schedule."""
        if "_realtime" in self.__dict__:
            self._realtime.clear()

    def realtime_status(self) -> dict[str, Any]:
        """Per source: feed timestamp and age, when applied, trips and alerts, last report."""
        if "_realtime" not in self.__dict__:
            return {"active": False, "sources": {}}
        return self._realtime.status()

    def _overlay(self, realtime: bool | None):
        """The overlay snapshot a query uses: the current one unless realtime=False."""
        if realtime is not None and not isinstance(realtime, (bool, np.bool_)):
            raise InvalidQueryError("realtime must be true or false", "realtime")
        if realtime is False or "_realtime" not in self.__dict__:
            return None
        return self._realtime.overlay

    def warmup(self, everything: bool = False) -> None:
        """Map the timetable and allocate this thread's RAPTOR workspace, so that the first
        request does not pay for it (``engine.open`` maps nothing by default).

        ``everything``: also map the street and geocoder indexes and allocate their workspaces
        (a few ms; a server does it once per query thread at start).
        """
        if self._runner is not None:
            self._runner.workspace(5)
        if everything:
            if self.streets is not None:
                self.streets.warmup()
                from .accessibility.isochrone import warmup as warmup_accessibility

                warmup_accessibility(self)
            if self.geocoder is not None:
                self.geocoder.warmup()

    # ------------------------------------------------------------------ helpers
    def _require_timetable(self) -> Timetable:
        if self.timetable is None:
            raise BundleError("this bundle has no timetable (build it with GTFS feeds)")
        return self.timetable

    def stop_indices(self, ref: str, parameter: str = "stop") -> list[int]:
        """Stop indices for a stop id ("FEED:ID" or unambiguous "ID") or an exact stop name."""
        return self._require_timetable().resolve_stop(ref, parameter)

    def _tz(self, stop: int):
        tt = self._require_timetable()
        return zone(tt.feed_timezones[int(tt.stop_feed[stop])])

    # ------------------------------------------------------------------ journeys
    def plan(self, origin: str | tuple[float, float], destination: str | tuple[float, float],
             date: dt.date | str, time: str | int, *, max_transfers: int = 4,
             min_change_time: int = DEFAULT_MIN_CHANGE_S, walk_before_first: bool = True,
             walk_after_last: bool = True, mode: str = "walk", max_access_s: int = DEFAULT_ACCESS_S,
             max_direct_s: int | None = None, arrive_by: bool = False,
             max_window_s: int | None = None, window_s: int = 0, realtime: bool | None = None,
             wheelchair: bool = False, bikes: bool = False,
             optimize: tuple[str, ...] = ("arrival", "transfers"), max_duration_s: int | None = None,
             time_budget_s: float | None = None, rider_category: str | None = None,
             fare_media: str | None = None) -> Plan:
        """Earliest-arrival journeys: the Pareto set (arrival time, number of vehicles); with
        ``arrive_by=True``, latest-departure journeys arriving by ``time`` (see below).

        Parameters
        ----------
        origin, destination : a stop id ("FEED:ID", or "ID" if unambiguous) or exact stop name
            (a station stands for all its platforms), or a ``(lat, lon)`` point reached through
            the streets (door to door).
        date : service date (YYYY-MM-DD); time : departure, "HH:MM[:SS]" local to the feed.
        max_transfers : changes allowed (vehicles = max_transfers + 1).
        min_change_time : seconds needed to change vehicles at the same stop (a stop's own
            transfers.txt minimum wins).
        walk_before_first, walk_after_last : allow one footpath from the origin stop / to the
            destination stop (stop endpoints only).
        mode : "walk" or "bike" for access and egress at point endpoints.
        max_access_s : street time limit for access and for egress, seconds.
        max_direct_s : longest street-only journey offered (default 2 x max_access_s).
        arrive_by : ``time`` is the latest arrival instead of the departure. For each number of
            vehicles k (1 .. max_transfers + 1, 0 for a walk between nearby stops, and the
            street-only direct journey for two points) the journey leaving as LATE as possible
            while arriving at or before ``time``; the answer is the Pareto set of those over
            (later departure, fewer vehicles), each rebuilt by a forward plan from its departure
            (usual legs; its departure is exactly the latest feasible one, to the second).
        max_window_s : arrive-by only: how long before ``time`` a journey may leave, seconds in
            60..86400 (default 4 h). The window never starts before 00:00 of ``date``: trips of
            the previous service day running past midnight are found, journeys leaving before
            midnight are not (ask on the previous date).
        window_s : a range (profile) query: every journey leaving in [time, time + window_s)
            that no other beats on all of departure (later), arrival (earlier) and vehicles
            (fewer), found by range RAPTOR over the departure minutes (0 = one departure time;
            at most 6 h; not with arrive_by; with a third criterion, see optimize).
        realtime : use the GTFS-Realtime overlay (``apply_realtime``): default True when one was
            applied (with filters and a third criterion too); False plans on the schedule only.
            Legs on real-time trips say ``realtime=True`` with ``delay_s`` / ``arrival_delay_s``;
            legs carry their alerts.
        wheelchair : only trips with wheelchair_accessible=1, stops whose wheelchair_boarding
            (inherited from the parent station) is not 2, footpaths without stairs/escalators in
            pathways.txt, and street walks (access, egress, direct, transfers) on the step-free
            "wheelchair" street profile: no highway=steps, no wheelchair=no (engine.criteria.filters).
            With real time, a changed trip keeps its scheduled trip's flags; a trip the feed added
            has none and is left out (as a static trip without the field).
        bikes : only trips with bikes_allowed=1; access and egress by bike (mode="bike").
        optimize : ("arrival", "transfers") (default), ("arrival", "transfers", "walking") or
            ("arrival", "transfers", "fare"): the exact Pareto set over arrival, vehicles and
            walking seconds (footpaths, and street access/egress when mode="walk") or the GTFS
            fares price (v1 or v2: engine/fares/v1.py, v2.py), by McRAPTOR (engine.criteria.mcraptor);
            ``stats["walking_s"]`` / ``stats["fare_minor"]`` list each itinerary's value.
            With arrive_by: the Pareto set over later departure, fewer vehicles and the third
            criterion of the journeys arriving by ``time`` (engine.criteria.arrive_by); with
            window_s: every journey of the window's minutes that no journey leaving later is as
            good as on arrival, vehicles and the third criterion (engine.criteria.range).
        max_duration_s : departure-time queries: leave out journeys arriving more than this many
            seconds (60..172800) after ``time`` (waiting at the start counts). The answer is the
            Pareto set of the journeys that arrive in time (so, exactly, the full set less the
            later ones); with a third criterion the search also stops looking past it, which is
            what keeps the fare criterion from exploring cheap journeys hours later.
        time_budget_s : with a third criterion, stop the search once it has run this many
            seconds (0 < t <= 3600) and raise QueryTimeoutError (``parameter="time_budget_s"``):
            nothing is answered, since a cut search would give a wrong set. The HTTP server passes
            its own budget, so that a query past it also frees its thread. Two-criteria plans
            are bounded by their parameters and not cut.
        rider_category : price itineraries (and, with optimize=(..., "fare"), search the
            cheapest) for this rider category (``rider_categories()`` lists them; None: the
            default one). Fares v2 (rider_categories.txt): its own products and those of every
            rider; a product it has none for leaves the fare unknown, and a transfer rule that
            sells one does not apply. Fares v1 (GTFS+ fare_rider_categories.txt, e.g. BART's
            youth and senior prices): its price of each fare; a fare it has none for is not
            sold to it. InvalidQueryError (``parameter="rider_category"``) for an id no feed
            defines, or a bundle without rider categories.
        fare_media : fares v2: pay with this fare medium of fare_media.txt (``fare_media()``
            lists them; None: each product's cheapest). Products with that medium or none named;
            otherwise as rider_category (``parameter="fare_media"``).

        Returns
        -------
        Plan with itineraries sorted by arrival (then fewer vehicles), or, arrive-by, by
        departure, latest first (then fewer vehicles), or, for a range, by departure (then
        arrival, then vehicles); empty when none.
        """
        self._require_timetable()
        filters = check_filters(wheelchair, bikes)
        optimize = check_optimize(optimize)
        request = PlanRequest.create(origin, destination, date, time, max_transfers=max_transfers,
                                     min_change_time=min_change_time, walk_before_first=walk_before_first,
                                     walk_after_last=walk_after_last, mode="bike" if filters.bikes else mode,
                                     max_access_s=max_access_s, max_direct_s=max_direct_s, arrive_by=arrive_by,
                                     max_window_s=max_window_s, window_s=window_s, max_duration_s=max_duration_s,
                                     time_budget_s=time_budget_s)
        if rider_category is not None:
            request = dataclasses.replace(request, rider_category=self._fare_choice(
                rider_category, self._rider_categories, "rider_category", "rider categories"))
        if fare_media is not None:
            request = dataclasses.replace(request, fare_medium=self._fare_choice(
                fare_media, self._fare_media, "fare_media", "fare media"))
        overlay = self._overlay(realtime)
        if filters or optimize != TWO_CRITERIA:
            return plan_with_criteria(self._planner, request, filters, optimize, overlay, self._criteria_cache)
        if overlay is not None:
            request = dataclasses.replace(request, overlay=overlay)
        return self._planner.plan(request)

    def rider_categories(self) -> list[dict[str, Any]]:
        """The rider categories of the bundle's feeds (fares v2 rider_categories.txt, fares v1 GTFS+
        fare_rider_categories.txt), one per id:
        ``id``, ``name``, ``is_default``, ``eligibility_url``; empty without any."""
        return [dataclasses.asdict(c) for c in self._rider_categories]

    @cached_property
    def _rider_categories(self) -> list:
        from .fares import rider_categories

        return rider_categories(self._require_timetable().bundle)

    def fare_media(self) -> list[dict[str, Any]]:
        """The fares v2 fare media of the bundle's feeds (fare_media.txt), one per id: ``id``,
        ``name``, ``type`` ("paper ticket", "transit card", ..., None); empty without any."""
        return [dataclasses.asdict(m) for m in self._fare_media]

    @cached_property
    def _fare_media(self) -> list:
        from .fares import fare_media

        return fare_media(self._require_timetable().bundle)

    @staticmethod
    def _fare_choice(value, choices: list, parameter: str, what: str) -> str:
        """A plan()'s rider_category / fare_media, checked against the bundle's ``choices``."""
        known = [c.id for c in choices]
        if not isinstance(value, str) or value not in known:
            listed = ", ".join(repr(k) for k in known[:20]) if known else f"none (no feed's fares have {what})"
            raise InvalidQueryError(f"{parameter} must be one of the bundle's {what}: {listed}", parameter)
        return value

    def travel_time_matrix(self, origins, destinations=None, *, date: dt.date | str, time: str | int,
                           window_s: int = 3600, percentiles=(50,), max_time_s: int = 7200, mode: str = "walk",
                           max_transfers: int = 4, threads: int | None = None, **plan_options) -> "pa.Table":
        """Door-to-door travel times from every origin to every destination over a departure
        window, as percentiles over its minutes (engine.accessibility.matrix says every rule).

        origins, destinations : stop ids, ``(lat, lon)`` points, or a table with ``id, lat, lon``
            (pyarrow, pandas, or a GeoJSON FeatureCollection of points); destinations None = the
            origins, "stops" = every boardable stop.
        window_s : departures every minute in [time, time + window_s) (0: one departure).
        percentiles : R5's nearest-rank percentiles of the travel time over those minutes.
        max_time_s : longer travel times are null. threads : native threads (default: every core).
        plan_options : ``min_change_time``, ``walk_before_first``, ``max_access_s``,
            ``max_direct_s`` mean what they mean in ``plan``.

        Returns a pyarrow.Table ``from_id, to_id, travel_time_p{P}`` (int32 seconds, null where
        unreachable), origin-major; the same for any thread count.
        """
        from .accessibility.matrix import travel_time_matrix

        return travel_time_matrix(self, origins, destinations, date=date, time=time, window_s=window_s,
                                  percentiles=percentiles, max_time_s=max_time_s, mode=mode,
                                  max_transfers=max_transfers, threads=threads, **plan_options)

    def isochrone(self, origin, *, date: dt.date | str | None = None, time: str | int | None = None,
                  cutoffs_s=(900, 1800, 2700, 3600), window_s: int = 0, percentile: int = 50, mode: str = "walk",
                  transit: bool | None = None, max_transfers: int = 4, min_change_time: int = DEFAULT_MIN_CHANGE_S,
                  max_access_s: int = DEFAULT_ACCESS_S, cell_m: float | None = None,
                  offroad_m: float = 100.0) -> dict:
        """Areas reachable within each cutoff from a point or stop, by the streets of ``mode``
        with transit (when the bundle has a timetable and ``transit`` is not False): a GeoJSON
        FeatureCollection, one (Multi)Polygon per cutoff, nested (engine.accessibility.isochrone
        says the contour rule). ``window_s``: the ``percentile`` over the window's minutes."""
        from .accessibility.isochrone import isochrone   # the function (the package attribute may be the module)

        return isochrone(self, origin, date=date, time=time, cutoffs_s=cutoffs_s, window_s=window_s,
                         percentile=percentile, mode=mode, transit=transit, max_transfers=max_transfers,
                         min_change_time=min_change_time, max_access_s=max_access_s, cell_m=cell_m,
                         offroad_m=offroad_m)

    def reach(self, origin, *, date: dt.date | str | None = None, time: str | int | None = None, mode: str = "walk",
              max_time_s: int = 3600, window_s: int = 0, percentile: int = 50, transit: bool | None = None,
              max_transfers: int = 4, min_change_time: int = DEFAULT_MIN_CHANGE_S,
              max_access_s: int = DEFAULT_ACCESS_S) -> "pa.Table":
        """Travel time to every street node and stop reached within ``max_time_s`` (an Arrow
        table, for your own aggregation); same model as ``isochrone``."""
        from .accessibility import reach

        return reach(self, origin, date=date, time=time, mode=mode, max_time_s=max_time_s, window_s=window_s,
                     percentile=percentile, transit=transit, max_transfers=max_transfers,
                     min_change_time=min_change_time, max_access_s=max_access_s)

    def departures(self, stop: str, date: dt.date | str, time: str | int, *, limit: int = 10,
                   window_s: int = 3 * 3600, realtime: bool | None = None) -> list[Departure]:
        """Next departures (boardable vehicles) at a stop or station, in time order; with the
        real-time overlay (default when applied) cancelled trips are left out, changed and
        added ones are at their real-time times (``realtime``, ``delay_s``), with alerts."""
        tt = self._require_timetable()
        day_date = parse_date(date)
        day = tt.day_index(day_date)
        start = parse_time(time)
        check_int(limit, "limit", 1, MAX_DEPARTURES)
        check_int(window_s, "window_s", MIN_DEPARTURES_WINDOW_S, MAX_DEPARTURES_WINDOW_S)
        stops = self.stop_indices(stop, "stop")
        tz = self._tz(stops[0])
        overlay = self._overlay(realtime)
        if overlay is not None:
            from .timetable.departures import realtime_departures

            return realtime_departures(tt, overlay, stops, day, day_date, start, int(limit), int(window_s), tz)
        out = []
        for t, s, trip in next_departures(tt, stops, day, start, int(limit), int(window_s)):
            route = int(tt.trip_route[trip])
            out.append(Departure(tt.stop_id(s), local_datetime(day_date, t, tz), tt.string("routes", "route_id", route),
                                 tt.string("routes", "short_name", route), int(tt.route_type[route]),
                                 tt.string("trips", "trip_id", trip), tt.string("trips", "headsign", trip)))
        return out

    def stops_near(self, lat: float, lon: float, *, radius_m: float = 500.0, limit: int = 20) -> list[NearbyStop]:
        """Stops within radius_m of a point, nearest first."""
        lat, lon = check_point(lat, lon, "point")
        if not isinstance(radius_m, (int, float, np.integer, np.floating)) or not 0 < radius_m <= MAX_NEAR_RADIUS_M:
            raise InvalidQueryError(f"radius_m must be in (0, {MAX_NEAR_RADIUS_M:g}]", "radius_m")
        check_int(limit, "limit", 1, MAX_STOPS_NEAR)
        return stops_near(self._require_timetable(), lat, lon, float(radius_m), int(limit))

    # ------------------------------------------------------------------ streets
    def route(self, from_lat: float, from_lon: float, to_lat: float, to_lon: float, mode: str = "walk"):
        """Street-only route (walk, bike or car) with distance, duration and geometry."""
        if self.streets is None:
            raise BundleError("this bundle has no street network (build it with --osm)")
        return self.streets.route(from_lat, from_lon, to_lat, to_lon, mode)

    # ------------------------------------------------------------------ geocoding
    def _require_geocoder(self):
        if self.geocoder is None:
            raise BundleError("this bundle has no geocoder index (build it with addresses, OSM or GTFS)")
        return self.geocoder

    def geocode(self, q: str, **kwargs):
        """Search addresses, streets, places and stops (see engine.geocoder.Geocoder.search)."""
        return self._require_geocoder().search(q, **kwargs)

    def reverse(self, lat: float, lon: float, **kwargs):
        """Nearest documents to a point (see engine.geocoder.Geocoder.reverse)."""
        return self._require_geocoder().reverse(lat, lon, **kwargs)

    def round_arrivals(self, origin_stop_idx: np.ndarray, origin_time_s: np.ndarray, date: dt.date | str,
                       max_rounds: int, *, min_change_time: int = DEFAULT_MIN_CHANGE_S,
                       walk_before_first: bool = True, realtime: bool | None = None) -> np.ndarray:
        """int32 [max_rounds + 1, n_stops]: earliest arrival with <= k vehicles at every stop
        (seconds since the date's noon-minus-12h; UNREACHED when unreachable)."""
        tt = self._require_timetable()
        day = tt.day_index(parse_date(date))
        stops = np.ascontiguousarray(origin_stop_idx, dtype=np.int32)
        times = np.ascontiguousarray(origin_time_s, dtype=np.int32)
        if stops.shape != times.shape or stops.ndim != 1:
            raise InvalidQueryError("origin stops and times must be 1-D arrays of the same length", "origin")
        if len(stops) and (stops.min() < 0 or stops.max() >= tt.n_stops):
            raise InvalidQueryError("origin stop index out of range", "origin")
        if not 0 <= max_rounds < MAX_ROUNDS:
            raise InvalidQueryError(f"max_rounds must be in 0..{MAX_ROUNDS - 1}", "max_rounds")
        q = RaptorQuery(stops, times, np.empty(0, np.int32), np.empty(0, np.int32), day, int(max_rounds),
                        check_change_time(min_change_time), bool(walk_before_first), True,
                        overlay=self._overlay(realtime))
        ws = self._runner.run(q)
        return np.array(ws.arrival_np[:max_rounds + 1], copy=True)

    def earliest_arrivals(self, origin: str, date: dt.date | str, time: str | int, *, max_transfers: int = 4,
                          min_change_time: int = DEFAULT_MIN_CHANGE_S) -> dict[str, dt.datetime]:
        """One-to-all: stop id -> earliest arrival datetime, for every reachable stop."""
        self._require_timetable()
        day_date = parse_date(date)
        origins = self.stop_indices(origin, "origin")
        start = parse_time(time)
        labels = self.round_arrivals(np.asarray(origins), np.full(len(origins), start), day_date,
                                     check_max_transfers(max_transfers), min_change_time=min_change_time)
        best = labels[-1]
        tz = self._tz(origins[0])
        ids = self.bundle.strings("timetable/stops", "stop_id")
        return {ids[int(s)].as_py(): local_datetime(day_date, int(best[s]), tz)
                for s in np.flatnonzero(best < UNREACHED)}

    # ------------------------------------------------------------------ drawing
    def map_layers(self, bbox: tuple[float, float, float, float] | None = None, max_segments: int = 20_000,
                   max_lines: int = 1_000) -> dict[str, Any]:
        """Street segments and transit polylines within ``bbox``, for drawing a map
        (see engine.map_layers)."""
        from .map_layers import map_layers

        return map_layers(self, bbox, max_segments, max_lines)

    # ------------------------------------------------------------------ info
    def info(self) -> dict[str, Any]:
        """Bundle summary (manifest without the per-table details)."""
        return {k: v for k, v in self.manifest.items() if k not in ("tables",)}

    # ------------------------------------------------------------------ batches and catalogue
    def geocode_table(self, table, columns=None, **kw):
        """Geocode every row of a table or CSV file (engine.geocoder.batch_table.geocode_table)."""
        from .geocoder.batch_table import geocode_table

        return geocode_table(self, table, columns, **kw)

    def reverse_table(self, table, lat="lat", lon="lon", **kw):
        """Nearest place to every row's lat/lon (engine.geocoder.batch_table.reverse_table)."""
        from .geocoder.batch_table import reverse_table

        return reverse_table(self, table, lat, lon, **kw)

    def geocode_csv(self, source, **kw):
        """A streaming CSV geocoding job (engine.geocoder.csv_io.CsvJob)."""
        from .geocoder.csv_io import geocode_csv

        return geocode_csv(self, source, **kw)

    def reverse_csv(self, source, **kw):
        """A streaming CSV reverse-geocoding job (engine.geocoder.csv_io.CsvJob)."""
        from .geocoder.csv_io import reverse_csv

        return reverse_csv(self, source, **kw)

    def datasets(self) -> list[dict[str, Any]]:
        """The inputs this bundle holds: kind, name, file, sha256, licence, validity, counts, warnings."""
        from .datasets import datasets

        return datasets(self)


def open(path: str | os.PathLike, warmup: bool = False) -> Network:  # noqa: A001 - public API name
    """Open a bundle directory for queries: reads the manifest and checks the files' sizes;
    every table is mapped on the first query that needs it (``warmup=True``: map the timetable
    and allocate this thread's RAPTOR workspace now)."""
    return Network(open_bundle(path), warmup=warmup)
