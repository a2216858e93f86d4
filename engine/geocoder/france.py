"""France's address API (BAN) conventions: communes with arrondissements, context, Lambert-93.

Leaf module (stdlib only), used at build time (city / district of a BAN row) and at query time
(``context`` string, ``x``/``y``, which postcodes an arrondissement covers).

- Paris, Lyon and Marseille are split into arrondissements, each with its own INSEE code
  (75101-75120, 69381-69389, 13201-13216). BAN's CSV names the arrondissement in
  ``nom_commune`` ("Paris 7e Arrondissement"); BAN's API answers ``city: "Paris"`` with
  ``district: "Paris 7e Arrondissement"`` and ``citycode: "75107"``: :func:`split_city` does that.
- ``context`` is "département number, département, region" ("75, Paris, Île-de-France"),
  from the first two (three overseas) characters of the INSEE code: :func:`context`.
- ``x``/``y`` are Lambert-93 (EPSG:2154) metres: :func:`lambert93` projects WGS84 exactly as
  BAN's x/y columns (checked on BAN Paris to the centimetre), so they need no bytes in the index.
"""
from __future__ import annotations

import math
import re

#: commune -> (INSEE code of the commune, first arrondissement code, arrondissement count)
ARRONDISSEMENTS = {"Paris": ("75056", 75101, 20), "Lyon": ("69123", 69381, 9), "Marseille": ("13055", 13201, 16)}
_DISTRICT_NAME = re.compile(r"^(Paris|Lyon|Marseille)\s+\d{1,2}\s*(?:er|e|ème|eme)\s+Arrondissement$", re.IGNORECASE)

_R = {"ARA": "Auvergne-Rhône-Alpes", "BFC": "Bourgogne-Franche-Comté", "BRE": "Bretagne",
      "CVL": "Centre-Val de Loire", "COR": "Corse", "GES": "Grand Est", "HDF": "Hauts-de-France",
      "IDF": "Île-de-France", "NOR": "Normandie", "NAQ": "Nouvelle-Aquitaine", "OCC": "Occitanie",
      "PDL": "Pays de la Loire", "PAC": "Provence-Alpes-Côte d'Azur"}
#: département code -> (name, region code or name); 2016 regions.
DEPARTEMENTS: dict[str, tuple[str, str]] = {
    "01": ("Ain", "ARA"), "02": ("Aisne", "HDF"), "03": ("Allier", "ARA"),
    "04": ("Alpes-de-Haute-Provence", "PAC"), "05": ("Hautes-Alpes", "PAC"), "06": ("Alpes-Maritimes", "PAC"),
    "07": ("Ardèche", "ARA"), "08": ("Ardennes", "GES"), "09": ("Ariège", "OCC"), "10": ("Aube", "GES"),
    "11": ("Aude", "OCC"), "12": ("Aveyron", "OCC"), "13": ("Bouches-du-Rhône", "PAC"), "14": ("Calvados", "NOR"),
    "15": ("Cantal", "ARA"), "16": ("Charente", "NAQ"), "17": ("Charente-Maritime", "NAQ"), "18": ("Cher", "CVL"),
    "19": ("Corrèze", "NAQ"), "2A": ("Corse-du-Sud", "COR"), "2B": ("Haute-Corse", "COR"),
    "21": ("Côte-d'Or", "BFC"), "22": ("Côtes-d'Armor", "BRE"), "23": ("Creuse", "NAQ"), "24": ("Dordogne", "NAQ"),
    "25": ("Doubs", "BFC"), "26": ("Drôme", "ARA"), "27": ("Eure", "NOR"), "28": ("Eure-et-Loir", "CVL"),
    "29": ("Finistère", "BRE"), "30": ("Gard", "OCC"), "31": ("Haute-Garonne", "OCC"), "32": ("Gers", "OCC"),
    "33": ("Gironde", "NAQ"), "34": ("Hérault", "OCC"), "35": ("Ille-et-Vilaine", "BRE"), "36": ("Indre", "CVL"),
    "37": ("Indre-et-Loire", "CVL"), "38": ("Isère", "ARA"), "39": ("Jura", "BFC"), "40": ("Landes", "NAQ"),
    "41": ("Loir-et-Cher", "CVL"), "42": ("Loire", "ARA"), "43": ("Haute-Loire", "ARA"),
    "44": ("Loire-Atlantique", "PDL"), "45": ("Loiret", "CVL"), "46": ("Lot", "OCC"),
    "47": ("Lot-et-Garonne", "NAQ"), "48": ("Lozère", "OCC"), "49": ("Maine-et-Loire", "PDL"),
    "50": ("Manche", "NOR"), "51": ("Marne", "GES"), "52": ("Haute-Marne", "GES"), "53": ("Mayenne", "PDL"),
    "54": ("Meurthe-et-Moselle", "GES"), "55": ("Meuse", "GES"), "56": ("Morbihan", "BRE"),
    "57": ("Moselle", "GES"), "58": ("Nièvre", "BFC"), "59": ("Nord", "HDF"), "60": ("Oise", "HDF"),
    "61": ("Orne", "NOR"), "62": ("Pas-de-Calais", "HDF"), "63": ("Puy-de-Dôme", "ARA"),
    "64": ("Pyrénées-Atlantiques", "NAQ"), "65": ("Hautes-Pyrénées", "OCC"), "66": ("Pyrénées-Orientales", "OCC"),
    "67": ("Bas-Rhin", "GES"), "68": ("Haut-Rhin", "GES"), "69": ("Rhône", "ARA"), "70": ("Haute-Saône", "BFC"),
    "71": ("Saône-et-Loire", "BFC"), "72": ("Sarthe", "PDL"), "73": ("Savoie", "ARA"),
    "74": ("Haute-Savoie", "ARA"), "75": ("Paris", "IDF"), "76": ("Seine-Maritime", "NOR"),
    "77": ("Seine-et-Marne", "IDF"), "78": ("Yvelines", "IDF"), "79": ("Deux-Sèvres", "NAQ"),
    "80": ("Somme", "HDF"), "81": ("Tarn", "OCC"), "82": ("Tarn-et-Garonne", "OCC"), "83": ("Var", "PAC"),
    "84": ("Vaucluse", "PAC"), "85": ("Vendée", "PDL"), "86": ("Vienne", "NAQ"), "87": ("Haute-Vienne", "NAQ"),
    "88": ("Vosges", "GES"), "89": ("Yonne", "BFC"), "90": ("Territoire de Belfort", "BFC"),
    "91": ("Essonne", "IDF"), "92": ("Hauts-de-Seine", "IDF"), "93": ("Seine-Saint-Denis", "IDF"),
    "94": ("Val-de-Marne", "IDF"), "95": ("Val-d'Oise", "IDF"),
    "971": ("Guadeloupe", "Guadeloupe"), "972": ("Martinique", "Martinique"), "973": ("Guyane", "Guyane"),
    "974": ("La Réunion", "La Réunion"), "975": ("Saint-Pierre-et-Miquelon", ""), "976": ("Mayotte", "Mayotte"),
    "977": ("Saint-Barthélemy", ""), "978": ("Saint-Martin", ""),
}


