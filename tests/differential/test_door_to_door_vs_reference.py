"""Door-to-door planning (coordinates to coordinates) against the reference solver, on the four real
GTFS + OSM pairs whose areas overlap (Heidelberg, Portland, Porto Alegre, São Paulo).

Why: test_raptor_vs_reference checks RAPTOR between stops, and tests/realdata/test_streets_oracle
checks street searches against scipy, but neither checks how ``Network.plan`` composes them for
points: the street access/egress as RAPTOR origins/targets, no stop-to-stop footpath chained to an
access or egress walk (walk_before_first / walk_after_last off), zero-vehicle RAPTOR results left
to the direct street walk, and transit itineraries kept only when they beat that walk.

The reference takes the same access/egress durations (``net.streets.stops_within``, tested on its
own) and the same direct walk (``net.route``), runs the trip-level ReferenceSolver from the access
stops, and for k = 1..5 vehicles takes min over egress stops s of (arrival at s alighting from a
vehicle, <= k vehicles) + egress(s). Its (vehicles, arrival) Pareto front, cut by the direct walk,
must equal the engine's exactly. A second test checks that every returned itinerary's legs are
coherent (start at the origin point no earlier than asked, chain in space and time, end at the
destination point, walk legs carry a street geometry).

Queries: seeded points up to ~400 m from random served platform stops inside the OSM extract's
node area, on busy dates (see busy_days) without a UTC-offset change, 06:00-21:00. Points that do
not snap are skipped but counted; most must be answered and a fair share must use transit, so the
test cannot pass empty.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pytest

from engine._types import UNREACHED
from engine.testing.data import shared_data_dir
from engine.errors import InvalidQueryError, NoRouteError

from tests.reference.csa import ReferenceSolver, seconds_on_axis
from tests.reference.feeds import active_days, feed_name, hhmmss, load_staged, stable_offset_day
from tests.reference.profile import plan_entries, reduce_minutes

MAX_TRANSFERS = 4
MAX_ROUNDS = MAX_TRANSFERS + 1
MAX_ACCESS_S = 900
MAX_DIRECT_S = 2 * MAX_ACCESS_S          # Network.plan's default max_direct_s
MIN_CHANGE_S = 60                        # Network.plan's default min_change_time
N_QUERIES = 25
OFFSET_M = 400.0
MIN_ANSWERED = 0.6                       # share of queries whose two points snap
MIN_TRANSIT = 0.2                        # share of answered queries with a transit itinerary

# city -> (GTFS files, OSM file), relative to the shared data folder
CITIES = {
    "heidelberg": (("gtfs-de-rhein-neckar-vrn/vrn_gtfs_cut.zip",), "osm-de-heidelberg/heidelberg.test.pbf"),
    "portland": (("gtfs-us-portland-trimet/trimet-2routes.zip",),
                 "osm-us-portland-central/portland-central-filtered.osm.pbf"),
    "porto_alegre": (("gtfs-br-porto-alegre/poa_eptc.zip", "gtfs-br-porto-alegre/poa_trensurb.zip"),
                     "osm-br-porto-alegre/poa_osm.pbf"),
    "sao_paulo": (("gtfs-br-sao-paulo/spo_gtfs.zip",), "osm-br-sao-paulo/spo_osm.pbf"),
}


def _city_params():
    root = shared_data_dir()
    params = []
    for city, (gtfs, osm) in CITIES.items():
        missing = [rel for rel in (*gtfs, osm) if not (root / rel).is_file()]
        marks = [pytest.mark.realdata]
        if missing:
            marks.append(pytest.mark.skip(reason=f"shared data absent ({', '.join(missing)} not under "
                                                 f"{root}; set BRIQUE_DATA)"))
        params.append(pytest.param(city, id=city, marks=marks))
    return params


@dataclass(frozen=True)
class PointQuery:
    origin: tuple[float, float]
    destination: tuple[float, float]
    date: dt.date
    time_s: int

    def __str__(self) -> str:
        (olat, olon), (dlat, dlon) = self.origin, self.destination
        return (f"({olat:.6f}, {olon:.6f}) -> ({dlat:.6f}, {dlon:.6f}) "
                f"{self.date} {hhmmss(self.time_s)}")


@dataclass
class City:
    name: str
    net: object               # engine.api.Network
    ref: ReferenceSolver
    queries: list[PointQuery]
    plans: list               # per query: Plan, or the InvalidQueryError raised


def offset_point(rng: np.random.Generator, lat: float, lon: float, max_m: float) -> tuple[float, float]:
    """A point uniformly within ``max_m`` metres of (lat, lon) (equirectangular, fine at this scale)."""
    bearing = rng.uniform(0.0, 2.0 * np.pi)
    dist = max_m * np.sqrt(rng.uniform())
    dlat = dist * np.cos(bearing) / 111_320.0
    dlon = dist * np.sin(bearing) / (111_320.0 * np.cos(np.radians(lat)))
    return float(lat + dlat), float(lon + dlon)


def busy_days(staged, share: float = 0.5) -> np.ndarray:
    """Active days on which at least ``share`` of the busiest day's trips run. Porto Alegre's
    EPTC buses run on 66 of the 306 days that the merged period covers (Trensurb runs on all):
    drawing from every active day would mostly ask a two-line metro for bus-area journeys."""
    services = staged.trips.column("service_idx").to_numpy()
    trips_per_day = np.asarray(staged.service_days, dtype=bool)[services].sum(axis=0)
    days = active_days(staged)
    return days[trips_per_day[days] >= share * trips_per_day[days].max()]


def random_point_queries(staged, streets, n: int, seed: int) -> list[PointQuery]:
    """``n`` seeded point-to-point queries near served platform stops inside the street area."""
    rng = np.random.default_rng(seed)
    lat = staged.stops.column("lat").to_numpy(zero_copy_only=False)
    lon = staged.stops.column("lon").to_numpy(zero_copy_only=False)
    platform = staged.stops.column("location_type").to_numpy(zero_copy_only=False) == 0
    served = np.zeros(lat.size, dtype=bool)
    served[np.unique(np.asarray(staged.st_stop_idx))] = True
    g = streets.graph
    with np.errstate(invalid="ignore"):
        inside = ((lat >= g.node_lat.min()) & (lat <= g.node_lat.max())
                  & (lon >= g.node_lon.min()) & (lon <= g.node_lon.max()))
    stops = np.flatnonzero(platform & served & inside)
    assert stops.size >= 2, "fewer than two served stops inside the OSM extract"
    span = int(max(np.max(staged.st_arr, initial=0), np.max(staged.st_dep, initial=0))) // 86_400
    days = [int(d) for d in busy_days(staged) if stable_offset_day(staged, int(d), span)]
    assert days, "no busy day without a UTC-offset change"
    out = []
    for _ in range(n):
        a, b = rng.choice(stops, size=2, replace=False)
        origin = offset_point(rng, lat[a], lon[a], OFFSET_M)
        destination = offset_point(rng, lat[b], lon[b], OFFSET_M)
        date = staged.period_start + dt.timedelta(days=int(rng.choice(days)))
        out.append(PointQuery(origin, destination, date, int(rng.integers(6 * 3600, 21 * 3600))))
    return out


def engine_plan(net, q: PointQuery):
    """The engine's Plan, or the InvalidQueryError raised when a point does not snap."""
    try:
        return net.plan(q.origin, q.destination, date=q.date.isoformat(), time=hhmmss(q.time_s),
                        max_transfers=MAX_TRANSFERS, max_access_s=MAX_ACCESS_S)
    except InvalidQueryError as exc:
        return exc


