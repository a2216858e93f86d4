"""Deterministic writing of CSV tables into a zip (GTFS), shared by the sample and the test DSL.

It lives here rather than in ``engine.testing`` because the sample ships as part of the engine
(``brique demo``, ``brique sample``) while ``engine.testing`` is test support that already depends
on the sample (its fixtures build it): ``engine.testing.dsl`` imports it from here, never the
reverse.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

#: Fixed member timestamp so that the zip has the same bytes on every run.
ZIP_DATE = (2026, 1, 1, 0, 0, 0)

Table = tuple[list[str], list[list[object]]]


def csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    """One comma-separated UTF-8 table ("\n" line ends), as written into the zips."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_csv_zip(path: Path, files: dict[str, Table]) -> Path:
    """Write ``{member name: (header, rows)}`` as comma-separated UTF-8 files into a zip.

    Members keep the dict's order; timestamps, permissions and the creating system are fixed,
    so equal inputs give byte-identical zips (on a given zlib).
    """
    with zipfile.ZipFile(path, "w") as zf:
        for name, (header, rows) in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, csv_bytes(header, rows), compresslevel=1)  # fast; size is not a concern
    return path