def split_city(citycode: str, name: str) -> tuple[str, str]:
    """(city, district) as BAN's API gives them: ("Paris", "Paris 7e Arrondissement") or (name, "")."""
    m = _DISTRICT_NAME.match(name.strip()) if name else None
    if m is not None:
        return m.group(1).capitalize(), name.strip()
    for commune, (_, first, count) in ARRONDISSEMENTS.items():
        if citycode.isdigit() and first <= int(citycode) < first + count and len(citycode) == 5:
            return commune, name
    return name, ""


def arrondissement_number(citycode: str) -> int:
    """1..20 for an arrondissement's INSEE code (75107 -> 7), else 0."""
    if not (citycode and citycode.isdigit() and len(citycode) == 5):
        return 0
    code = int(citycode)
    for _, first, count in ARRONDISSEMENTS.values():
        if first <= code < first + count:
            return code - first + 1
    return 0


def departement(citycode: str) -> str:
    """Département code of an INSEE commune code ("75107" -> "75", "97411" -> "974", "2A004" -> "2A")."""
    if not citycode or len(citycode) < 2:
        return ""
    return citycode[:3] if citycode.startswith("97") else citycode[:2]


def context(citycode: str) -> str | None:
    """BAN's ``context``: "75, Paris, Île-de-France" (None outside the table)."""
    dep = departement(citycode)
    entry = DEPARTEMENTS.get(dep)
    if entry is None:
        return None
    name, region = entry
    region = _R.get(region, region)
    return ", ".join(x for x in (dep, name, region if region != name else "") if x)


# Lambert-93 (EPSG:2154): conic conformal, GRS80, standard parallels 44 and 49 N, origin 46.5 N 3 E.
_A, _F = 6378137.0, 1 / 298.257222101
_E = math.sqrt(2 * _F - _F * _F)


def _m(phi: float) -> float:
    return math.cos(phi) / math.sqrt(1 - (_E * math.sin(phi)) ** 2)


def _t(phi: float) -> float:
    s = _E * math.sin(phi)
    return math.tan(math.pi / 4 - phi / 2) / ((1 - s) / (1 + s)) ** (_E / 2)


_P1, _P2, _P0 = math.radians(49.0), math.radians(44.0), math.radians(46.5)
_N = (math.log(_m(_P1)) - math.log(_m(_P2))) / (math.log(_t(_P1)) - math.log(_t(_P2)))
_AF = _A * _m(_P1) / (_N * _t(_P1) ** _N)
_RHO0 = _AF * _t(_P0) ** _N


def lambert93(lat: float, lon: float) -> tuple[float, float]:
    """(x, y) in Lambert-93 metres of a WGS84 point (metropolitan France), to the centimetre."""
    rho = _AF * _t(math.radians(lat)) ** _N
    theta = _N * math.radians(lon - 3.0)
    return round(700000.0 + rho * math.sin(theta), 2), round(6600000.0 + _RHO0 - rho * math.cos(theta), 2)


#: The constants of :func:`lambert93` (af, n, rho0, e), for the compiled copy used at query time
#: (``engine._geocode.lambert93``: the same operations, identical results).
LAMBERT93 = (_AF, _N, _RHO0, _E)
