"""Tiny GTFS feeds written inline into tmp_path (zip or directory) for the loader tests."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

# Four stops on one parallel, equally spaced (0.01 deg of longitude apart), one station.
BASE: dict[str, str] = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                  "A,Agency,http://a.example,Europe/Paris\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
                 "ST,Station,48.0,7.0,1,\n"
                 "S1,One,48.0,7.00,0,ST\n"
                 "S2,Two,48.0,7.01,0,\n"
                 "S3,Three,48.0,7.02,0,\n"
                 "S4,Four,48.0,7.03,0,\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
                  "R1,A,1,Line one,3\n",
    "trips.txt": "route_id,service_id,trip_id,trip_headsign,direction_id,shape_id\n"
                 "R1,WK,T1,Four,0,SH1\n"
                 "R1,WK,T2,One,1,\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                    "start_date,end_date\n"
                    "WK,1,1,1,1,1,0,0,20260105,20260116\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                      "T1,08:00:00,08:00:00,S1,1\n"
                      "T1,08:05:00,08:06:00,S2,2\n"
                      "T1,08:10:00,08:10:00,S3,3\n"
                      "T1,08:15:00,08:15:00,S4,4\n"
                      "T2,09:00:00,09:00:00,S4,1\n"
                      "T2,09:10:00,09:10:00,S1,2\n",
}


def write_feed(root: Path, files: dict[str, str | bytes], kind: str = "zip", name: str = "feed",
               folder: str = "", junk: bool = False) -> Path:
    """Write ``files`` as a zip (``kind="zip"``) or directory; ``folder`` nests the members,
    ``junk`` adds macOS resource forks and a dot-file that must be ignored."""
    def data(v: str | bytes) -> bytes:
        return v if isinstance(v, bytes) else v.encode("utf-8")

    prefix = f"{folder}/" if folder else ""
    if kind == "zip":
        path = root / f"{name}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for fname, text in files.items():
                zf.writestr(prefix + fname, data(text))
            if junk:
                for fname in files:
                    zf.writestr(f"__MACOSX/{prefix}._{fname}", b"\x00\x05\x16\x07junk\xff")
                zf.writestr(f"{prefix}.stops.txt", b"\xff\xfe garbage")
        return path
    path = root / name
    (path / folder).mkdir(parents=True, exist_ok=True)
    for fname, text in files.items():
        (path / folder / fname).write_bytes(data(text))
    if junk:
        (path / "__MACOSX").mkdir(exist_ok=True)
        (path / "__MACOSX" / "._stops.txt").write_bytes(b"\xff junk")
    return path


@pytest.fixture
def make_feed(tmp_path):
    """make_feed(overrides: dict, kind="zip", name="feed", drop=(), ...) -> path."""
    counter = {"n": 0}

    def _make(overrides: dict[str, str | bytes] | None = None, kind: str = "zip",
              name: str = "feed", drop: tuple[str, ...] = (), **kw) -> Path:
        files = {k: v for k, v in BASE.items() if k not in drop}
        files.update(overrides or {})
        counter["n"] += 1
        root = tmp_path / f"f{counter['n']}"
        root.mkdir()
        return write_feed(root, files, kind=kind, name=name, **kw)

    return _make
