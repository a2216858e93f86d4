"""Addresses of the built-in sample (Briqueville), written in the BAN 'adresses' CSV format.

Numbers follow the French rule: odd numbers on the left, even on the right, growing from the
start of the street (west end, or south end), about one number per 7.5 m of frontage. The
same records feed the OSM file's addr:* buildings and nodes, so both sources agree.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import city

CODE_INSEE = "41999"
CODE_POSTAL = "41990"
COMMUNE = "Briqueville"
#: The south-west quarter was a separate commune merged into Briqueville ("commune nouvelle").
OLD_INSEE = "41998"
OLD_COMMUNE = "Saint-Martin-sur-Brique"
#: Header of the BAN 'adresses-XX.csv' files, in order (';'-separated, UTF-8).
BAN_COLUMNS = (
    "id", "id_fantoir", "numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune",
    "code_insee_ancienne_commune", "nom_ancienne_commune", "x", "y", "lon", "lat",
    "type_position", "alias", "nom_ld", "libelle_acheminement", "nom_afnor", "source_position",
    "source_nom_voie", "certification_commune", "cad_parcelles",
)
_SIDE_OFFSET_M = 12.0
_M_PER_NUMBER = 7.5


@dataclass(frozen=True)
class Address:
    """One address point: street, number (+ repetition index) and metric position."""

    voie_code: str
    street: str
    numero: int
    rep: str
    x_m: float
    y_m: float
    seq: int


def grid_streets() -> list[tuple[str, str, tuple[float, float], tuple[float, float]]]:
    """(voie code, name, start xy, end xy) of every grid street, in a fixed order."""
    out = []
    lo_c, hi_c = min(city.COLS) * city.BLOCK_M, max(city.COLS) * city.BLOCK_M
    lo_r, hi_r = min(city.ROWS) * city.BLOCK_M, max(city.ROWS) * city.BLOCK_M
    k = 0
    for row, (name, _hw) in city.H_STREETS.items():
        k += 1
        out.append((f"{k * 5:04d}", name, (lo_c, row * city.BLOCK_M), (hi_c, row * city.BLOCK_M)))
    for col, (name, _hw) in city.V_STREETS.items():
        k += 1
        out.append((f"{k * 5:04d}", name, (col * city.BLOCK_M, lo_r), (col * city.BLOCK_M, hi_r)))
    return out


def build_addresses() -> list[Address]:
    """Every sample address, in a stable order (a few hundred, some with bis/ter)."""
    out: list[Address] = []
    i = 0
    for si, (voie, name, (x0, y0), (x1, y1)) in enumerate(grid_streets()):
        length = math.hypot(x1 - x0, y1 - y0)
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        n_blocks = int(round(length / city.BLOCK_M))
        for b in range(n_blocks):
            sides = [(1, 30 + (b * 37 + si * 53) % 190)]
            if (b + si) % 2 == 0:
                sides.append((0, 30 + (b * 71 + si * 29 + 95) % 190))
            for odd, off in sides:
                d = b * city.BLOCK_M + off
                numero = 2 * int(d // (2 * _M_PER_NUMBER)) + (1 if odd else 2)
                reps = [""]
                if i % 11 == 4:
                    reps.append("bis")
                    if (i // 11) % 3 == 0:
                        reps.append("ter")
                for j, rep in enumerate(reps):
                    dd = d + 4.0 * j
                    side = _SIDE_OFFSET_M if odd else -_SIDE_OFFSET_M
                    # left of the direction of travel is (-uy, ux)
                    x = x0 + ux * dd - uy * side
                    y = y0 + uy * dd + ux * side
                    out.append(Address(voie, name, numero, rep, x, y, i))
                i += 1
    rep_rank = {"": 0, "bis": 1, "ter": 2}
    out.sort(key=lambda a: (a.voie_code, a.numero, rep_rank[a.rep]))  # BAN files are id-sorted
    return out


def afnor(name: str) -> str:
    """Street name in the AFNOR postal form: upper-case ASCII, no punctuation, <= 32 chars."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = "".join(ch if ch.isalnum() else " " for ch in ascii_name.upper())
    return " ".join(cleaned.split())[:32]


def lambert93(lat: float, lon: float) -> tuple[float, float]:
    """WGS84/RGF93 (lat, lon) in degrees -> Lambert-93 (EPSG:2154) x, y in metres."""
    a, e = 6378137.0, 0.0818191910428158  # GRS80
    phi1, phi2, phi0 = math.radians(44.0), math.radians(49.0), math.radians(46.5)
    lam0, x0, y0 = math.radians(3.0), 700000.0, 6600000.0

    def m(phi: float) -> float:
        return math.cos(phi) / math.sqrt(1 - (e * math.sin(phi)) ** 2)

    def t(phi: float) -> float:
        es = e * math.sin(phi)
        return math.tan(math.pi / 4 - phi / 2) / ((1 - es) / (1 + es)) ** (e / 2)

    n = (math.log(m(phi1)) - math.log(m(phi2))) / (math.log(t(phi1)) - math.log(t(phi2)))
    f = m(phi1) / (n * t(phi1) ** n)
    rho0 = a * f * t(phi0) ** n
    rho = a * f * t(math.radians(lat)) ** n
    theta = n * (math.radians(lon) - lam0)
    return x0 + rho * math.sin(theta), y0 + rho0 - rho * math.cos(theta)


def ban_rows(addresses: list[Address]) -> list[list[str]]:
    """BAN CSV rows (without header) for the given addresses."""
    rows = []
    for a in addresses:
        lat, lon = city.to_latlon(a.x_m, a.y_m)
        x, y = lambert93(lat, lon)
        old = a.x_m < -1000.0 and a.y_m < -750.0
        key = f"{CODE_INSEE}_{a.voie_code}_{a.numero:05d}" + (f"_{a.rep}" if a.rep else "")
        section = "A" + "BCDEFGHK"[a.seq % 8]
        parcel = f"{CODE_INSEE}000{section}{(a.seq * 7) % 900 + 10:04d}" if a.seq % 4 else ""
        rows.append([
            key, f"{CODE_INSEE}_{a.voie_code}", str(a.numero), a.rep, a.street, CODE_POSTAL,
            CODE_INSEE, COMMUNE, OLD_INSEE if old else "", OLD_COMMUNE if old else "",
            f"{x:.2f}", f"{y:.2f}", f"{lon:.6f}", f"{lat:.6f}",
            "bâtiment" if a.seq % 5 == 0 else "entrée", "", "", COMMUNE.upper(), afnor(a.street),
            "commune", "commune", "0" if a.seq % 9 == 0 else "1", parcel,
        ])
    return rows


def write_addresses(path: Path, addresses: list[Address]) -> None:
    """Write the BAN-format CSV (';'-separated, UTF-8, LF line ends)."""
    lines = [";".join(BAN_COLUMNS)]
    lines.extend(";".join(r) for r in ban_rows(addresses))
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