@pytest.fixture(scope="module", params=_city_params())
def city(request, tmp_path_factory) -> City:
    """One bundle per city (GTFS + OSM, public engine.build), its reference solver, the seeded
    queries and the engine's answers (shared by both tests)."""
    import engine

    root = shared_data_dir()
    gtfs, osm = CITIES[request.param]
    sources = [(feed_name(root / rel), root / rel) for rel in gtfs]
    bundle = tmp_path_factory.mktemp("d2d") / f"{request.param}.bundle"
    engine.build(str(bundle), gtfs=[(name, str(path)) for name, path in sources], osm=str(root / osm))
    staged = load_staged(sources)
    net = engine.open(str(bundle))
    assert net.streets is not None, "bundle built with OSM has no street network"
    ref = ReferenceSolver(staged, bundle)
    seed = sum(map(ord, request.param))
    queries = random_point_queries(staged, net.streets, N_QUERIES, seed)
    return City(request.param, net, ref, queries, [engine_plan(net, q) for q in queries])


# ---------------------------------------------------------------------------- reference
def reference_front(c: City, q: PointQuery) -> list[tuple[int, int]]:
    """(vehicles, arrival s) the engine must return, from the reference model (module docstring)."""
    streets = c.net.streets
    olat, olon = q.origin
    dlat, dlon = q.destination
    access = streets.stops_within(olat, olon, "walk", MAX_ACCESS_S)
    egress = streets.stops_within(dlat, dlon, "walk", MAX_ACCESS_S, reverse=True)
    front: list[tuple[int, int]] = []
    if len(access.stop_idx) and len(egress.stop_idx):
        _, by_vehicle = c.ref.round_arrivals_with_vehicle(
            np.asarray(access.stop_idx), q.time_s + np.asarray(access.duration_s, np.int64), q.date,
            MAX_ROUNDS, MIN_CHANGE_S, walk_before_first=False)
        at_egress = by_vehicle[:, np.asarray(egress.stop_idx)].astype(np.int64)
        totals = np.where(at_egress < UNREACHED, at_egress + np.asarray(egress.duration_s, np.int64),
                          UNREACHED)
        best = UNREACHED
        for k in range(1, MAX_ROUNDS + 1):
            value = int(totals[k].min())
            if value < best:
                front.append((k, value))
                best = value
    try:
        walk = c.net.route(olat, olon, dlat, dlon, "walk")
    except NoRouteError:
        walk = None
    if walk is not None and walk.duration_s <= MAX_DIRECT_S:
        direct = q.time_s + int(walk.duration_s)
        front = [(0, direct)] + [(k, a) for k, a in front if a < direct]
    return front


