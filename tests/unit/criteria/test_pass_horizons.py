"""Fares v2 pass horizons (engine/criteria/mcraptor.py pass_horizons): 1 h and 2 h after the
start, 25 min after the earliest known arrival, none before that arrival nor at or after the
query's latest arrival, and of two less than MIN_PASS_GAP_S apart only the later."""
from __future__ import annotations

import numpy as np

from engine.criteria.mcraptor import FIRST_PASS_AFTER_EARLIEST_S, MIN_PASS_GAP_S, pass_horizons

START = 36_000                  # 10:00


def _known(earliest: int) -> np.ndarray:
    return np.array([[earliest, 1, 170], [earliest + 900, 2, 150]], np.int32)


def test_three_passes_when_apart():
    earliest = START + 600      # first pass at 10:35, then 11:00 (25 min later) and 12:00
    assert pass_horizons(_known(earliest), START, None) == [earliest + FIRST_PASS_AFTER_EARLIEST_S,
                                                          START + 3600, START + 7200]


def test_close_horizons_keep_the_later():
    earliest = START + 1800     # 10:30: 25 min later is 10:55, 5 min before the start's 1 h
    assert START + 3600 - (earliest + FIRST_PASS_AFTER_EARLIEST_S) < MIN_PASS_GAP_S
    assert pass_horizons(_known(earliest), START, None) == [START + 3600, START + 7200]
    earliest = START + 2500     # 10:41:40 + 25 min = 11:06:40, after 11:00: 11:06:40 only
    assert pass_horizons(_known(earliest), START, None) == [earliest + FIRST_PASS_AFTER_EARLIEST_S, START + 7200]


def test_bounds_and_ranges():
    earliest = START + 4000     # after the start's 1 h, which then bounds nothing: 11:31:40, 12:00
    first = earliest + FIRST_PASS_AFTER_EARLIEST_S
    assert pass_horizons(_known(earliest), START, None) == [first, START + 7200]
    assert pass_horizons(_known(earliest), START, START + 7200) == [first]     # (none at or after latest)
    # a range's minutes: from the start only
    assert pass_horizons(_known(START + 600), START, None, in_range=True) == [START + 3600, START + 7200]
    assert pass_horizons(np.zeros((0, 3), np.int32), START, None) == []
