"""A journey-planning request, validated once: every check of plan(), range and arrive-by queries.

``PlanRequest.create(...)`` turns the user's values (strings, ints, tuples) into a frozen
request: a date, a start time in seconds on that date's axis, endpoints that are either stop
references or ``(lat, lon)`` points, and the search options. Each bad value raises
``InvalidQueryError`` naming its parameter; nothing downstream re-checks them.
"""
from __future__ import annotations

import datetime as dt
from time import monotonic
from dataclasses import dataclass, field

import numpy as np

from .._geo import check_point
from .._types import MAX_ROUNDS, SECONDS_PER_DAY
from ..errors import InvalidQueryError

DEFAULT_MIN_CHANGE_S = 60
MODES_ACCESS = ("walk", "bike")
MAX_ACCESS_S = 7200                 # street time limit for access and for egress
MAX_DIRECT_S = 6 * 3600             # longest street-only journey offered
DEFAULT_ACCESS_S = 900
DEFAULT_WINDOW_S = 4 * 3600         # arrive-by: how long before the deadline a journey may leave
MIN_WINDOW_S = 60
MAX_WINDOW_S = SECONDS_PER_DAY
MAX_RANGE_S = 6 * 3600              # range queries (window_s): departure minutes searched
#: Longest time budget a query may ask for (plan, time_budget_s), seconds.
MAX_TIME_BUDGET_S = 3600
#: Longest a journey may take, from the requested departure to its arrival (plan, max_duration_s).
MIN_DURATION_S, MAX_DURATION_S = 60, 2 * SECONDS_PER_DAY
MAX_CHANGE_S = 3 * 3600             # min_change_time


