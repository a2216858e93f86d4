"""Write a bundle atomically: validate tables against schema.py, write to a temp dir, swap in.

BUILD TIME ONLY. A failed or killed build leaves the previous bundle (if any) untouched; two
builds to one path cannot interleave (a lock); see write_bundle and _swap_into_place.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import pyarrow as pa

from ..errors import BuildError
from . import schema
from .integrity import MANIFEST_DIGEST_KEY, file_digest, manifest_digest


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


def write_bundle(out: str | os.PathLike, tables: Mapping[str, pa.Table], manifest: Mapping[str, Any],
                 *, before_swap: Callable[[], None] | None = None) -> Path:
    """Write ``tables`` and ``manifest`` as a bundle directory at ``out`` (replacing it atomically).

    Returns the bundle path. Row counts, schema fingerprints, per-file sizes and BLAKE2b digests
    and the manifest's own digest are added to the manifest. ``before_swap`` runs once the new
    bundle is complete on disk, just before it replaces ``out`` (build() checks there that no
    input changed); if it raises, nothing is replaced.

    Cannot half-happen: the bundle is written into a temporary directory next to ``out``
    (``.<name>.build-XXXXXXXX.tmp``), fsynced, then swapped in (see _swap_into_place). The
    output path is locked for the whole write (``.<name>.lock``, fcntl.flock): a second build to
    the same path fails at once with "path is busy". Under the lock, temp directories that
    killed builds left behind are removed, and a swap a crash interrupted is undone.
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    checked = {name: _validate(name, table) for name, table in tables.items()}
    with output_lock(out):
        recover_interrupted_swap(out, locked=True)
        _remove_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", suffix=".tmp", dir=out.parent))
        try:
            table_info, files = {}, {}
            for name, table in checked.items():
                path = tmp / f"{name}.arrow"
                path.parent.mkdir(parents=True, exist_ok=True)
                with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                    if table.num_rows:
                        writer.write_table(table, max_chunksize=max(table.num_rows, 1))
                _fsync(path)
                table_info[name] = {"rows": table.num_rows, "fingerprint": schema.fingerprint(table.schema)}
                files[f"{name}.arrow"] = {"size": path.stat().st_size, "blake2b": file_digest(path)}
            full = {
                "format": schema.MAGIC,
                "format_version": schema.FORMAT_VERSION,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                **manifest,
                "tables": table_info,
                "files": files,
            }
            full = json.loads(json.dumps(full, default=_json_default))     # plain JSON values
            full[MANIFEST_DIGEST_KEY] = manifest_digest(full)
            (tmp / "manifest.json").write_text(json.dumps(full, indent=2) + "\n")
            _fsync(tmp / "manifest.json")
            for d in sorted({p.parent for p in tmp.rglob("*")} | {tmp}, reverse=True):
                _fsync(d)
            if before_swap is not None:
                before_swap()
            _swap_into_place(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out


# ---------------------------------------------------------------- locking, swapping, recovery
_LIBC = None
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _lock_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.lock")


@contextmanager
def output_lock(out: Path, blocking: bool = False) -> Iterator[None]:
    """Exclusive flock on ``.<name>.lock`` next to ``out``; BuildError "path is busy" if another
    process holds it. The lock file stays (removing it would race with a waiting locker); the
    kernel releases the lock when its holder exits, even when killed."""
    fd = os.open(_lock_path(out), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            raise BuildError(f"{out}: path is busy (another build is writing it; lock "
                             f"{_lock_path(out).name}); try again when it has finished") from None
        yield
    finally:
        os.close(fd)


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Put the finished bundle ``tmp`` at ``out``.

    No bundle at ``out`` yet: one rename (atomic). Else, on Linux, renameat2(RENAME_EXCHANGE)
    swaps the two directories in one atomic step (a reader sees the old or the new bundle,
    never neither); the old one, now at ``tmp``, is then deleted (a crash before that leaves a
    stale ``.build-*.tmp`` directory, removed by the next build).

    Where the exchange is unsupported (another OS, some file systems), POSIX has no atomic
    directory swap: the old bundle is renamed aside to ``.<name>.old-XXXXXXXX``, the new one
    renamed in, the old one deleted. A crash between the two renames leaves no bundle at
    ``out``, the previous one intact at ``.<name>.old-*`` and the new one complete in the temp
    directory: the next open_bundle or build of ``out`` renames the old one back
    (recover_interrupted_swap), and the next build deletes the temp directory.
    """
    if out.exists() or out.is_symlink():
        if not out.is_dir() or (not (out / "manifest.json").exists() and any(out.iterdir())):
            raise BuildError(f"{out} exists and is not a bundle; refusing to overwrite it")
        if _exchange(tmp, out):
            shutil.rmtree(tmp, ignore_errors=True)
            _fsync(out.parent)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rename(out, old)          # (an empty dir is replaced by a rename)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)
            raise
        _fsync(out.parent)
        shutil.rmtree(old, ignore_errors=True)
        return
    os.rename(tmp, out)
    _fsync(out.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    global _LIBC
    if not sys.platform.startswith("linux"):
        return False
    try:
        if _LIBC is None:
            _LIBC = ctypes.CDLL(None, use_errno=True)
        fn = _LIBC.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _siblings(out: Path, kind: str) -> list[Path]:
    """Temp (``build``) or set-aside (``old``) directories of ``out`` left by earlier builds."""
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.{kind}-[A-Za-z0-9_]{{8}}(\.tmp)?$")
    try:
        return [p for p in out.parent.iterdir() if pattern.match(p.name) and p.is_dir()]
    except OSError:
        return []


def recover_interrupted_swap(out: Path, locked: bool = False) -> bool:
    """If a build was killed between its two renames (no bundle at ``out``, the previous one
    set aside as ``.<name>.old-*``), rename the previous bundle back. Returns True if it did.
    Takes the output lock unless ``locked``; does nothing if a build holds it (the swap is
    then in progress, not interrupted) or if the directory is not writable."""
    if (out / "manifest.json").exists():
        return False
    candidates = [p for p in _siblings(out, "old") if (p / "manifest.json").is_file()]
    if not candidates:
        return False
    try:
        ctx = nullcontext() if locked else output_lock(out)
        with ctx:
            if (out / "manifest.json").exists():
                return False
            if out.is_dir() and not any(out.iterdir()):
                out.rmdir()
            if out.exists():
                return False
            newest = max(candidates, key=lambda p: p.stat().st_mtime_ns)
            os.rename(newest, out)
            _fsync(out.parent)
            return True
    except (BuildError, OSError):
        return False


def _remove_stale(out: Path) -> None:
    """Under the output lock, every temp or set-aside directory of ``out`` belongs to a build
    that died (a live one would hold the lock): remove them."""
    for path in _siblings(out, "build") + _siblings(out, "old"):
        shutil.rmtree(path, ignore_errors=True)


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
