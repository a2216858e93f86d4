"""Open a bundle by memory map: version check, cheap invariant checks, read-only numpy views.

QUERY TIME ONLY. Opening reads manifest.json and the Arrow IPC footers, nothing else: no
parsing, no per-row Python objects, so it costs the same whatever the data size.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import BundleError, BundleVersionError
from . import schema


class Bundle:
    """A memory-mapped bundle: ``table(name)``, ``column(name, col)``, ``csr(name, col)``."""

    def __init__(self, path: Path, manifest: dict[str, Any]):
        self.path = path
        self.manifest = manifest
        self._tables: dict[str, pa.Table] = {}

    def has(self, name: str) -> bool:
        """True if the bundle contains table ``name`` (e.g. ``"streets/nodes"``)."""
        return name in self.manifest.get("tables", {})

    def table(self, name: str) -> pa.Table:
        """The Arrow table ``name``, zero-copy over the memory map."""
        cached = self._tables.get(name)
        if cached is not None:
            return cached
        if not self.has(name):
            raise BundleError(f"bundle {self.path} has no table {name!r}; rebuild it with that input")
        file = self.path / f"{name}.arrow"
        try:
            source = pa.memory_map(str(file), "r")
            table = pa.ipc.open_file(source).read_all()
        except (OSError, pa.ArrowInvalid) as exc:
            raise BundleError(f"bundle table {file} is unreadable: {exc}") from exc
        expected = schema.TABLES.get(name)
        if expected is not None and not table.schema.equals(expected):
            raise BundleError(f"bundle table {name!r} has schema {table.schema}, expected {expected}")
        rows = self.manifest["tables"][name]["rows"]
        if table.num_rows != rows:
            raise BundleError(f"bundle table {name!r} has {table.num_rows} rows, manifest says {rows}")
        self._tables[name] = table
        return table

    def _chunk(self, name: str, col: str) -> pa.Array:
        column = self.table(name).column(col)
        if column.num_chunks == 0:
            return pa.array([], type=column.type)
        if column.num_chunks != 1:
            raise BundleError(f"bundle table {name!r} column {col!r} is not a single chunk")
        return column.chunk(0)

    def column(self, name: str, col: str) -> np.ndarray:
        """A numeric column as a read-only, zero-copy numpy array."""
        array = self._chunk(name, col)
        if len(array) == 0:
            return np.empty(0, dtype=array.type.to_pandas_dtype())
        out = array.to_numpy(zero_copy_only=True)
        return out

    def strings(self, name: str, col: str) -> pa.Array:
        """A string column as an Arrow array (index it, or ``.to_pylist()`` for small tables)."""
        return self._chunk(name, col)

    def csr(self, name: str, col: str) -> tuple[np.ndarray, np.ndarray]:
        """A ``list<T>`` column as ``(offsets, values)`` read-only numpy arrays (CSR)."""
        array = self._chunk(name, col)
        n = len(array)
        if n == 0:
            value_type = array.type.value_type.to_pandas_dtype()
            return np.zeros(1, dtype=np.int32), np.empty(0, dtype=value_type)
        offsets = array.offsets.to_numpy(zero_copy_only=True)
        values = array.values
        values_np = (values.to_numpy(zero_copy_only=True) if len(values)
                     else np.empty(0, dtype=values.type.to_pandas_dtype()))
        if offsets[0] != 0 or offsets[-1] != len(values_np):
            raise BundleError(f"bundle table {name!r} column {col!r}: CSR offsets are inconsistent")
        return offsets, values_np


def open_bundle(path: str | os.PathLike) -> Bundle:
    """Open the bundle at ``path`` (no parsing); raises BundleError / BundleVersionError."""
    path = Path(path)
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise BundleError(f"{path} is not a bundle (no manifest.json); build one with `brique build`")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise BundleError(f"{manifest_path} is unreadable: {exc}") from exc
    if manifest.get("format") != schema.MAGIC:
        raise BundleError(f"{path} is not a Brique bundle (format={manifest.get('format')!r})")
    version = manifest.get("format_version")
    if version != schema.FORMAT_VERSION:
        raise BundleVersionError(
            f"bundle format v{version}, this engine reads v{schema.FORMAT_VERSION}: "
            f"rebuild it with `brique build`")
    for name, info in manifest.get("tables", {}).items():
        expected = schema.TABLES.get(name)
        if expected is not None and info.get("fingerprint") != schema.fingerprint(expected):
            raise BundleVersionError(f"bundle table {name!r} schema differs from this engine's: rebuild the bundle")
        if not (path / f"{name}.arrow").is_file():
            raise BundleError(f"bundle {path} is incomplete: {name}.arrow is missing")
    return Bundle(path, manifest)
