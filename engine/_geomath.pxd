# cython: language_level=3
"""Great-circle distance for the compiled kernels, written once (cimported by _streets.pyx and
_geocode.pyx): the same operations in the same order as engine._geo.haversine_m (numpy), so a
kernel and the Python side agree to the last bit (tests/unit/core/test_geo.py)."""
from libc.math cimport asin, cos, sin, sqrt, M_PI


cdef inline double radians(double x) noexcept nogil:
    return x * (M_PI / 180.0)


cdef inline double haversine_m(double lat1, double lon1, double lat2, double lon2) noexcept nogil:
    """Metres on a sphere of radius 6,371,000 m (engine._types.EARTH_RADIUS_M)."""
    cdef double p1 = radians(lat1), p2 = radians(lat2)
    cdef double s1 = sin((p2 - p1) / 2), s2 = sin(radians(lon2 - lon1) / 2)
    cdef double h = s1 * s1 + cos(p1) * cos(p2) * (s2 * s2)
    if h > 1.0:
        h = 1.0
    return 2 * 6371000.0 * asin(sqrt(h))
