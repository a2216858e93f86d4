"""Write a bundle atomically: validate tables against schema.py, write to a temp dir, rename.

BUILD TIME ONLY. A failed build leaves the previous bundle (if any) untouched.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pyarrow as pa

from ..errors import BuildError
from . import schema


def _validate(name: str, table: pa.Table) -> pa.Table:
    expected = schema.TABLES.get(name)
    if expected is None:
        raise BuildError(f"bundle table {name!r} is not declared in engine/bundle/schema.py")
    try:
        table = table.select(expected.names).cast(expected)
    except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise BuildError(f"bundle table {name!r} does not match its schema: {exc}") from exc
    for field, column in zip(expected, table.columns):
        numeric = pa.types.is_integer(field.type) or pa.types.is_floating(field.type)
        if numeric and column.null_count:
            raise BuildError(f"bundle table {name!r} column {field.name!r} has nulls (use a sentinel)")
    return table.combine_chunks()


def write_bundle(out: str | os.PathLike, tables: Mapping[str, pa.Table], manifest: Mapping[str, Any]) -> Path:
    """Write ``tables`` and ``manifest`` as a bundle directory at ``out`` (replacing it atomically).

    Returns the bundle path. Row counts and schema fingerprints are added to the manifest.
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    checked = {name: _validate(name, table) for name, table in tables.items()}
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        table_info = {}
        for name, table in checked.items():
            path = tmp / f"{name}.arrow"
            path.parent.mkdir(parents=True, exist_ok=True)
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                if table.num_rows:
                    writer.write_table(table, max_chunksize=max(table.num_rows, 1))
            table_info[name] = {"rows": table.num_rows, "fingerprint": schema.fingerprint(table.schema)}
        full = {
            "format": schema.MAGIC,
            "format_version": schema.FORMAT_VERSION,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **manifest,
            "tables": table_info,
        }
        (tmp / "manifest.json").write_text(json.dumps(full, indent=2, default=_json_default) + "\n")
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename tmp -> out; an existing bundle is moved aside first and removed only on success."""
    old = None
    if out.exists():
        if not (out / "manifest.json").exists() and any(out.iterdir()):
            raise BuildError(f"{out} exists and is not a bundle; refusing to overwrite it")
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
