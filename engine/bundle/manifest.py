"""Read and check a bundle's manifest.json without mapping anything or importing pyarrow.

``read_manifest`` is the first step of ``reader.open_bundle``; ``brique serve`` calls it alone
before starting its workers, so that a wrong path or version fails at once and clearly, while
the heavy imports happen in the workers, in parallel.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import BundleError, BundleVersionError
from .integrity import MANIFEST_DIGEST_KEY, manifest_digest
from .version import FORMAT_VERSION, MAGIC


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the bundle at ``path``: it exists, parses, has our format and version,
    and its own digest matches (BundleError / BundleVersionError otherwise)."""
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        from .writer import recover_interrupted_swap

        recover_interrupted_swap(path.resolve())        # a build killed between its two renames
    if not manifest_path.is_file():
        raise BundleError(f"{path} is not a bundle (no manifest.json); build one with `brique build`")
    try:
        manifest = json.loads(manifest_path.read_text())
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise BundleError(f"{manifest_path} is unreadable: {exc}") from exc
    if manifest.get("format") != MAGIC:
        raise BundleError(f"{path} is not a Brique bundle (format={manifest.get('format')!r})")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BundleVersionError(
            f"bundle format v{version}, this engine reads v{FORMAT_VERSION}: "
            f"rebuild it with `brique build`")
    digest = manifest.get(MANIFEST_DIGEST_KEY)
    if digest is not None and digest != manifest_digest(manifest):
        raise BundleError(f"{manifest_path} is corrupt (its digest does not match its content): "
                          f"run `brique verify`, rebuild the bundle")
    return manifest
