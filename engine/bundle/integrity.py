"""File sizes and checksums of a bundle (written at build time, checked by ``brique verify``).

The manifest records, per file, its size and BLAKE2b-128 digest (``manifest["files"]``), and a
digest of its own canonical JSON without that key (``manifest["manifest_blake2b"]``). Opening a
bundle checks the manifest digest and every file's size (a stat); ``verify_bundle`` reads every
byte and maps every table (so every invariant of engine.bundle.checks is checked too).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

MANIFEST_DIGEST_KEY = "manifest_blake2b"


def file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_digest(manifest: dict[str, Any]) -> str:
    """Digest of the manifest's canonical JSON, without the digest itself."""
    body = {k: v for k, v in manifest.items() if k != MANIFEST_DIGEST_KEY}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def verify_bundle(path: str | os.PathLike) -> list[str]:
    """Every problem of the bundle at ``path``, one line each naming the file (empty: intact)."""
    from ..errors import BundleError
    from .reader import open_bundle

    path = Path(path)
    problems: list[str] = []
    try:
        bundle = open_bundle(path, check_sizes=False)
    except BundleError as exc:
        return [f"{path / 'manifest.json'}: {exc}"]
    files = bundle.manifest.get("files")
    damaged: set[str] = set()
    if not isinstance(files, dict):
        problems.append(f"{path / 'manifest.json'}: no file checksums recorded (built by an older "
                        f"engine): rebuild the bundle to make it verifiable")
        files = {}
    for rel, info in sorted(files.items()):
        file = path / rel
        try:
            size = file.stat().st_size
        except OSError as exc:
            problems.append(f"{file}: missing or unreadable ({exc.strerror})")
            damaged.add(rel)
            continue
        if size != info.get("size"):
            problems.append(f"{file}: size {size} bytes, the manifest says {info.get('size')}")
            damaged.add(rel)
            continue
        if file_digest(file) != info.get("blake2b"):
            problems.append(f"{file}: checksum mismatch (the content changed since the build)")
            damaged.add(rel)
    for name in sorted(bundle.manifest.get("tables", {})):
        rel = f"{name}.arrow"
        if rel in damaged:
            continue                      # never map a file known to be damaged
        if files and rel not in files:
            problems.append(f"{path / rel}: no checksum recorded in the manifest")
        try:
            bundle.table(name)
        except BundleError as exc:
            # a dependency's failure is reported under that file too; keep both lines
            problems.append(f"{path / rel}: {exc}")
    return problems
