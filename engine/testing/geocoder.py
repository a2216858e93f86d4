"""Test helpers: a Geocoder over a tiny bundle built from inline rows (used by tests/)."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ..bundle.reader import open_bundle
from ..bundle.writer import write_bundle
from ..geocoder.build import stop_places
from ..geocoder.index_build import build_index
from ..geocoder.search import Geocoder

ADDRESS_DEFAULTS = {"id": "", "number": 0, "suffix": "", "street": "", "postcode": "", "citycode": "",
                    "city": "", "lat": 0.0, "lon": 0.0}
PLACE_DEFAULTS = {"id": "", "type": "poi", "name": "", "street": "", "postcode": "", "citycode": "",
                  "city": "", "lat": 0.0, "lon": 0.0, "importance": 0.5}
ADDRESS_TYPES = {"number": pa.int32(), "lat": pa.float64(), "lon": pa.float64()}
PLACE_TYPES = {"lat": pa.float64(), "lon": pa.float64(), "importance": pa.float32()}


def rows_table(rows: list[dict], defaults: dict, types: dict) -> pa.Table:
    """Rows (dicts, missing keys defaulted) -> an Arrow table with the loader's column types."""
    full = [{**defaults, **r} for r in rows]
    for i, r in enumerate(full):
        r["id"] = r["id"] or f"row{i}"
    return pa.table({k: pa.array([r[k] for r in full], types.get(k, pa.string())) for k in defaults})


def geocoder_from_rows(tmp_path: Path, addresses: list[dict] | None = None, places: list[dict] | None = None,
                       stops: pa.Table | None = None, warmup: bool = False) -> Geocoder:
    """Build geocoder tables from inline rows, write a bundle under tmp_path and open it."""
    addr = rows_table(addresses, ADDRESS_DEFAULTS, ADDRESS_TYPES) if addresses else None
    place_tables = [rows_table(places, PLACE_DEFAULTS, PLACE_TYPES)] if places else []
    if stops is not None:
        place_tables.append(stop_places(stops))
    place = pa.concat_tables(place_tables) if place_tables else None
    tables = build_index(addr, place)
    out = write_bundle(Path(tmp_path) / "geo.bundle", tables, {"test": True})
    return Geocoder.open(open_bundle(out), warmup=warmup)


#: A small Paris-like street set used by scenario tests.
PARIS = [
    {"id": "75104_rivoli_00012", "number": 12, "street": "Rue de Rivoli", "postcode": "75004",
     "citycode": "75104", "city": "Paris 4e Arrondissement", "lat": 48.8556, "lon": 2.3580},
    {"id": "75104_rivoli_00012_bis", "number": 12, "suffix": "bis", "street": "Rue de Rivoli",
     "postcode": "75004", "citycode": "75104", "city": "Paris 4e Arrondissement", "lat": 48.8557, "lon": 2.3581},
    {"id": "75104_rivoli_00014", "number": 14, "street": "Rue de Rivoli", "postcode": "75004",
     "citycode": "75104", "city": "Paris 4e Arrondissement", "lat": 48.8558, "lon": 2.3575},
    {"id": "75101_rivoli_00012", "number": 12, "street": "Rue de Rivoli", "postcode": "75001",
     "citycode": "75101", "city": "Paris 1er Arrondissement", "lat": 48.8640, "lon": 2.3300},
    {"id": "75111_repu_00012", "number": 12, "street": "Avenue de la République", "postcode": "75011",
     "citycode": "75111", "city": "Paris 11e Arrondissement", "lat": 48.8660, "lon": 2.3680},
    {"id": "75111_repu_00012_b", "number": 12, "suffix": "B", "street": "Avenue de la République",
     "postcode": "75011", "citycode": "75111", "city": "Paris 11e Arrondissement", "lat": 48.8661, "lon": 2.3682},
    {"id": "75111_repu_00001_s1", "number": 1, "suffix": "s1", "street": "Avenue de la République",
     "postcode": "75011", "citycode": "75111", "city": "Paris 11e Arrondissement", "lat": 48.8650, "lon": 2.3650},
    {"id": "75108_stgermain_00003", "number": 3, "street": "Boulevard Saint-Germain", "postcode": "75005",
     "citycode": "75105", "city": "Paris 5e Arrondissement", "lat": 48.8500, "lon": 2.3560},
    {"id": "75115_eglise_00007", "number": 7, "street": "Place de l'Église", "postcode": "75015",
     "citycode": "75115", "city": "Paris 15e Arrondissement", "lat": 48.8400, "lon": 2.2900},
    {"id": "75110_gare_00001", "number": 1, "street": "Rue de la Gare Centrale", "postcode": "75010",
     "citycode": "75110", "city": "Paris 10e Arrondissement", "lat": 48.8760, "lon": 2.3590},
]
