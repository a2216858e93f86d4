"""Per-mode tag rules: which OSM highway ways a walker, a cyclist or a car may use, how fast, which way.

The rules follow what common routers do (OSRM foot/bicycle/car profiles, OpenTripPlanner's default
permissions), simplified where they differ:

- Access tags are resolved from the most specific key to the most general one: walk reads
  ``foot`` then ``access``; bike reads ``bicycle``, ``vehicle``, ``access``; car reads
  ``motorcar``, ``motor_vehicle``, ``vehicle``, ``access``. ``no``/``private``/``agricultural``/
  ``forestry``/``emergency``/``military``/``use_sidepath`` forbid; anything else allows
  (``destination``, ``delivery``, ``customers``, ``permissive``, ``designated`` ...).
- Walk: every walkable highway in both directions (``oneway`` is ignored, so the walk graph is
  symmetric), motorways never, cycleways and bridleways only with an explicit ``foot`` permission.
  Walking speed is constant (steps included).
- Bike: rideable highways at the cycling speed; footways, pedestrian streets, platforms and
  corridors are pushed at walking speed (unless ``bicycle`` allows riding); steps are pushed at
  half the walking speed; ``bicycle=dismount`` means pushing. ``oneway`` applies unless
  ``oneway:bicycle=no`` or an ``opposite`` cycleway; ``oneway:bicycle=yes`` applies on its own.
  Pushing against a one-way street is not modelled (the street is cycled one way only).
- Car: motor roads at ``maxspeed`` when tagged (``maxspeed:forward/backward`` too), else a default
  per highway type; ``oneway`` (implied on motorways and roundabouts), ``oneway=reversible`` closes
  the way. Tracks only with an explicit motor vehicle permission.
- ``area=yes`` ways (pedestrian squares, ...) are walked along their outline; cars never use them.
- Wheelchair (issue 14, step-free streets): the walk profile at walking speed, minus
  ``highway=steps`` (always, ramps on steps are not modelled), minus ways tagged
  ``wheelchair=no``, and minus ways whose ``incline`` is a number steeper than
  engine._types WHEELCHAIR_MAX_SLOPE (1:12, 8.33 %, the slope of ramp standards and
  OpenTripPlanner's default wheelchair maxSlope), in either direction, and minus ways whose ``smoothness`` is ``bad`` or
  worse (the key's own scale: "intermediate" is the last grade it lists as usable by a
  wheelchair, "bad" needs robust wheels), unless the way says ``wheelchair=yes`` or
  ``designated`` (the mapper's word on that way wins). ``incline=up`` / ``down`` (no number)
  stays usable. Nothing else is read: ``wheelchair=limited`` and ``surface`` stay usable (a
  surface says a material, not how rough it is: compacted gravel may roll well; excluding on it
  would drop journeys on little evidence), and kerbs and elevators (node tags) are not modelled.
"""
from __future__ import annotations

import math
import re

from .._types import WHEELCHAIR_MAX_SLOPE

DENY = frozenset({"no", "private", "agricultural", "forestry", "emergency", "military",
                  "use_sidepath", "restricted", "disabled", "psv", "bus", "taxi"})
YES = frozenset({"yes", "designated", "permissive", "destination", "delivery", "customers",
                 "official", "public", "discouraged", "unknown"})

WALK_HIGHWAYS = frozenset({
    "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link", "tertiary",
    "tertiary_link", "unclassified", "residential", "road", "living_street", "service", "track",
    "path", "footway", "pedestrian", "steps", "platform", "corridor",
})
WALK_IF_ALLOWED = frozenset({"cycleway", "bridleway"})
BIKE_RIDE = frozenset({
    "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link", "tertiary",
    "tertiary_link", "unclassified", "residential", "road", "living_street", "service", "track",
    "path", "cycleway",
})
BIKE_PUSH = frozenset({"footway", "pedestrian", "platform", "corridor"})
#: Default car speeds in km/h when no maxspeed is tagged (close to OSRM's car profile).
CAR_KMH = {
    "motorway": 90.0, "motorway_link": 45.0, "trunk": 85.0, "trunk_link": 40.0,
    "primary": 65.0, "primary_link": 30.0, "secondary": 55.0, "secondary_link": 25.0,
    "tertiary": 40.0, "tertiary_link": 20.0, "unclassified": 25.0, "residential": 25.0,
    "road": 25.0, "living_street": 10.0, "service": 15.0,
}
CAR_TRACK_KMH = 15.0
#: Zone values of maxspeed ("DE:urban", "FR:rural", "walk", ...), km/h.
ZONE_KMH = {"urban": 50.0, "rural": 90.0, "motorway": 130.0, "trunk": 100.0,
            "living_street": 7.0, "walk": 7.0, "zone30": 30.0, "zone:30": 30.0, "zone20": 20.0,
            "bicycle_road": 30.0, "school": 30.0}
