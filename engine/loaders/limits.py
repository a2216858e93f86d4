"""Size limits on build inputs (GTFS zips and folders, CSV files, address CSV): hostile input.

A zip of a few megabytes can claim or expand to terabytes, one CSV line can be gigabytes long,
a file can hold billions of tiny rows. The loaders check these limits *before* reading
(declared zip sizes and compression ratio) and *while* reading (bytes actually inflated, line
length, rows), so a hostile file ends in an ``InputError`` naming the file and the limit, with
memory bounded by the limits, instead of exhausting the machine.

Every limit has a default, an environment variable and a keyword argument
(``InputLimits(max_line_bytes=...)`` passed to ``load_gtfs`` / ``read_addresses``):

=====================  ================================  ==========================
field                  environment variable              default
=====================  ================================  ==========================
max_unzipped_bytes     BRIQUE_MAX_UNZIPPED_BYTES        16 GiB (all members of a zip,
                                                         or a folder's GTFS files)
max_member_bytes       BRIQUE_MAX_MEMBER_BYTES           1 GiB (one file, uncompressed)
max_ratio              BRIQUE_MAX_ZIP_RATIO              200 (uncompressed / compressed)
max_line_bytes         BRIQUE_MAX_LINE_BYTES             1 MiB (one CSV line)
max_rows               BRIQUE_MAX_ROWS                   200 million (lines of one file)
max_zip_members        BRIQUE_MAX_ZIP_MEMBERS            10 000 (entries of a zip)
=====================  ================================  ==========================

Sizes in the environment accept a plain number of bytes or a K/M/G/T suffix (binary
multiples: ``BRIQUE_MAX_MEMBER_BYTES=512M``). ``0`` disables a limit.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace

from engine.errors import InputError

GiB = 1 << 30
MiB = 1 << 20

_ENV = {
    "max_unzipped_bytes": "BRIQUE_MAX_UNZIPPED_BYTES",
    "max_member_bytes": "BRIQUE_MAX_MEMBER_BYTES",
    "max_ratio": "BRIQUE_MAX_ZIP_RATIO",
    "max_line_bytes": "BRIQUE_MAX_LINE_BYTES",
    "max_rows": "BRIQUE_MAX_ROWS",
    "max_zip_members": "BRIQUE_MAX_ZIP_MEMBERS",
}
_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True, slots=True)
class InputLimits:
    """Limits on one input; 0 (or a negative value) means no limit for that field."""

    max_unzipped_bytes: int = 16 * GiB
    max_member_bytes: int = 1 * GiB
    max_ratio: float = 200.0
    max_line_bytes: int = 1 * MiB
    max_rows: int = 200_000_000
    max_zip_members: int = 10_000

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "InputLimits":
        """Defaults, then ``BRIQUE_MAX_*`` environment variables, then ``overrides``."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            text = env.get(_ENV[f.name])
            if text is not None and text.strip():
                values[f.name] = _parse(_ENV[f.name], text, float if f.name == "max_ratio" else int)
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"InputLimits: unknown limit(s) {', '.join(sorted(unknown))}")
        return cls(**values)

    def with_(self, **changes) -> "InputLimits":
        return replace(self, **changes)


def _parse(var: str, text: str, kind):
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not m:
        raise InputError(f"environment variable {var}={text!r} is not a size "
                         f"(a number of bytes, optionally with a K, M, G or T suffix)")
    value = float(m.group(1)) * _SUFFIX[m.group(2).upper()]
    return kind(value)


def resolve(limits: "InputLimits | None") -> InputLimits:
    """The limits to apply: the given ones, else the defaults overridden by the environment."""
    return limits if limits is not None else InputLimits.from_env()


def over(value: float, limit: float) -> bool:
    """True when ``limit`` is active (> 0) and ``value`` exceeds it."""
    return limit > 0 and value > limit


def human(n: float) -> str:
    """1536 -> '1.5 KiB' (for error messages)."""
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def hint(field_name: str) -> str:
    """'(limit BRIQUE_MAX_MEMBER_BYTES)' for error messages: how to raise the limit."""
    return f"raise {_ENV[field_name]} if the input is genuine"