def engine_front(plan, date: dt.date) -> list[tuple[int, int]]:
    """(vehicles, arrival s) of every itinerary, fewest vehicles first."""
    return sorted((it.n_vehicles, seconds_on_axis(it.arrival, date)) for it in plan.itineraries)


def _fmt(front: list[tuple[int, int]]) -> str:
    return "[" + ", ".join(f"{k} veh @ {hhmmss(a)}" for k, a in front) + "]"


# ---------------------------------------------------------------------------- tests
def test_door_to_door_equals_reference(city: City):
    failures, answered, with_transit = [], 0, 0
    for i, (q, plan) in enumerate(zip(city.queries, city.plans)):
        if isinstance(plan, InvalidQueryError):
            continue
        answered += 1
        got = engine_front(plan, q.date)
        want = reference_front(city, q)
        with_transit += any(k > 0 for k, _ in got)
        if got != want:
            failures.append(f"query {i}: {q} (access {plan.stats.get('access_stops')} stops, egress "
                            f"{plan.stats.get('egress_stops')} stops)\n    engine    {_fmt(got)}\n"
                            f"    reference {_fmt(want)}")
    n = len(city.queries)
    summary = f"{city.name}: {answered}/{n} queries answered, {with_transit} with transit"
    print(summary)
    assert not failures, f"{summary}; {len(failures)} differ:\n" + "\n".join(failures)
    assert answered >= MIN_ANSWERED * n, f"{summary}: too few points snap to the streets"
    assert with_transit >= MIN_TRANSIT * answered, f"{summary}: too few journeys use transit"


