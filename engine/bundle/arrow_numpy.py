"""Numpy views of Arrow arrays built from their buffers, without pyarrow's pandas bridge.

QUERY TIME. ``pyarrow.Array.to_numpy`` (even zero-copy) and ``DataType.to_pandas_dtype`` go
through pyarrow's pandas conversion layer, which imports pandas (0.35-0.8 s) the first time: a
first query paid for it. The bundle's numeric columns are fixed-width and null-free, so the view
is just the values buffer, read in place.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

_DTYPES: dict[pa.DataType, np.dtype] = {
    pa.int8(): np.dtype(np.int8), pa.int16(): np.dtype(np.int16),
    pa.int32(): np.dtype(np.int32), pa.int64(): np.dtype(np.int64),
    pa.uint8(): np.dtype(np.uint8), pa.uint16(): np.dtype(np.uint16),
    pa.uint32(): np.dtype(np.uint32), pa.uint64(): np.dtype(np.uint64),
    pa.float32(): np.dtype(np.float32), pa.float64(): np.dtype(np.float64),
}


def numpy_dtype(arrow_type: pa.DataType) -> np.dtype:
    """The numpy dtype of a fixed-width numeric Arrow type (ValueError otherwise)."""
    dtype = _DTYPES.get(arrow_type)
    if dtype is None:
        raise ValueError(f"no numpy view for Arrow type {arrow_type}")
    return dtype


def numpy_view(array: pa.Array) -> np.ndarray:
    """A read-only zero-copy view of a numeric Arrow array; an array with nulls falls back to
    pyarrow's own conversion (a copy, nulls as NaN), which the bundle's columns never need."""
    dtype = _DTYPES.get(array.type)
    if dtype is None or array.null_count:
        return np.asarray(array.to_numpy(zero_copy_only=False))
    data = array.buffers()[1]
    if data is None or len(array) == 0:
        return np.empty(0, dtype=dtype)
    out = np.frombuffer(data, dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize)
    out.flags.writeable = False
    return out
