"""Accessibility and bikes on board: wheelchair_boarding, wheelchair_accessible, bikes_allowed
flags, and pathways.txt as a stop-to-stop graph with times and step-free edges (issue 14).

The GTFS flags are 0 (no information), 1 (yes) or 2 (no); anything else is read as 0 and
counted in the build report. A pathway is step-free unless its pathway_mode is 2 (stairs) or
4 (escalator), or its ``max_slope`` is steeper than 1:12 up or down (engine._types
WHEELCHAIR_MAX_SLOPE, as the wheelchair street mode's inclines; a value that is not a number is
read as none and counted); a pathway with ``is_bidirectional`` 1 is returned in both directions.
Its time is ``traversal_time`` when given, else its ``length`` at walking speed
(engine/timetable/station_walks.py); a negative or unreadable value is read as none and counted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from engine._types import NO_IDX, WHEELCHAIR_MAX_SLOPE
from engine.loaders.gtfs_csv import CsvTable
from engine.loaders.gtfs_diag import Diag
from engine.loaders.gtfs_parse import to_float, to_int

STAIRS, ESCALATOR = 2, 4          # GTFS pathway_mode values that are not step-free
MAX_PATHWAY_S = 3600              # one pathway longer than an hour, or
MAX_PATHWAY_M = 5000.0            # than 5 km, is a typo: read as no value


def load_flag(t: CsvTable, column: str, rows: np.ndarray, code: str, diag: Diag) -> np.ndarray:
    """int8 GTFS 0/1/2 flag ``column`` at file rows ``rows`` (0 where absent, empty or bad)."""
    values, bad = to_int(t.get(column), 0)
    values, bad = values[rows], bad[rows]
    bad |= (values < 0) | (values > 2)
    diag.rows(code, "fixed", t, rows[bad], column, f"{column} not 0/1/2, read as 0 (no information)")
    return np.where(bad, 0, values).astype(np.int8)


@dataclass
class PathwaysPart:
    """Directed pathway edges between feed-local stops (one row per direction)."""

    from_stop: np.ndarray   # int32 local stop index
    to_stop: np.ndarray     # int32 local stop index
    step_free: np.ndarray   # bool: neither stairs nor escalator nor steeper than 1:12
    seconds: np.ndarray     # int32 traversal_time, -1 when absent
    length_m: np.ndarray    # float64 length, NaN when absent
    mode: np.ndarray        # int8 pathway_mode (1 walkway .. 7 exit gate)
    sign: list[str]         # signposted_as (reversed_signposted_as for the way back), "" when none


def empty_pathways() -> PathwaysPart:
    z = np.zeros(0, np.int32)
    return PathwaysPart(z, z.copy(), np.zeros(0, bool), z.copy(), np.zeros(0), np.zeros(0, np.int8), [])


def load_pathways(t: CsvTable, stop_ids, diag: Diag) -> PathwaysPart:
    """pathways.txt rows between known stops; unknown stops or modes are skipped and counted."""
    diag.count("pathways.read", t.n_rows)
    a = pc.index_in(t.get("from_stop_id"), value_set=stop_ids).fill_null(NO_IDX).to_numpy(
        zero_copy_only=False).astype(np.int32)
    b = pc.index_in(t.get("to_stop_id"), value_set=stop_ids).fill_null(NO_IDX).to_numpy(
        zero_copy_only=False).astype(np.int32)
    mode, bad_mode = to_int(t.get("pathway_mode"), 0)
    both, bad_dir = to_int(t.get("is_bidirectional"), 0)
    unknown = (a < 0) | (b < 0)
    diag.rows("pathways.unknown_stop", "skipped", t, np.flatnonzero(unknown), "from_stop_id",
              "pathway between stops that are not in stops.txt; skipped")
    bad = ~unknown & (bad_mode | (mode < 1) | (mode > 7) | bad_dir | (both < 0) | (both > 1))
    diag.rows("pathways.bad_value", "skipped", t, np.flatnonzero(bad), "pathway_mode",
              "pathway_mode not 1..7 or is_bidirectional not 0/1; skipped")
    keep = ~unknown & ~bad
    step_free = (mode != STAIRS) & (mode != ESCALATOR)
    if t.has("max_slope"):
        slope, bad_slope = to_float(t.get("max_slope"))
        diag.rows("pathways.bad_max_slope", "fixed", t, np.flatnonzero(keep & bad_slope), "max_slope",
                  "max_slope is not a number; read as none")
        steep = keep & step_free & (np.abs(np.nan_to_num(slope)) > WHEELCHAIR_MAX_SLOPE)
        diag.count("pathways.too_steep", int(steep.sum()))
        step_free &= ~steep
    seconds = np.full(t.n_rows, -1, np.int64)
    if t.has("traversal_time"):
        seconds, bad_time = to_int(t.get("traversal_time"), -1)
        bad_time |= (t.nonempty("traversal_time") & (seconds < 0)) | (seconds > MAX_PATHWAY_S)
        diag.rows("pathways.bad_traversal_time", "fixed", t, np.flatnonzero(keep & bad_time), "traversal_time",
                  f"traversal_time is not a number of seconds in [0, {MAX_PATHWAY_S}]; read as none")
        seconds = np.where(bad_time, -1, seconds)
    length = np.full(t.n_rows, np.nan)
    if t.has("length"):
        length, bad_length = to_float(t.get("length"))
        # (a given value that is not a finite number of metres in range: "NaN", "inf", negative)
        bad_length |= t.nonempty("length") & ~((length >= 0) & (length <= MAX_PATHWAY_M))
        diag.rows("pathways.bad_length", "fixed", t, np.flatnonzero(keep & bad_length), "length",
                  f"length is not a number of metres in [0, {MAX_PATHWAY_M}]; read as none")
        length = np.where(bad_length, np.nan, length)
    back = keep & (both == 1)
    diag.count("pathways.kept", int(keep.sum()))
    sign, sign_back = (t.get(name).to_pylist() for name in ("signposted_as", "reversed_signposted_as"))
    return PathwaysPart(np.concatenate([a[keep], b[back]]).astype(np.int32),
                        np.concatenate([b[keep], a[back]]).astype(np.int32),
                        np.concatenate([step_free[keep], step_free[back]]),
                        np.concatenate([seconds[keep], seconds[back]]).astype(np.int32),
                        np.concatenate([length[keep], length[back]]).astype(np.float64),
                        np.concatenate([mode[keep], mode[back]]).astype(np.int8),
                        [(sign[i] or "").strip() for i in np.flatnonzero(keep)]
                        + [(sign_back[i] or "").strip() for i in np.flatnonzero(back)])
