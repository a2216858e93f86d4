"""GET /v1/plan: journey planning between stops or points (door to door), by departure time or,
with arrive_by, by latest arrival (the engine does the search; this handler only maps HTTP)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from engine import limits as L

from ..deps import EngineDep, SettingsDep, json_response, require, run_query
from ..params import check_limit, default_date, default_time, endpoint
from ..schemas import STOP_ERRORS, PlanResponse, plan_json

router = APIRouter(prefix="/v1", tags=["journeys"])

_ENDPOINT = ("a stop id (FEED:ID, or ID when unambiguous), an exact stop name, or 'lat,lon' "
             "(WGS84 decimal degrees) reached through the streets")


_CRITERIA = {"transfers": ("arrival", "transfers"), "walking": ("arrival", "transfers", "walking"),
             "fare": ("arrival", "transfers", "fare")}


@router.get("/plan", response_model=PlanResponse, responses=STOP_ERRORS,
            dependencies=[require("timetable")], summary="Plan journeys (public transport with walk or bike access)")
async def plan(
    request: Request, net: EngineDep, settings: SettingsDep,
    origin: Annotated[str, Query(alias="from", min_length=1, max_length=200, description=_ENDPOINT,
                                 examples=["47.2025,1.5245"])],
    destination: Annotated[str, Query(alias="to", min_length=1, max_length=200, description=_ENDPOINT,
                                      examples=["47.2130,1.5534"])],
    date: Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                      description="service date YYYY-MM-DD (default: today)")] = None,
    time: Annotated[str | None, Query(max_length=8, pattern=r"^\d{1,2}:\d{2}(:\d{2})?$",
                                      description="departure time HH:MM[:SS], local to the network, or "
                                                  "the latest arrival with arrive_by (default: now)")] = None,
    arrive_by: Annotated[bool, Query(description="time is the latest arrival: journeys leaving as late as "
                                                 "possible, sorted by departure, latest first")] = False,
    max_window_s: Annotated[int | None, Query(ge=L.MIN_WINDOW_S, le=L.MAX_WINDOW_S, description="arrive_by only: how long "
                                              "before time a journey may leave, seconds (default 4 h; "
                                              "never before 00:00 of date)")] = None,
    window_s: Annotated[int, Query(ge=0, le=L.MAX_RANGE_S, description="range query: every journey worth "
                                   "taking leaving in [time, time + window_s), seconds (0 = one departure; "
                                   "not with arrive_by)")] = 0,
    mode: Annotated[Literal["walk", "bike"], Query(description="street mode to and from transit")] = "walk",
    max_transfers: Annotated[int, Query(ge=0, le=L.MAX_TRANSFERS, description="changes between vehicles")] = 4,
    min_change_time: Annotated[int, Query(ge=0, le=L.MAX_CHANGE_S, description="seconds to change at a stop")] = \
        L.DEFAULT_MIN_CHANGE_S,
    max_access_s: Annotated[int, Query(ge=0, le=L.MAX_ACCESS_S, description="walk/bike seconds to and from "
                                                                   "transit (points only)")] = 900,
    max_direct_s: Annotated[int | None, Query(ge=0, le=L.MAX_DIRECT_S, description="longest street-only journey "
                                              "offered, seconds (default 2 x max_access_s)")] = None,
    wheelchair: Annotated[bool, Query(description="step-free: wheelchair-accessible trips, stops and footpaths "
                                                  "only, step-free streets (real-time trips added by the feed "
                                                  "carry no flag: left out)")] = False,
    bikes: Annotated[bool, Query(description="trips that take bikes only; access and egress by bike")] = False,
    max_duration_s: Annotated[int | None, Query(ge=L.MIN_DURATION_S, le=L.MAX_DURATION_S, description="leave out "
                                                "journeys arriving more than this many seconds after time "
                                                "(departure-time queries only)")] = None,
    optimize: Annotated[Literal["transfers", "walking", "fare"], Query(
        description="walking / fare: the Pareto set over arrival (with arrive_by: departure), vehicles AND "
                    "walking seconds / the GTFS fares price, v1 or v2 (also with arrive_by and window_s); "
                    "transfers: arrival and vehicles")] = "transfers",
    rider_category: Annotated[str | None, Query(min_length=1, max_length=200, description="price (and with "
                                                "optimize=fare search) for this rider category (fares v2 "
                                                "rider_categories.txt, fares v1 GTFS+ fare_rider_categories.txt; "
                                                "GET /v1/fares/rider_categories; default: the default one)")] = None,
    fare_media: Annotated[str | None, Query(min_length=1, max_length=200, description="fares v2: pay with this "
                                            "fare medium of fare_media.txt (GET /v1/fares/media; default: "
                                            "each product's cheapest)")] = None,
):
    """Earliest-arrival itineraries (the Pareto set of arrival time and number of vehicles),
    sorted by arrival; with arrive_by, latest-departure itineraries arriving by `time` (the Pareto
    set of departure time and number of vehicles, and of the third criterion with optimize), latest
    departure first. Each leg carries its GeoJSON LineString geometry; each itinerary its `fare`
    (GTFS fares v1/v2: amount, currency, products and the legs they cover, or `known: false` with
    the reason; null when the bundle has no fare data)."""
    check_limit("max_transfers", max_transfers, settings.max_transfers)
    if max_window_s is not None:
        check_limit("max_window_s", max_window_s, settings.max_window_s)
    check_limit("max_access_s", max_access_s, settings.max_access_s)
    check_limit("window_s", window_s, settings.max_range_s)
    if max_direct_s is not None:
        check_limit("max_direct_s", max_direct_s, settings.max_direct_s)
    o, d = endpoint(origin, "from"), endpoint(destination, "to")
    result = await run_query(request, net.plan, o, d, default_date(date), default_time(time),
                             max_transfers=max_transfers, min_change_time=min_change_time, mode=mode,
                             max_access_s=max_access_s, max_direct_s=max_direct_s, arrive_by=arrive_by,
                             max_window_s=max_window_s, window_s=window_s, wheelchair=wheelchair, bikes=bikes,
                             optimize=_CRITERIA[optimize], max_duration_s=max_duration_s,
                             time_budget_s=settings.time_budget_s,   # the engine stops there too
                             rider_category=rider_category, fare_media=fare_media)
    return json_response(plan_json(result))


@router.get("/fares/rider_categories", dependencies=[require("timetable")],
            summary="The rider categories fares can be asked for (GTFS fares v2, v1 GTFS+)")
async def rider_categories(request: Request, net: EngineDep):
    """Each rider category of the feeds' fares (v2 rider_categories.txt, v1 GTFS+
    fare_rider_categories.txt; one per id): `id` (the plan's
    `rider_category`), `name`, `is_default` (the one fares are shown for when none is asked),
    `eligibility_url`; an empty list when the bundle has none."""
    return json_response({"rider_categories": await run_query(request, net.rider_categories)})


@router.get("/fares/media", dependencies=[require("timetable")],
            summary="The fare media fares can be asked for (GTFS fares v2)")
async def fare_media(request: Request, net: EngineDep):
    """Each fare medium of the feeds' fare_media.txt (one per id): `id` (the plan's
    `fare_media`), `name`, `type` ("paper ticket", "transit card", "contactless (cEMV)", "mobile
    app", "none", or null); an empty list when the bundle has none."""
    return json_response({"fare_media": await run_query(request, net.fare_media)})