def parse_date(value: dt.date | str, parameter: str = "date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidQueryError(f"{parameter}: {value!r} is not a date (expected YYYY-MM-DD)", parameter) from None


def parse_time(value: str | int | dt.time, parameter: str = "time") -> int:
    """'HH:MM[:SS]' (hours may exceed 23, as in GTFS) or seconds -> seconds since noon-minus-12h."""
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        seconds = int(value)
    else:
        parts = str(value).strip().split(":")
        try:
            if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
                raise ValueError
            h, m = int(parts[0]), int(parts[1])
            s = int(parts[2]) if len(parts) == 3 else 0
            if m > 59 or s > 59:
                raise ValueError
        except ValueError:
            raise InvalidQueryError(f"{parameter}: {value!r} is not a time (expected HH:MM or HH:MM:SS)",
                                    parameter) from None
        seconds = h * 3600 + m * 60 + s
    if not 0 <= seconds < 2 * SECONDS_PER_DAY:
        raise InvalidQueryError(f"{parameter}: {value!r} is out of range (00:00 .. 47:59:59)", parameter)
    return seconds


def check_int(value, parameter: str, low: int, high: int) -> int:
    """An integer (not a bool) in low..high, or InvalidQueryError naming ``parameter``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise InvalidQueryError(f"{parameter} must be an integer in {low}..{high}", parameter)
    return int(value)


def check_max_transfers(max_transfers: int) -> int:
    """The number of RAPTOR rounds (vehicles) for ``max_transfers`` changes."""
    if isinstance(max_transfers, bool) or not isinstance(max_transfers, (int, np.integer)):
        raise InvalidQueryError("max_transfers must be an integer", "max_transfers")
    if not 0 <= max_transfers < MAX_ROUNDS:
        raise InvalidQueryError(f"max_transfers must be between 0 and {MAX_ROUNDS - 1}", "max_transfers")
    return int(max_transfers) + 1


def check_change_time(min_change_s: int) -> int:
    if isinstance(min_change_s, bool) or not isinstance(min_change_s, (int, np.integer)) \
            or not 0 <= min_change_s <= MAX_CHANGE_S:
        raise InvalidQueryError(f"min_change_time must be an integer number of seconds in 0..{MAX_CHANGE_S}",
                                "min_change_time")
    return int(min_change_s)


def check_window(value, parameter: str = "max_window_s") -> int:
    """The arrive-by window in seconds (60 .. 86400): how long before T a journey may leave."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not MIN_WINDOW_S <= value <= MAX_WINDOW_S:
        raise InvalidQueryError(f"{parameter} must be an integer number of seconds in "
                                f"{MIN_WINDOW_S}..{MAX_WINDOW_S}", parameter)
    return int(value)


def check_mode(mode: str) -> str:
    if mode not in MODES_ACCESS:
        raise InvalidQueryError(f"mode must be one of {', '.join(MODES_ACCESS)}", "mode")
    return mode


def as_point(value) -> tuple[float, float] | None:
    """(lat, lon) from a tuple/list of two numbers or a "lat,lon" string; None for a stop ref."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, str) and value.count(",") == 1:
        a, b = value.split(",")
        try:
            return float(a), float(b)
        except ValueError:
            return None
    return None


def hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass(frozen=True, slots=True)
class PlaceRef:
    """One end of a journey: a stop reference (id or name) or a checked ``(lat, lon)`` point."""

    stop: str | None = None             # a stop id or name, as given
    point: tuple[float, float] | None = None

    @property
    def is_point(self) -> bool:
        return self.point is not None

    @classmethod
    def parse(cls, value, parameter: str) -> PlaceRef:
        point = as_point(value)
        if point is not None:
            return cls(point=check_point(point[0], point[1], parameter))
        return cls(stop=value)     # resolved (or refused, naming the parameter) by the timetable


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """A checked plan() request. Times are seconds on ``date``'s axis (noon minus 12 h).

    ``arrive_window_s`` is None for a departure-time query, else the arrive-by window (``time``
    is then the deadline); ``range_s`` is 0 for one departure, else the departure window of a
    range (profile) query: every departure minute in [time, time + range_s). ``max_duration_s``
    (departure-time queries): journeys arriving later than that after ``time`` are left out.
    """

    origin: PlaceRef
    destination: PlaceRef
    date: dt.date
    time_s: int
    max_rounds: int
    min_change_s: int = DEFAULT_MIN_CHANGE_S
    walk_before_first: bool = True
    walk_after_last: bool = True
    mode: str = "walk"
    max_access_s: int = DEFAULT_ACCESS_S
    max_direct_s: int = 2 * DEFAULT_ACCESS_S
    arrive_window_s: int | None = None
    range_s: int = 0
    max_duration_s: int | None = None
    #: fares v2: the rider category itineraries are priced for (None: the default rider; checked
    #: against the bundle's by engine.api, Network._fare_choice)
    rider_category: str | None = None
    #: fares v2: the fare medium paid with (None: the cheapest of each product; checked likewise)
    fare_medium: str | None = None
    #: time.monotonic() past which a search with a third criterion stops (time_budget_s)
    deadline: float | None = field(default=None, compare=False, repr=False)
    # the real-time overlay snapshot every run of this request reads (engine/realtime), or None
    overlay: object | None = field(default=None, compare=False, repr=False)

    @property
    def has_point(self) -> bool:
        return self.origin.is_point or self.destination.is_point

    @property
    def latest_arrival_s(self) -> int | None:
        """The latest arrival a journey may have (None: no limit)."""
        return None if self.max_duration_s is None else self.time_s + self.max_duration_s

    @classmethod
    def create(cls, origin, destination, date, time, *, max_transfers: int = 4,
               min_change_time: int = DEFAULT_MIN_CHANGE_S, walk_before_first: bool = True,
               walk_after_last: bool = True, mode: str = "walk", max_access_s: int = DEFAULT_ACCESS_S,
               max_direct_s: int | None = None, arrive_by: bool = False, max_window_s: int | None = None,
               window_s: int = 0, max_duration_s: int | None = None,
               time_budget_s: float | None = None) -> PlanRequest:
        """Check every value of a plan() call once (see ``engine.Network.plan`` for meanings)."""
        day = parse_date(date)
        start = parse_time(time)
        rounds = check_max_transfers(max_transfers)
        change = check_change_time(min_change_time)
        if not isinstance(arrive_by, (bool, np.bool_)):
            raise InvalidQueryError("arrive_by must be true or false", "arrive_by")
        window = None
        if arrive_by:
            window = check_window(DEFAULT_WINDOW_S if max_window_s is None else max_window_s)
        elif max_window_s is not None:
            raise InvalidQueryError("max_window_s applies to arrive_by queries only", "max_window_s")
        range_s = check_int(window_s, "window_s", 0, MAX_RANGE_S)
        if range_s and arrive_by:
            raise InvalidQueryError("window_s (a range of departures) cannot be combined with arrive_by",
                                    "window_s")
        duration = None
        if max_duration_s is not None:
            duration = check_int(max_duration_s, "max_duration_s", MIN_DURATION_S, MAX_DURATION_S)
            if arrive_by or range_s:
                raise InvalidQueryError("max_duration_s applies to departure-time queries only (not with arrive_by "
                                        "or window_s)", "max_duration_s")
        o = PlaceRef.parse(origin, "origin")
        d = PlaceRef.parse(destination, "destination")
        # checked whatever the ends (a bad value is an error even where it would not be used)
        access = check_int(max_access_s, "max_access_s", 0, MAX_ACCESS_S)
        direct = check_int(2 * access if max_direct_s is None else max_direct_s, "max_direct_s", 0, MAX_DIRECT_S)
        if o.is_point or d.is_point:
            check_mode(mode)
        deadline = None
        if time_budget_s is not None:
            if isinstance(time_budget_s, bool) or not isinstance(time_budget_s, (int, float, np.integer, np.floating)) \
                    or not 0 < time_budget_s <= MAX_TIME_BUDGET_S:
                raise InvalidQueryError(f"time_budget_s must be a number of seconds in (0, {MAX_TIME_BUDGET_S}]",
                                        "time_budget_s")
            deadline = monotonic() + float(time_budget_s)
        return cls(o, d, day, start, rounds, change, bool(walk_before_first), bool(walk_after_last),
                   mode if (o.is_point or d.is_point) else "walk", access, direct, window, range_s, duration,
                   deadline=deadline)
