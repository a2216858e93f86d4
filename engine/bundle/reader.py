"""Open a bundle by memory map: version check, cheap invariant checks, read-only numpy views.

QUERY TIME ONLY. Opening reads manifest.json (checking its digest and the format version) and
stats every file (its size must be the recorded one), nothing else: no table is mapped, so it
costs the same whatever the data size. A table is mapped the first time a query needs it, and
checked then, once (Arrow's full validation and the invariants of engine.bundle.checks), before
any component sees its arrays: the compiled kernels never read an unchecked array.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import BundleError, BundleVersionError
from . import schema
from .arrow_numpy import numpy_dtype, numpy_view
from .checks import check_table
from .manifest import read_manifest


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
        except (OSError, pa.ArrowException) as exc:
            raise BundleError(f"bundle table {file} is unreadable: {exc}") from exc
        expected = schema.TABLES.get(name)
        if expected is not None and not table.schema.equals(expected):
            raise BundleError(f"bundle table {name!r} has schema {table.schema}, expected {expected}")
        rows = self.manifest["tables"][name]["rows"]
        if table.num_rows != rows:
            raise BundleError(f"bundle table {name!r} has {table.num_rows} rows, manifest says {rows}")
        if any(column.num_chunks > 1 for column in table.columns):
            raise BundleError(f"bundle table {file} has more than one record batch (corrupt)")
        check_table(self, name, table, file)
        self._tables[name] = table
        return table

    def _chunk(self, name: str, col: str) -> pa.Array:
        column = self.table(name).column(col)
        if column.num_chunks == 0:          # pa.nulls: pa.array would import pandas
            return pa.nulls(0, column.type)
        if column.num_chunks != 1:
            raise BundleError(f"bundle table {name!r} column {col!r} is not a single chunk")
        if column.null_count:               # the writer never writes nulls: numeric views assume none
            raise BundleError(f"bundle table {name!r} column {col!r} has null values (corrupt): rebuild the bundle")
        return column.chunk(0)

    def column(self, name: str, col: str) -> np.ndarray:
        """A numeric column as a read-only, zero-copy numpy array."""
        array = self._chunk(name, col)
        return numpy_view(array)

    def strings(self, name: str, col: str) -> pa.Array:
        """A string column as an Arrow array (index it, or ``.to_pylist()`` for small tables)."""
        return self._chunk(name, col)

    def csr(self, name: str, col: str) -> tuple[np.ndarray, np.ndarray]:
        """A ``list<T>`` column as ``(offsets, values)`` read-only numpy arrays (CSR)."""
        array = self._chunk(name, col)
        n = len(array)
        if n == 0:
            return np.zeros(1, dtype=np.int32), np.empty(0, dtype=numpy_dtype(array.type.value_type))
        offsets = numpy_view(array.offsets)
        values_np = numpy_view(array.values)
        if offsets[0] != 0 or offsets[-1] != len(values_np):
            raise BundleError(f"bundle table {name!r} column {col!r}: CSR offsets are inconsistent")
        return offsets, values_np


def open_bundle(path: str | os.PathLike, *, check_sizes: bool = True) -> Bundle:
    """Open the bundle at ``path`` (no parsing, no mapping); raises BundleError /
    BundleVersionError. O(number of files): the manifest, its digest, one stat per file."""
    path = Path(path)
    manifest = read_manifest(path)
    manifest_path = path / "manifest.json"
    tables = manifest.get("tables")
    files = manifest.get("files") or {}
    if not isinstance(tables, dict) or not isinstance(files, dict):
        raise BundleError(f"{manifest_path} is corrupt (tables/files are not objects)")
    for name, info in tables.items():
        expected = schema.TABLES.get(name)
        if not isinstance(info, dict) or not isinstance(info.get("rows"), int) or info["rows"] < 0:
            raise BundleError(f"{manifest_path} is corrupt (entry of table {name!r})")
        if expected is not None and info.get("fingerprint") != schema.fingerprint(expected):
            raise BundleVersionError(f"bundle table {name!r} schema differs from this engine's: rebuild the bundle")
        file = path / f"{name}.arrow"
        try:
            size = file.stat().st_size
        except OSError:
            raise BundleError(f"bundle {path} is incomplete: {name}.arrow is missing") from None
        entry = files.get(f"{name}.arrow")
        recorded = entry.get("size") if check_sizes and isinstance(entry, dict) else None
        if recorded is not None and size != recorded:
            raise BundleError(f"bundle file {file} is unreadable: {size} bytes, the manifest says "
                              f"{recorded} (truncated or replaced): run `brique verify`, rebuild the bundle")
    return Bundle(path, manifest)
