"""Layout of Briqueville, the invented city of the built-in sample: grid, streets, stops, lines.

Everything here is plain data plus tiny geometry helpers, shared by the GTFS, OSM and address
writers so that the three files describe the same place. The city is a 17 x 13 street grid with
250 m blocks, centred on (47.20 N, 1.55 E). Grid point ``(col, row)`` lies ``col * 250`` m east
and ``row * 250`` m north of the centre (cols -8..8, rows -6..6).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

LAT0 = 47.20
LON0 = 1.55
BLOCK_M = 250.0
COLS = range(-8, 9)
ROWS = range(-6, 7)
_M_PER_DEG_LAT = 6_371_000.0 * math.pi / 180.0
_M_PER_DEG_LON = _M_PER_DEG_LAT * math.cos(math.radians(LAT0))

Point = tuple[int, int]


def to_latlon(x_m: float, y_m: float) -> tuple[float, float]:
    """Local metric frame (east, north of the centre) -> WGS84 (lat, lon), rounded to 1e-7 deg."""
    return round(LAT0 + y_m / _M_PER_DEG_LAT, 7), round(LON0 + x_m / _M_PER_DEG_LON, 7)


def grid_latlon(p: Point) -> tuple[float, float]:
    """(lat, lon) of the grid intersection ``p``."""
    return to_latlon(p[0] * BLOCK_M, p[1] * BLOCK_M)


# --- streets -------------------------------------------------------------------------------------
# (name, highway) for each horizontal street (by row, south -> north) and vertical street (by col,
# west -> east). Extra OSM tags and special sections are declared in SPECIAL_SECTIONS below.
H_STREETS: dict[int, tuple[str, str]] = {
    -6: ("Rue des Vignes", "residential"),
    -5: ("Rue de la Fontaine", "residential"),
    -4: ("Boulevard Saint-Martin", "secondary"),
    -3: ("Rue Pasteur", "residential"),
    -2: ("Rue Victor Hugo", "tertiary"),
    -1: ("Rue du Commerce", "residential"),
    0: ("Boulevard de la République", "primary"),
    1: ("Rue de la Mairie", "residential"),
    2: ("Rue Jean Moulin", "residential"),
    3: ("Avenue de la Libération", "secondary"),
    4: ("Rue des Écoles", "residential"),
    5: ("Rue du Château", "residential"),
    6: ("Boulevard de Bellevue", "secondary"),
}
V_STREETS: dict[int, tuple[str, str]] = {
    -8: ("Rue des Tilleuls", "residential"),
    -7: ("Rue de la Forge", "residential"),
    -6: ("Avenue du Maréchal Leclerc", "tertiary"),
    -5: ("Rue des Lilas", "residential"),
    -4: ("Rue Jules Ferry", "residential"),
    -3: ("Rue Gambetta", "residential"),
    -2: ("Rue de l'Église", "residential"),
    -1: ("Rue du Marché", "residential"),
    0: ("Avenue Jean Jaurès", "primary"),
    1: ("Rue Voltaire", "residential"),
    2: ("Rue Émile Zola", "residential"),
    3: ("Rue des Acacias", "residential"),
    4: ("Avenue Charles de Gaulle", "tertiary"),
    5: ("Rue Anatole France", "residential"),
    6: ("Rue du Moulin", "residential"),
    7: ("Rue des Peupliers", "residential"),
    8: ("Avenue de la Gare", "secondary"),
}
#: Whole-street extra tags (street name -> tags).
STREET_TAGS: dict[str, dict[str, str]] = {
    "Rue du Marché": {"oneway": "yes"},
    "Boulevard de la République": {"maxspeed": "30", "ref": "D 976"},
    "Avenue Jean Jaurès": {"maxspeed": "50"},
}
#: Sections of a street with a different highway class: (name, from index, to index, tags).
#: For a horizontal street the indices are cols, for a vertical one rows.
SPECIAL_SECTIONS: list[tuple[str, int, int, dict[str, str]]] = [
    ("Rue du Commerce", -2, 1, {"highway": "pedestrian", "surface": "paving_stones"}),
]


# --- public transport ----------------------------------------------------------------------------
@dataclass(frozen=True)
class StopDef:
    """One boarding point: ``kind`` is T (tram), M (metro) or B (bus)."""

    stop_id: str
    code: str
    name: str
    point: Point
    kind: str
    parent: str = ""
    platform_code: str = ""


@dataclass(frozen=True)
class StationDef:
    """A parent station grouping two platforms of an interchange."""

    station_id: str
    name: str
    point: Point


@dataclass(frozen=True)
class LineDef:
    """A line: its path through grid corners and the grid points where it stops."""

    route_id: str
    short_name: str
    long_name: str
    route_type: int
    color: str
    text_color: str
    kind: str
    corners: tuple[Point, ...]
    stops: tuple[Point, ...]


STATIONS = (
    StationDef("HDV", "Hôtel de Ville", (0, 0)),
    StationDef("GARE", "Gare de Briqueville", (8, 0)),
    StationDef("BELV", "Bellevue", (0, 6)),
)
#: (station id, kind) -> (platform stop id, platform_code)
PLATFORMS: dict[tuple[str, str], tuple[str, str]] = {
    ("HDV", "T"): ("HDV_T", "A"),
    ("HDV", "M"): ("HDV_M", "B"),
    ("GARE", "T"): ("GARE_T", "A"),
    ("GARE", "B"): ("GARE_B", "B"),
    ("BELV", "M"): ("BELV_M", "A"),
    ("BELV", "B"): ("BELV_B", "B"),
}

#: Stop names by grid point (tram, metro and bus stops at the same point share the name).
STOP_NAMES: dict[Point, str] = {
    (-8, 0): "Les Tilleuls", (-6, 0): "Maréchal Leclerc", (-4, 0): "Jules Ferry",
    (-2, 0): "Place de l'Église", (2, 0): "Émile Zola", (4, 0): "Charles de Gaulle",
    (6, 0): "Le Moulin", (0, -6): "Les Vignes", (0, -4): "Saint-Martin", (0, -2): "Victor Hugo",
    (0, 2): "Jean Moulin", (0, 4): "Les Écoles",
    (8, 2): "Cité Ferroviaire", (6, 3): "Libération", (4, 3): "Lycée Balzac", (2, 3): "Les Halles",
    (0, 3): "Jaurès", (-2, 3): "Presbytère", (-4, 3): "École Jules Ferry",
    (-6, 3): "Stade Municipal", (-8, 3): "Le Clos Fleuri",
    (-2, 6): "Le Château", (-4, 6): "Les Lilas", (-6, 6): "Les Hauts",
    (-6, -2): "Clos des Forges", (-6, -4): "Le Prieuré", (-4, -4): "Collège Saint-Martin",
    (-2, -4): "Gambetta",
    (8, -2): "Parc des Expositions", (8, -4): "Zone Artisanale", (6, -4): "Anatole France",
    (4, -4): "Centre Hospitalier", (2, -4): "Piscine", (-3, -6): "Les Pressoirs",
    (-6, -6): "Les Coteaux",
    (0, 1): "Mairie", (-2, 1): "Place de l'Église", (-4, 1): "Jules Ferry",
    (-4, -2): "Halle aux Grains", (-2, -2): "Gendarmerie", (2, -2): "La Poste",
    (4, -2): "Cinéma Le Rex", (6, -2): "Les Jardins",
}

LINES = (
    LineDef("T1", "T1", "Les Tilleuls - Gare de Briqueville", 0, "E2001A", "FFFFFF", "T",
            ((-8, 0), (8, 0)), tuple((c, 0) for c in range(-8, 9, 2))),
    LineDef("MA", "A", "Les Vignes - Bellevue", 1, "0055A4", "FFFFFF", "M",
            ((0, -6), (0, 6)), tuple((0, r) for r in range(-6, 7, 2))),
    LineDef("B2", "2", "Gare de Briqueville - Le Clos Fleuri", 3, "2E8B57", "FFFFFF", "B",
            ((8, 0), (8, 3), (-8, 3)),
            ((8, 0), (8, 2), (6, 3), (4, 3), (2, 3), (0, 3), (-2, 3), (-4, 3), (-6, 3), (-8, 3))),
    LineDef("B3", "3", "Bellevue - Saint-Martin", 3, "F28E1C", "000000", "B",
            ((0, 6), (-6, 6), (-6, -4), (0, -4)),
            ((0, 6), (-2, 6), (-4, 6), (-6, 6), (-6, 3), (-6, 0), (-6, -2), (-6, -4), (-4, -4),
             (-2, -4), (0, -4))),
    LineDef("B4", "4", "Navette Centre-Ville", 3, "8E44AD", "FFFFFF", "B",
            ((-6, -2), (6, -2)), tuple((c, -2) for c in range(-6, 7, 2))),
    LineDef("B5", "5", "Gare de Briqueville - Les Coteaux", 3, "1ABC9C", "000000", "B",
            ((8, 0), (8, -4), (0, -4), (0, -6), (-6, -6)),
            ((8, 0), (8, -2), (8, -4), (6, -4), (4, -4), (2, -4), (0, -4), (0, -6), (-3, -6),
             (-6, -6))),
    LineDef("N1", "N1", "Noctambus Mairie - Les Coteaux", 3, "1C1C3C", "FFFF00", "B",
            ((0, 1), (-6, 1), (-6, -6)),
            ((0, 1), (-2, 1), (-4, 1), (-6, 0), (-6, -2), (-6, -4), (-6, -6))),
)

#: Offset (metres east, north) of a stop from its intersection, by kind, so that tram, metro
#: and bus stops at one crossing are distinct points a few metres apart on the pavement.
KIND_OFFSET_M = {"T": (0.0, 6.0), "M": (8.0, -8.0), "B": (-12.0, -12.0)}


def build_stops() -> tuple[list[StopDef], dict[tuple[str, Point], str]]:
    """All platform stops in a stable order, and the map (kind, point) -> stop_id."""
    station_at = {s.point: s for s in STATIONS}
    stops: list[StopDef] = []
    index: dict[tuple[str, Point], str] = {}
    counters = {"T": 100, "M": 200, "B": 300}
    for line in LINES:
        for p in line.stops:
            key = (line.kind, p)
            if key in index:
                continue
            counters[line.kind] += 1
            code = str(1000 + counters[line.kind])
            station = station_at.get(p)
            if station is not None and (station.station_id, line.kind) in PLATFORMS:
                sid, pcode = PLATFORMS[(station.station_id, line.kind)]
                stop = StopDef(sid, code, station.name, p, line.kind, station.station_id, pcode)
            else:
                sid = f"{line.kind}{counters[line.kind] % 100:02d}"
                stop = StopDef(sid, code, STOP_NAMES[p], p, line.kind)
            index[key] = stop.stop_id
            stops.append(stop)
    return stops, index


def stop_xy(stop: StopDef) -> tuple[float, float]:
    """Metric position of a stop: its intersection plus the per-kind pavement offset."""
    dx, dy = KIND_OFFSET_M[stop.kind]
    return stop.point[0] * BLOCK_M + dx, stop.point[1] * BLOCK_M + dy


def path_points(corners: tuple[Point, ...]) -> list[Point]:
    """Every grid intersection along an axis-aligned path through ``corners``, in order."""
    out: list[Point] = [corners[0]]
    for (c0, r0), (c1, r1) in zip(corners, corners[1:]):
        if c0 != c1 and r0 != r1:
            raise ValueError(f"path leg {(c0, r0)}->{(c1, r1)} is not axis-aligned")
        n = max(abs(c1 - c0), abs(r1 - r0))
        sc = (c1 > c0) - (c1 < c0)
        sr = (r1 > r0) - (r1 < r0)
        out.extend((c0 + sc * i, r0 + sr * i) for i in range(1, n + 1))
    return out


def path_distances(points: list[Point]) -> list[float]:
    """Cumulative distance in metres along a path of grid points."""
    dist = [0.0]
    for (c0, r0), (c1, r1) in zip(points, points[1:]):
        dist.append(dist[-1] + (abs(c1 - c0) + abs(r1 - r0)) * BLOCK_M)
    return dist
