"""OSM XML (API 0.6) of the built-in sample: Briqueville's streets, buildings, POIs and places.

Besides the named street grid it holds the cases a street router must get right: a footway
with steps, a pedestrian street, a one-way street, a cycleway, a motorway (with links) that
walkers may not use, a bridge tagged foot=no and a private service road (both shortcuts that
walkers must not take). Buildings and nodes carry addr:* tags matching the BAN CSV.
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from . import addresses as addr
from . import city

Tags = dict[str, str]

#: Named points of interest: (tags, x m, y m).
POIS: list[tuple[Tags, float, float]] = [
    ({"amenity": "townhall", "name": "Hôtel de Ville de Briqueville"}, 60, 60),
    ({"amenity": "school", "name": "École élémentaire Jules Ferry"}, -960, 820),
    ({"amenity": "school", "name": "Collège Saint-Martin"}, -960, -940),
    ({"amenity": "school", "name": "Lycée Honoré de Balzac"}, 1060, 810),
    ({"amenity": "library", "name": "Médiathèque Louise Michel"}, 560, 810),
    ({"amenity": "hospital", "name": "Centre hospitalier de Briqueville"}, 1060, -1080),
    ({"amenity": "pharmacy", "name": "Pharmacie du Marché"}, -230, -280),
    ({"amenity": "post_office", "name": "La Poste Briqueville Centre"}, 540, -540),
    ({"amenity": "cinema", "name": "Cinéma Le Rex"}, 1040, -540),
    ({"amenity": "police", "name": "Gendarmerie nationale"}, -540, -540),
    ({"amenity": "place_of_worship", "religion": "christian", "name": "Église Saint-Pierre"},
     -540, 40),
    ({"shop": "bakery", "name": "Boulangerie du Château"}, -460, 1270),
    ({"leisure": "sports_centre", "name": "Stade Municipal"}, -1440, 830),
    ({"leisure": "swimming_pool", "name": "Piscine des Acacias"}, 560, -1060),
    ({"railway": "station", "name": "Gare de Briqueville"}, 2040, 40),
    ({"tourism": "museum", "name": "Musée de la Brique"}, -700, 1300),
    ({"leisure": "park", "name": "Parc des Acacias"}, 600, 400),
]
PLACES: list[tuple[Tags, float, float]] = [
    ({"place": "city", "name": "Briqueville", "population": "48213", "postal_code":
      addr.CODE_POSTAL, "ref:INSEE": addr.CODE_INSEE}, 30, 30),
    ({"place": "suburb", "name": "Centre-Ville"}, 120, -130),
    ({"place": "suburb", "name": "Les Tilleuls"}, -1750, 100),
    ({"place": "suburb", "name": "Saint-Martin"}, -750, -1250),
    ({"place": "suburb", "name": "Bellevue"}, 0, 1380),
    ({"place": "suburb", "name": "Quartier de la Gare"}, 1750, 250),
]


class _Osm:
    """Accumulates nodes and ways with sequential positive ids."""

    def __init__(self) -> None:
        self.nodes: list[tuple[int, float, float, Tags]] = []
        self.ways: list[tuple[int, list[int], Tags]] = []

    def node(self, x_m: float, y_m: float, tags: Tags | None = None) -> int:
        lat, lon = city.to_latlon(x_m, y_m)
        nid = len(self.nodes) + 1
        self.nodes.append((nid, lat, lon, tags or {}))
        return nid

    def way(self, refs: list[int], tags: Tags) -> int:
        wid = len(self.ways) + 1
        self.ways.append((wid, refs, tags))
        return wid

    def xml(self) -> str:
        lats = [n[1] for n in self.nodes]
        lons = [n[2] for n in self.nodes]
        out = ["<?xml version='1.0' encoding='UTF-8'?>",
               '<osm version="0.6" generator="brique sample">',
               f'  <bounds minlat="{min(lats):.7f}" minlon="{min(lons):.7f}" '
               f'maxlat="{max(lats):.7f}" maxlon="{max(lons):.7f}"/>']
        for nid, lat, lon, tags in self.nodes:
            head = f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
            if not tags:
                out.append(head + "/>")
                continue
            out.append(head + ">")
            out.extend(_tag_lines(tags))
            out.append("  </node>")
        for wid, refs, tags in self.ways:
            out.append(f'  <way id="{wid}" version="1">')
            out.extend(f'    <nd ref="{r}"/>' for r in refs)
            out.extend(_tag_lines(tags))
            out.append("  </way>")
        out.append("</osm>")
        return "\n".join(out) + "\n"


def _tag_lines(tags: Tags) -> list[str]:
    return [f'    <tag k="{escape(k)}" v="{escape(v, {chr(34): "&quot;"})}"/>'
            for k, v in tags.items()]


def _street_ways(osm: _Osm, grid: dict[city.Point, int], mids: dict[tuple[city.Point, city.Point],
                                                                     int]) -> None:
    """Each grid street split into ways every 4 blocks and around its special sections."""
    streets = [(name, hw, [(c, row) for c in city.COLS]) for row, (name, hw) in
               city.H_STREETS.items()]
    streets += [(name, hw, [(col, r) for r in city.ROWS]) for col, (name, hw) in
                city.V_STREETS.items()]
    for name, highway, pts in streets:
        horizontal = pts[0][1] == pts[1][1]
        breaks = {i for i in range(0, len(pts), 4)} | {len(pts) - 1}
        special: dict[int, Tags] = {}
        for sname, lo, hi, tags in city.SPECIAL_SECTIONS:
            if sname != name:
                continue
            i_lo = next(i for i, p in enumerate(pts) if (p[0] if horizontal else p[1]) == lo)
            i_hi = next(i for i, p in enumerate(pts) if (p[0] if horizontal else p[1]) == hi)
            breaks |= {i_lo, i_hi}
            for i in range(i_lo, i_hi):
                special[i] = tags
        order = sorted(breaks)
        for a, b in zip(order, order[1:]):
            refs: list[int] = []
            for i in range(a, b):
                refs.append(grid[pts[i]])
                if (pts[i], pts[i + 1]) in mids:
                    refs.append(mids[(pts[i], pts[i + 1])])
            refs.append(grid[pts[b]])
            tags = {"highway": highway, "name": name, **city.STREET_TAGS.get(name, {})}
            tags.update(special.get(a, {}))
            osm.way(refs, tags)


def _special_ways(osm: _Osm, grid: dict[city.Point, int], mids: dict[tuple[city.Point,
                                                                         city.Point], int]) -> None:
    b = city.BLOCK_M
    park = osm.node(2.5 * b, 1.5 * b)
    osm.way([grid[(2, 1)], park, grid[(3, 2)]], {"highway": "footway", "name": "Allée du Parc"})
    osm.way([park, mids[((2, 1), (3, 1))]], {"highway": "steps", "incline": "down",
                                             "step_count": "24"})
    cyc = [grid[(-8, -6)]] + [osm.node(x * b, -6.6 * b) for x in range(-8, 1)] + [grid[(0, -6)]]
    osm.way(cyc, {"highway": "cycleway", "name": "Piste cyclable des Bords de Brique",
                  "surface": "asphalt"})
    # Two one-way carriageways between ramps at (-8,-6) and (8,-6): every segment stays
    # reachable by car (no dead-end carriageway pieces at the edge of the extract).
    east = [osm.node(x, -2010.0) for x in range(-1750, 1751, 500)]
    west = [osm.node(x, -1990.0) for x in range(1750, -1751, -500)]
    motorway = {"highway": "motorway", "ref": "A 185", "name": "Autoroute de la Brique",
                "oneway": "yes", "maxspeed": "130"}
    osm.way(east, motorway)
    osm.way(west, motorway)
    link = {"highway": "motorway_link", "oneway": "yes"}
    osm.way([grid[(-8, -6)], osm.node(-1900.0, -1800.0), east[0]], link)
    osm.way([east[-1], osm.node(1900.0, -1800.0), grid[(8, -6)]], link)
    osm.way([grid[(8, -6)], osm.node(1850.0, -1750.0), west[0]], link)
    osm.way([west[-1], osm.node(-1850.0, -1750.0), grid[(-8, -6)]], link)
    osm.way([grid[(4, 4)], osm.node(1600.0, 1300.0), grid[(8, 6)]],
            {"highway": "primary", "name": "Pénétrante Nord", "foot": "no", "bicycle": "no",
             "bridge": "yes", "layer": "1"})
    osm.way([grid[(6, -2)], grid[(7, -3)]],
            {"highway": "service", "service": "driveway", "access": "private",
             "name": "Allée privée des Jardins"})


def _building(osm: _Osm, a: addr.Address) -> None:
    """A 10 m square building around the address point, tagged with the address."""
    refs = [osm.node(a.x_m + dx, a.y_m + dy) for dx, dy in ((-5, -5), (5, -5), (5, 5), (-5, 5))]
    osm.way(refs + [refs[0]], {"building": "house", **_addr_tags(a)})


def _addr_tags(a: addr.Address) -> Tags:
    number = f"{a.numero} {a.rep}" if a.rep else str(a.numero)
    return {"addr:housenumber": number, "addr:street": a.street,
            "addr:postcode": addr.CODE_POSTAL, "addr:city": addr.COMMUNE}


def write_osm(path: Path, addresses: list[addr.Address]) -> None:
    """Write the Briqueville OSM XML file to ``path`` (same bytes on every call)."""
    osm = _Osm()
    b = city.BLOCK_M
    grid = {(c, r): osm.node(c * b, r * b) for r in city.ROWS for c in city.COLS}
    mids = {((2, 1), (3, 1)): osm.node(2.5 * b, 1 * b)}
    for tags, x, y in PLACES + POIS:
        osm.node(x, y, tags)
    for a in addresses:
        if a.seq % 8 == 0 and not a.rep:
            _building(osm, a)
        elif a.seq % 8 == 4:
            osm.node(a.x_m, a.y_m, _addr_tags(a))
    _street_ways(osm, grid, mids)
    _special_ways(osm, grid, mids)
    path.write_bytes(osm.xml().encode("utf-8"))
