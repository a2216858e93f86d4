"""Dtypes, sentinels and unit conventions shared by every layer (mirrored in _core.pyx).

Units: times are int32 seconds after the service day's "noon minus 12 h" (GTFS), durations
int32 seconds, distances metres, coordinates float64 WGS84 degrees.
"""
import numpy as np

STOP_IDX = np.int32
TIME = np.int32

#: Index sentinel ("no stop / no pattern / no parent"). Never a valid index.
NO_IDX = -1
#: Time/cost sentinel for "not reached". Far from INT32_MAX so that adding a duration
#: (at most a few days) can never overflow (the r5 / OTP RaptorConstants argument).
UNREACHED = 2_000_000_000
#: "No value" for optional non-negative int fields (e.g. a per-stop minimum change time).
NO_VALUE = -1
#: Upper bound on RAPTOR rounds (vehicles per journey) that a request may ask for.
MAX_ROUNDS = 16
SECONDS_PER_DAY = 86_400
#: Mean Earth radius used for straight-line walking (haversine), metres.
EARTH_RADIUS_M = 6_371_000.0
#: The steepest slope (rise over run) a wheelchair route takes where the data gives one (OSM
#: ``incline``, GTFS ``pathways.max_slope``): 1:12, the ramp slope of accessibility standards
#: (ADA 405.2) and OpenTripPlanner's default wheelchair maxSlope.
WHEELCHAIR_MAX_SLOPE = 1 / 12

# GTFS pickup_type / drop_off_type values.
PICKUP_REGULAR = 0
PICKUP_NONE = 1
PICKUP_PHONE = 2
PICKUP_DRIVER = 3