def test_itinerary_legs_are_consistent(city: City):
    problems = []
    for i, (q, plan) in enumerate(zip(city.queries, city.plans)):
        if isinstance(plan, InvalidQueryError):
            continue
        for j, it in enumerate(plan.itineraries):
            where = f"query {i} ({q}) itinerary {j} ({it.n_vehicles} vehicles)"
            problems.extend(f"{where}: {p}" for p in _leg_problems(q, it))
    assert not problems, f"{city.name}: {len(problems)} problems:\n" + "\n".join(problems[:20])


def _leg_problems(q: PointQuery, it) -> list[str]:
    legs = it.legs
    if not legs:
        return ["no legs"]
    out = []
    first, last = legs[0], legs[-1]
    if (first.origin.lat, first.origin.lon) != q.origin:
        out.append(f"first leg starts at ({first.origin.lat}, {first.origin.lon}), not at the origin")
    if seconds_on_axis(first.departure, q.date) < q.time_s:
        out.append(f"first leg leaves at {first.departure}, before {hhmmss(q.time_s)}")
    if (last.destination.lat, last.destination.lon) != q.destination:
        out.append(f"last leg ends at ({last.destination.lat}, {last.destination.lon}), not at the destination")
    if it.departure != first.departure or it.arrival != last.arrival:
        out.append("itinerary departure/arrival differ from its first/last leg")
    if it.n_vehicles != sum(leg.mode == "transit" for leg in legs):
        out.append(f"n_vehicles {it.n_vehicles} but {sum(leg.mode == 'transit' for leg in legs)} transit legs")
    for n, leg in enumerate(legs):
        if leg.arrival < leg.departure or leg.duration_s != int((leg.arrival - leg.departure).total_seconds()):
            out.append(f"leg {n} ({leg.mode}): {leg.departure} -> {leg.arrival}, duration {leg.duration_s} s")
        if leg.mode == "walk" and len(leg.geometry) < 2:
            out.append(f"leg {n} (walk {leg.origin.name} -> {leg.destination.name}): geometry has "
                       f"{len(leg.geometry)} point(s)")
        if n + 1 < len(legs):
            nxt = legs[n + 1]
            if nxt.departure < leg.arrival:
                out.append(f"leg {n + 1} leaves at {nxt.departure}, before leg {n} arrives at {leg.arrival}")
            if (leg.destination.lat, leg.destination.lon, leg.destination.stop_id) != \
                    (nxt.origin.lat, nxt.origin.lon, nxt.origin.stop_id):
                out.append(f"leg {n} ends at {leg.destination.name!r} but leg {n + 1} starts at "
                           f"{nxt.origin.name!r}")
    return out


# ---------------------------------------------------------------------------- range and matrix
WINDOW_S = 20 * 60
PERCENTILES = (25, 50, 75)
MAX_TIME_S = 7200


def _answered(city: City) -> list[PointQuery]:
    return [q for q, plan in zip(city.queries, city.plans) if not isinstance(plan, InvalidQueryError)]


