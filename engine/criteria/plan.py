"""plan() with accessibility / bikes-on-board filters: the usual Planner on a FilteredTimetable.

Rules a filtered request follows (checked here, once):
- ``wheelchair=True``: walking on the streets (access, egress, the direct journey, footpath
  geometry) takes the step-free "wheelchair" street profile (no ``highway=steps``, no
  ``wheelchair=no``; engine.streets.step_free), and transfers the step-free footpaths
  (filters.py). A ``(lat, lon)`` end is snapped to a street that profile may use.
- ``bikes=True`` takes access and egress on the bike street profile (``mode="bike"``).
- Filters plan on the schedule: real-time trips carry no accessibility or bike flags, so
  ``realtime=True`` is refused naming ``realtime`` and the default plans without the overlay.
"""
from __future__ import annotations

import threading

import numpy as np

from ..errors import InvalidQueryError
from ..raptor.journey import Plan
from ..raptor.planner import Planner
from ..raptor.request import PlanRequest
from ..raptor.search import RaptorRunner
from .filters import Filters, filtered_streets, filtered_timetable
from .mcraptor import TWO_CRITERIA, check_mc_request, plan_mc

_LOCK = threading.Lock()


def check_filters(wheelchair, bikes) -> Filters:
    """Filters from the user's values (booleans only, InvalidQueryError naming the parameter)."""
    for name, value in (("wheelchair", wheelchair), ("bikes", bikes)):
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidQueryError(f"{name} must be true or false", name)
    return Filters(bool(wheelchair), bool(bikes))


def check_filtered_request(request: PlanRequest, filters: Filters, realtime) -> None:
    if realtime:
        raise InvalidQueryError("realtime: the wheelchair and bikes filters apply to the schedule only "
                                "(real-time trips carry no accessibility or bike flags)", "realtime")


def filtered_planner(base_planner: Planner, filters: Filters, cache: dict) -> Planner:
    """A Planner over the filtered timetable of ``filters`` (built once, kept in ``cache``)."""
    planner = cache.get(("planner", filters))
    if planner is None:
        tt = filtered_timetable(base_planner.tt, filters, cache)
        with _LOCK:
            planner = cache.get(("planner", filters))
            if planner is None:
                planner = cache[("planner", filters)] = Planner(
                    RaptorRunner(tt), base_planner.legs, filtered_streets(base_planner.streets, filters),
                    base_planner.walk_speed_mps)
    return planner


def plan_with_criteria(base_planner: Planner, request: PlanRequest, filters: Filters, optimize: tuple[str, ...],
                       realtime, cache: dict) -> Plan:
    """A request with filters and/or a third criterion (``Network.plan`` calls this only then)."""
    if realtime is not None and not isinstance(realtime, (bool, np.bool_)):
        # the same rule as Network._overlay, which this path does not reach
        raise InvalidQueryError("realtime must be true or false", "realtime")
    if filters:
        check_filtered_request(request, filters, realtime)
    planner = filtered_planner(base_planner, filters, cache) if filters else base_planner
    if optimize != TWO_CRITERIA:
        check_mc_request(realtime, optimize)
        plan = plan_mc(planner, request, cache, filters, optimize)
    else:
        plan = planner.plan(request)
    plan.stats.update(wheelchair=filters.wheelchair, bikes=filters.bikes)
    return plan
