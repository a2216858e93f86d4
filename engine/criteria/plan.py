"""plan() with accessibility / bikes-on-board filters: the usual Planner on a FilteredTimetable.

Rules a filtered request follows (checked here, once):
- ``wheelchair=True``: walking on the streets (access, egress, the direct journey, footpath
  geometry) takes the step-free "wheelchair" street profile (no ``highway=steps``, no
  ``wheelchair=no``; engine.streets.step_free), and transfers the step-free footpaths
  (filters.py). A ``(lat, lon)`` end is snapped to a street that profile may use.
- ``bikes=True`` takes access and egress on the bike street profile (``mode="bike"``).
- Filters plan with the real-time overlay as unfiltered plans do (``realtime``: default on when
  one was applied): the overlay seen through the filters (filters.filtered_overlay: a changed
  trip keeps its scheduled trip's flags, a trip the feed added has none and is left out).
- A third criterion plans with the overlay too (engine/criteria/realtime.py).
"""
from __future__ import annotations

import dataclasses
import threading

import numpy as np

from ..errors import InvalidQueryError
from ..raptor.journey import Plan
from ..raptor.planner import Planner
from ..raptor.request import PlanRequest
from ..raptor.search import RaptorRunner
from .filters import Filters, filtered_overlay, filtered_streets, filtered_timetable
from .mcraptor import TWO_CRITERIA, plan_mc

_LOCK = threading.Lock()


def check_filters(wheelchair, bikes) -> Filters:
    """Filters from the user's values (booleans only, InvalidQueryError naming the parameter)."""
    for name, value in (("wheelchair", wheelchair), ("bikes", bikes)):
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidQueryError(f"{name} must be true or false", name)
    return Filters(bool(wheelchair), bool(bikes))


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
                       overlay, cache: dict) -> Plan:
    """A request with filters and/or a third criterion (``Network.plan`` calls this only then);
    ``overlay``: the real-time snapshot an unfiltered two-criteria plan would use (None: none)."""
    planner = filtered_planner(base_planner, filters, cache) if filters else base_planner
    if overlay is not None:
        request = dataclasses.replace(request, overlay=filtered_overlay(overlay, planner.tt) if filters else overlay)
    if optimize != TWO_CRITERIA:
        plan = plan_mc(planner, request, cache, filters, optimize)
    else:
        plan = planner.plan(request)
    plan.stats.update(wheelchair=filters.wheelchair, bikes=filters.bikes)
    return plan