def test_door_to_door_range_plan_equals_union_of_minutes(city: City):
    """plan(window_s) between points = the per-minute reference fronts (module docstring model,
    cut by the direct walk at each minute) reduced to their Pareto set; the direct walk once."""
    import dataclasses

    failures, journeys = [], 0
    for i, q in enumerate(_answered(city)[:5]):
        entries, direct = [], None
        for j in range(WINDOW_S // 60):
            for k, a in reference_front(city, dataclasses.replace(q, time_s=q.time_s + 60 * j)):
                if k:
                    entries.append((j, k, a))
                elif j == 0:
                    direct = a
        want = reduce_minutes(entries)
        plan = city.net.plan(q.origin, q.destination, date=q.date.isoformat(), time=hhmmss(q.time_s),
                             max_transfers=MAX_TRANSFERS, max_access_s=MAX_ACCESS_S, window_s=WINDOW_S)
        got, got_direct = plan_entries(plan, q.date, q.time_s, WINDOW_S)
        journeys += len(got)
        if got != want or got_direct != ([direct] if direct is not None else []):
            failures.append(f"query {i}: {q}: engine only {sorted(got - want)}, reference only "
                            f"{sorted(want - got)}; direct engine {got_direct} reference {direct}")
        problems = [p for it in plan.itineraries for p in _leg_problems(q, it)]
        assert not problems, f"{city.name} query {i}: " + "; ".join(problems[:5])
    assert not failures, f"{city.name}: " + "\n".join(failures)


def test_door_to_door_matrix_equals_reference(city: City):
    """travel_time_matrix between points = nearest-rank percentiles over the window's minutes
    of the reference model (access, vehicles, egress; or the direct walk), null above max time."""
    # origins of queries that used transit, each at its own date and time (one row per call)
    qs = [q for q, plan in zip(city.queries, city.plans)
          if not isinstance(plan, InvalidQueryError) and any(it.n_vehicles for it in plan.itineraries)][:3]
    destinations = [q.destination for q in _answered(city)[:6]]
    streets = city.net.streets
    egress = [streets.stops_within(lat, lon, "walk", MAX_ACCESS_S, reverse=True) for lat, lon in destinations]
    reached = 0
    for q in qs:
        table = city.net.travel_time_matrix([q.origin], destinations + [q.destination], date=q.date.isoformat(),
                                            time=hhmmss(q.time_s), window_s=WINDOW_S, percentiles=PERCENTILES,
                                            max_time_s=MAX_TIME_S, max_transfers=MAX_TRANSFERS,
                                            max_access_s=MAX_ACCESS_S, threads=2)
        olat, olon = q.origin
        ends = egress + [streets.stops_within(*q.destination, "walk", MAX_ACCESS_S, reverse=True)]
        access = streets.stops_within(olat, olon, "walk", MAX_ACCESS_S)
        direct = []
        for dlat, dlon in destinations + [q.destination]:
            try:
                walk = city.net.route(olat, olon, dlat, dlon, "walk").duration_s
            except NoRouteError:
                walk = UNREACHED
            direct.append(walk if walk <= MAX_DIRECT_S else UNREACHED)
        minutes = [q.time_s + 60 * j for j in range(WINDOW_S // 60)]
        rows = []
        for m in minutes:
            best_vehicle = np.full(city.ref.n_stops, UNREACHED, np.int64)
            if len(access.stop_idx):
                _, by_vehicle = city.ref.round_arrivals_with_vehicle(
                    np.asarray(access.stop_idx), m + np.asarray(access.duration_s, np.int64), q.date, MAX_ROUNDS,
                    MIN_CHANGE_S, walk_before_first=False)
                best_vehicle = by_vehicle[MAX_ROUNDS].astype(np.int64)
            row = []
            for e, walk in zip(ends, direct):
                at = best_vehicle[np.asarray(e.stop_idx, np.int64)]
                totals = np.where(at < UNREACHED, at + np.asarray(e.duration_s, np.int64), UNREACHED)
                best = min(int(totals.min(initial=UNREACHED)), m + walk if walk < UNREACHED else UNREACHED)
                row.append(best - m if best - m <= MAX_TIME_S else UNREACHED)
            rows.append(row)
        rows = np.sort(np.asarray(rows), axis=0)
        for p in PERCENTILES:
            want = rows[int(np.ceil(p / 100 * len(minutes))) - 1]
            got = [UNREACHED if v is None else v for v in table.column(f"travel_time_p{p}").to_pylist()]
            assert got == want.tolist(), f"{city.name}: {q} p{p}: engine {got}, reference {want.tolist()}"
            reached += sum(v < UNREACHED for v in got)
    assert reached, f"{city.name}: nothing reachable: the check would mean nothing"
