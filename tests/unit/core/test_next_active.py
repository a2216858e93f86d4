"""_core.fill_next_active (per-day next running trip) against a plain numpy formulation, and a
clear error for a service index outside the day table (a corrupt bundle)."""
from __future__ import annotations

import numpy as np
import pytest

from engine._core import fill_next_active


def _reference(active: np.ndarray, trip_service: np.ndarray) -> np.ndarray:
    n = len(trip_service)
    out = np.empty((active.shape[0], n), np.int32)
    for row in range(active.shape[0]):
        values = np.where(active[row][trip_service] == 1, np.arange(n), n)
        out[row] = np.minimum.accumulate(values[::-1])[::-1]
    return out


@pytest.mark.parametrize("seed", range(20))
def test_equals_numpy_reference(seed):
    rng = np.random.default_rng(seed)
    n_services, n_trips, rows = int(rng.integers(1, 30)), int(rng.integers(0, 400)), int(rng.integers(1, 7))
    active = (rng.random((rows, n_services)) < rng.random()).astype(np.uint8)
    trip_service = rng.integers(0, n_services, n_trips).astype(np.int32)
    out = np.full((rows, n_trips), -7, np.int32)
    fill_next_active(active, trip_service, out)
    assert np.array_equal(out, _reference(active, trip_service))


@pytest.mark.parametrize("bad", [-1, 3])
def test_service_outside_the_table_is_an_error(bad):
    active = np.ones((2, 3), np.uint8)
    with pytest.raises(ValueError, match="service index"):
        fill_next_active(active, np.array([0, bad, 1], np.int32), np.empty((2, 3), np.int32))


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="out must be"):
        fill_next_active(np.ones((2, 3), np.uint8), np.zeros(4, np.int32), np.empty((2, 3), np.int32))