ZONE_KMH_DE = {"rural": 100.0}
MIN_CAR_KMH, MAX_CAR_KMH = 5.0, 140.0
_NUMBER = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
_TRUE = frozenset({"yes", "1", "true"})
_REVERSE = frozenset({"-1", "reverse"})
_FALSE = frozenset({"no", "0", "false"})


def parse_maxspeed(value: str | None) -> float | None:
    """km/h from an OSM maxspeed value, None when absent or unusable ("none", "signals", ...)."""
    if not value:
        return None
    value = value.split(";")[0].strip().lower()
    match = _NUMBER.match(value)
    if match:
        kmh = float(match.group(1).replace(",", "."))
        unit = match.group(2)
        if unit == "mph":
            kmh *= 1.609344
        elif unit == "knots":
            kmh *= 1.852
        return kmh if kmh > 0 else None
    country, _, zone = value.rpartition(":") if ":" in value else ("", "", value)
    if country.endswith("zone"):       # "DE:zone:30"
        zone = "zone" + zone
    if country.upper() == "DE" and zone in ZONE_KMH_DE:
        return ZONE_KMH_DE[zone]
    return ZONE_KMH.get(zone)


def _access(tags, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = tags.get(key)
        if value:
            return value.split(";")[0].strip()
    return None


def _oneway(value: str | None, implied: bool) -> int:
    """+1 forward only, -1 backward only, 0 both ways."""
    if value is None:
        return 1 if implied else 0
    if value in _TRUE:
        return 1
    if value in _REVERSE:
        return -1
    return 0


def _directed(speed: float, oneway: int) -> tuple[float, float]:
    if oneway > 0:
        return speed, 0.0
    if oneway < 0:
        return 0.0, speed
    return speed, speed


#: OSM smoothness grades past "intermediate" (city bike, wheelchair): robust wheels and worse
TOO_ROUGH_FOR_WHEELCHAIRS = frozenset({"bad", "very_bad", "horrible", "very_horrible", "impassable"})
_INCLINE = re.compile(r"^\s*([+-]?[0-9]+(?:[.,][0-9]+)?)\s*(%|°|deg)?\s*$")


def parse_incline(value: str | None) -> float | None:
    """An OSM ``incline`` as a slope (rise over run, signed), None when it gives no number
    ("up", "down", absent, unparsable). "10%" and "10" are percent, "5°" degrees."""
    if not value:
        return None
    match = _INCLINE.match(value.split(";")[0])
    if match is None:
        return None
    number = float(match.group(1).replace(",", "."))
    if match.group(2) in ("°", "deg"):
        return math.tan(math.radians(number)) if abs(number) < 90 else None
    return number / 100.0


def wheelchair_speed(tags, walk_speed: float) -> float:
    """Speed of a wheelchair user on a way (m/s, 0 = not usable) given its walk speed."""
    if walk_speed <= 0 or tags.get("highway") == "steps":
        return 0.0
    value = tags.get("wheelchair")
    if value is not None:
        value = value.split(";")[0].strip()
        if value == "no":
            return 0.0
        if value in ("yes", "designated"):
            return walk_speed
    incline = tags.get("incline")
    if incline is not None:
        slope = parse_incline(incline)
        if slope is not None and abs(slope) > WHEELCHAIR_MAX_SLOPE:
            return 0.0
    smoothness = tags.get("smoothness")
    if smoothness is not None and smoothness.strip() in TOO_ROUGH_FOR_WHEELCHAIRS:
        return 0.0
    return walk_speed


def way_attrs(tags, walk_mps: float, bike_mps: float) -> tuple[float, ...]:
    """Per-mode (fwd, bwd) speeds of a way in MODES order: way_speeds + the wheelchair pair."""
    speeds = way_speeds(tags, walk_mps, bike_mps)
    chair = wheelchair_speed(tags, speeds[0])
    return speeds + (chair, chair)


def way_speeds(tags, walk_mps: float, bike_mps: float) -> tuple[float, float, float, float, float, float]:
    """(walk_fwd, walk_bwd, bike_fwd, bike_bwd, car_fwd, car_bwd) speeds in m/s for one way.

    ``tags`` is any mapping with ``.get`` (an osmium TagList or a dict). 0 means not allowed.
    Forward is the direction of the way's node list.
    """
    highway = tags.get("highway")
    if not highway:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    area = tags.get("area") == "yes"
    # ---- walk
    walk = 0.0
    foot = _access(tags, ("foot", "access"))
    if highway in WALK_HIGHWAYS or highway in WALK_IF_ALLOWED:
        explicit = tags.get("foot")
        if highway in WALK_IF_ALLOWED:
            allowed = explicit is not None and explicit in YES
        else:
            allowed = foot is None or foot not in DENY
        walk = walk_mps if allowed else 0.0
    # ---- bike
    bike = 0.0
    bicycle = _access(tags, ("bicycle", "vehicle", "access"))
    explicit_bike = tags.get("bicycle")
    if highway == "steps":
        bike = walk_mps * 0.5 if (bicycle is None or bicycle not in DENY) and walk > 0 else 0.0
    elif explicit_bike == "dismount":
        bike = walk_mps
    elif highway in BIKE_RIDE and not area:
        bike = bike_mps if bicycle is None or bicycle not in DENY else 0.0
    elif highway in BIKE_PUSH or (area and highway in BIKE_RIDE):
        if explicit_bike is not None and explicit_bike in YES:
            bike = bike_mps
        elif bicycle is None or bicycle not in DENY:
            bike = walk_mps if walk > 0 else 0.0
    elif highway in WALK_IF_ALLOWED and explicit_bike is not None and explicit_bike in YES:
        bike = bike_mps
    # ---- car
    car_f = car_b = 0.0
    car_access = _access(tags, ("motorcar", "motor_vehicle", "vehicle", "access"))
    oneway_tag = tags.get("oneway")
    if not area and oneway_tag != "reversible" and (car_access is None or car_access not in DENY):
        kmh = CAR_KMH.get(highway)
        if kmh is None and highway == "track" and car_access is not None and car_access in YES:
            kmh = CAR_TRACK_KMH
        if kmh is not None:
            base = parse_maxspeed(tags.get("maxspeed")) or kmh
            fwd = parse_maxspeed(tags.get("maxspeed:forward")) or base
            bwd = parse_maxspeed(tags.get("maxspeed:backward")) or base
            fwd = min(max(fwd, MIN_CAR_KMH), MAX_CAR_KMH) / 3.6
            bwd = min(max(bwd, MIN_CAR_KMH), MAX_CAR_KMH) / 3.6
            implied = highway in ("motorway", "motorway_link") or tags.get("junction") in ("roundabout", "circular")
            oneway = _oneway(oneway_tag, implied)
            car_f = fwd if oneway >= 0 else 0.0
            car_b = bwd if oneway <= 0 else 0.0
    # ---- bike direction
    bike_f = bike_b = 0.0
    if bike > 0:
        implied = tags.get("junction") in ("roundabout", "circular")
        oneway = _oneway(oneway_tag, implied) if oneway_tag != "reversible" else 0
        ob = tags.get("oneway:bicycle")
        if ob is not None:
            oneway = _oneway(ob, False) if ob not in _FALSE else 0
        elif oneway != 0:
            for key in ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both"):
                if (tags.get(key) or "").startswith("opposite"):
                    oneway = 0
                    break
        bike_f, bike_b = _directed(bike, oneway)
    return walk, walk, bike_f, bike_b, car_f, car_b
