"""The lower-bound inputs of McRAPTOR's target pruning (engine/_mcraptor.pyx, "Lower bounds",
_compute_stage): each pattern hop at its fastest trip (min over the pattern's trips of arrival at
the next stop minus departure: waiting is left out, so a ride never costs less than the sum of
its hops), and the footpaths reversed with their durations. Built once per McPlanner, on its
first query (compiled loops: on a 30 M stop_times timetable numpy's temporaries held ~1 GB).
"""
from __future__ import annotations

import numpy as np


def fastest_hops_array(tt) -> np.ndarray:
    """int32 along pattern_stops: at a pattern's stop_pos i the fastest hop i -> i + 1 (0 at its
    last stop): engine._mcraptor.fastest_hops over ``tt``'s pattern arrays."""
    from .._mcraptor import fastest_hops

    return fastest_hops(np.ascontiguousarray(tt.pattern_stops_offsets, np.int32),
                        np.ascontiguousarray(tt.pattern_n_trips, np.int32),
                        np.ascontiguousarray(tt.pattern_st_offset, np.int64),
                        np.ascontiguousarray(tt.st_arr, np.int32), np.ascontiguousarray(tt.st_dep, np.int32))


def stage_arrays(tt, hop_min: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``hop_min``: fastest_hops_array (given: a real-time timetable's, engine/criteria/realtime.py);
    ``rfp_offsets`` / ``rfp_from`` / ``rfp_duration``: the footpaths as a CSR over the stop they
    reach (who walks here, in how long)."""
    if hop_min is None:
        hop_min = fastest_hops_array(tt)
    from .._core import reverse_footpaths

    rfp_offsets, rfp_from, rfp_duration = reverse_footpaths(
        np.ascontiguousarray(tt.footpath_offsets, np.int32), np.ascontiguousarray(tt.footpath_to, np.int32),
        int(tt.n_stops), np.ascontiguousarray(tt.footpath_duration, np.int32))
    return {"hop_min": hop_min, "rfp_offsets": rfp_offsets, "rfp_from": rfp_from, "rfp_duration": rfp_duration}
