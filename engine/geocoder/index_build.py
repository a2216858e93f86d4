"""Records -> geocoder/* Arrow tables (BUILD TIME ONLY).

Input: the address table of ``engine.loaders.addresses`` (one row per address) and a *places*
table (id, type, name, street, postcode, citycode, city, lat, lon, importance) from OSM and
GTFS stops. Addresses are grouped by (street, postcode, citycode, city) into street documents
holding their house numbers (addok's model: the text index stays the size of the street list, a
number is resolved inside one street). Then:

- tokens: each document's name tokens then context tokens (postcode, city, POI street), by the
  one normaliser (``normalize.normalize_tokens``), deduplicated;
- dictionary: distinct tokens sorted by UTF-8 bytes, with doc postings (CSR, ascending);
- trigrams -> token postings for typo tolerance;
- reverse grid: house numbers and point documents sorted by cell.

Work per row is vectorised (numpy / pyarrow.compute); Python loops only run over distinct
strings and documents (streets, places), never over the address rows.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._types import NO_IDX
from . import tokens as T
from .france import ARRONDISSEMENTS, arrondissement_number, lambert93, split_city
from .normalize import canonical_suffix, normalize_suffix, normalize_tokens

PLACE_COLUMNS = ("id", "type", "name", "street", "postcode", "citycode", "city", "lat", "lon", "importance")
#: A highway street without numbers is dropped when an address street of the same name is closer.
STREET_MERGE_M = 1500.0


def _np(a) -> np.ndarray:
    return np.asarray(a.to_numpy(zero_copy_only=False) if hasattr(a, "to_numpy") else a)


def _codes(values: pa.Array) -> tuple[np.ndarray, list]:
    """Dictionary-encode: (int codes per row, distinct values as Python list)."""
    enc = pc.dictionary_encode(values).combine_chunks() if isinstance(values, pa.ChunkedArray) \
        else pc.dictionary_encode(values)
    return _np(enc.indices).astype(np.int64), enc.dictionary.to_pylist()


def _suffix_tables(raw_suffixes: pa.Array) -> tuple[np.ndarray, pa.Table]:
    """Per-row suffix code and the suffixes table (row 0 = no suffix)."""
    codes, uniques = _codes(raw_suffixes)
    norm = [normalize_suffix(s or "") for s in uniques]
    names = [""] + sorted({s for s in norm if s})
    extra = sorted({canonical_suffix(s) for s in names} - set(names))
    names += extra
    index = {s: i for i, s in enumerate(names)}
    per_unique = np.array([index[s] for s in norm] or [0], np.int16)
    canon = np.array([index[canonical_suffix(s)] for s in names], np.int16)
    row_codes = per_unique[codes] if len(codes) else np.empty(0, np.int16)
    return row_codes, pa.table({"suffix": pa.array(names, pa.string()), "canon": pa.array(canon)})


def _fill_postcodes(addr: pa.Table) -> pa.Table:
    """Rows without a postcode take one from the same (street, citycode, city) (OSM often omits it)."""
    postcode = addr["postcode"].combine_chunks()
    empty = _np(pc.equal(pc.utf8_length(postcode), 0))
    if not empty.any() or empty.all():
        return addr
    key = pc.binary_join_element_wise(addr["street"], addr["citycode"], addr["city"], "\x1f").combine_chunks()
    codes, uniques = _codes(key)
    donor = np.full(len(uniques), -1, np.int64)
    full = np.flatnonzero(~empty)
    donor[codes[full]] = full
    take = np.arange(len(codes))
    fillable = empty & (donor[codes] >= 0)
    take[fillable] = donor[codes[fillable]]
    return addr.set_column(addr.schema.get_field_index("postcode"), "postcode", postcode.take(pa.array(take)))


def _group_addresses(owned: list):
    """Sort addresses by street group and number; return sorted table, group starts, codes.

    ``owned``: a one-element list holding the address table, emptied here; when the caller
    keeps no other reference, each input column is freed as soon as its sorted copy exists."""
    addr = _fill_postcodes(owned.pop())
    key = pc.binary_join_element_wise(addr["street"], addr["postcode"], addr["citycode"], addr["city"],
                                      _column(addr, "oldcitycode"), "\x1f")
    group, _ = _codes(key.combine_chunks())
    del key
    suffix_code, suffixes = _suffix_tables(addr["suffix"].combine_chunks())
    number = _np(addr["number"].combine_chunks()).astype(np.int64)
    order = pa.array(np.lexsort((suffix_code, number, group)))
    del number
    sorted_cols = {}
    for name in list(addr.column_names):
        sorted_cols[name] = addr[name].take(order).combine_chunks()
        addr = addr.drop_columns([name])
    addr = pa.table(sorted_cols)
    del sorted_cols
    order = np.asarray(order)
    group, suffix_code = group[order], suffix_code[order]
    # renumber groups in order of appearance so that street docs follow the sorted rows
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    return addr, starts, suffix_code, suffixes


def _column(addr: pa.Table, name: str) -> pa.Array:
    """An optional string column of the address table ("" when the source lacks it)."""
    if name in addr.column_names:
        return addr[name].combine_chunks()
    return pa.array([""] * addr.num_rows, pa.string())


def _street_docs(addr: pa.Table, starts: np.ndarray) -> dict[str, np.ndarray | list]:
    n = addr.num_rows
    counts = np.diff(np.r_[starts, n])
    gid = np.repeat(np.arange(len(starts)), counts)
    lat, lon = _np(addr["lat"].combine_chunks()), _np(addr["lon"].combine_chunks())
    mlat = np.bincount(gid, lat) / counts
    mlon = np.bincount(gid, lon) / counts
    # representative point: the address nearest to the street's mean position
    d = (lat - mlat[gid]) ** 2 + ((lon - mlon[gid]) * np.cos(np.radians(mlat[gid]))) ** 2
    best = np.lexsort((d, gid))
    first_of_group = best[np.r_[0, np.cumsum(counts)[:-1]]]
    ids = addr["id"].combine_chunks().take(pa.array(starts))
    street_ids = pc.replace_substring_regex(ids, r"_[0-9]{1,6}(_[A-Za-z][A-Za-z0-9]*)?$", "")
    same = _np(pc.equal(street_ids, ids))
    street_ids = pc.if_else(pa.array(same), pc.binary_join_element_wise(ids, pa.array(["street"] * len(same), pa.string()), ":"), street_ids)
    take = pa.array(starts)
    imp = street_importance(counts, *_commune_population(addr["citycode"].combine_chunks().take(take), counts))
    return {
        "id": street_ids.to_pylist(), "type": np.full(len(starts), T.STREET, np.int8),
        "name": addr["street"].combine_chunks().take(take).to_pylist(),
        "street": [""] * len(starts),
        "postcode": addr["postcode"].combine_chunks().take(take).to_pylist(),
        "citycode": addr["citycode"].combine_chunks().take(take).to_pylist(),
        "city": addr["city"].combine_chunks().take(take).to_pylist(),
        "lat": lat[first_of_group], "lon": lon[first_of_group], "importance": imp.astype(np.float32),
        "hn_first": starts.astype(np.int32), "hn_count": counts.astype(np.int32),
        "oldcitycode": _column(addr, "oldcitycode").take(take).to_pylist(),
        "oldcity": _column(addr, "oldcity").take(take).to_pylist(),
        "x": _np(addr["x"].combine_chunks())[first_of_group] if "x" in addr.column_names else np.full(len(starts), np.nan),
        "y": _np(addr["y"].combine_chunks())[first_of_group] if "y" in addr.column_names else np.full(len(starts), np.nan),
    }


#: Importance of a street: the share decided by its commune's population, by its own size
#: (with several communes); with one commune (a city's file) only its size: IMP_ONE_COMMUNE.
IMP_BASE, IMP_COMMUNE, IMP_STREET = 0.3, 0.69, 0.01
IMP_ONE_COMMUNE = 0.5


def _log_share(values: np.ndarray) -> np.ndarray:
    """log(1 + v) / log(1 + max v): 1 for the largest, 0 for none."""
    return np.log1p(values) / np.log1p(max(float(values.max()), 1.0)) if len(values) else values.astype(float)


def commune_of(citycode: str) -> str:
    """The commune a BAN citycode belongs to (an arrondissement's commune: 75107 -> 75056)."""
    number = arrondissement_number(citycode)
    if number:
        for code, first, count in ARRONDISSEMENTS.values():
            if first <= int(citycode) < first + count:
                return code
    return citycode


def _commune_population(citycodes: pa.Array, counts: np.ndarray) -> tuple[np.ndarray, int]:
    """Per street group: the number of addresses of its commune (all arrondissements of Paris,
    Lyon, Marseille together), and the number of communes. BAN has no population column: the
    address count stands for it, and is what the national generator's Zipf population sets."""
    codes, uniques = _codes(citycodes)
    parents = [commune_of(c or "") for c in uniques]
    parent_codes, parent_idx = np.unique(np.array(parents, dtype=object), return_inverse=True)
    per_parent = np.bincount(parent_idx[codes], weights=counts, minlength=len(parent_codes))
    population = per_parent[parent_idx[codes]]
    # no citycode (OSM addresses): no commune to count, the street stands alone
    unknown = np.array([not c for c in uniques] or [False], bool)[codes] if len(codes) else np.zeros(0, bool)
    return np.where(unknown, counts, population), len({p for p in parents if p})


def street_importance(counts: np.ndarray, population: np.ndarray, communes: int) -> np.ndarray:
    """Importance of street documents: IMP_BASE + IMP_COMMUNE x log-share of the commune's
    population + IMP_STREET x log-share of the street's own addresses. The commune term
    dominates, so that of two homonymous streets the one in the larger commune ranks first;
    the street term only orders streets of one commune (or of communes of equal size).

    With at most one known commune (a city's own file, OSM addresses without citycode) the
    commune term says nothing, and the street's size weighs IMP_ONE_COMMUNE, as much as it did
    before communes counted: the same order, and the same balance against small text
    differences (street prefixes typed)."""
    if communes <= 1:
        return (IMP_BASE + IMP_ONE_COMMUNE * _log_share(counts)).astype(np.float32)
    return (IMP_BASE + IMP_COMMUNE * _log_share(population) + IMP_STREET * _log_share(counts)).astype(np.float32)


def _municipality_docs(addr: pa.Table) -> dict[str, np.ndarray | list]:
    """One ``municipality`` per (citycode, city) of the address file, at the mean of its
    addresses, and one per commune split into arrondissements (Paris, Lyon, Marseille)."""
    key = pc.binary_join_element_wise(addr["citycode"], addr["city"], "\x1f").combine_chunks()
    gid, uniques = _codes(key)
    # only where the source names official municipalities (BAN citycode); OSM has place nodes
    keep = [i for i, u in enumerate(uniques) if u.split("\x1f")[1] and u.split("\x1f")[0]]
    counts = np.bincount(gid, minlength=len(uniques)).astype(np.float64)
    lat = np.bincount(gid, _np(addr["lat"].combine_chunks()), len(uniques)) / np.maximum(counts, 1)
    lon = np.bincount(gid, _np(addr["lon"].combine_chunks()), len(uniques)) / np.maximum(counts, 1)
    first = np.full(len(uniques), -1, np.int64)
    first[gid[::-1]] = np.arange(len(gid))[::-1]
    postcodes = addr["postcode"].combine_chunks().take(pa.array(first[keep])).to_pylist() if keep else []
    out = {"id": [], "name": [], "postcode": [], "citycode": [], "city": [], "lat": [], "lon": [], "importance": []}
    parents: dict[str, list[int]] = {}
    for k, i in enumerate(keep):
        citycode, name = uniques[i].split("\x1f")
        out["id"].append(citycode)
        out["name"].append(name)
        out["postcode"].append(postcodes[k])
        out["citycode"].append(citycode)
        out["city"].append(name)
        out["lat"].append(lat[i])
        out["lon"].append(lon[i])
        out["importance"].append(counts[i])       # the population for now, importance below
        commune, district = split_city(citycode, name)
        if district:
            parents.setdefault(commune, []).append(k)
    for commune, ks in parents.items():             # the commune itself (BAN: "Paris", 75056)
        members = [keep[k] for k in ks]
        w = counts[members]
        code = ARRONDISSEMENTS[commune][0]
        out["id"].append(code)
        out["name"].append(commune)
        out["postcode"].append(min(postcodes[k] for k in ks))
        out["citycode"].append(code)
        out["city"].append(commune)
        out["lat"].append(float(np.average(lat[members], weights=w)))
        out["lon"].append(float(np.average(lon[members], weights=w)))
        out["importance"].append(float(w.sum()))
    n = len(out["id"])
    # a commune's importance: its population's log-share (the largest commune 1.0)
    out["importance"] = IMP_BASE + (1.0 - IMP_BASE) * _log_share(np.array(out["importance"], np.float64))
    return {**out, "type": np.full(n, T.MUNICIPALITY, np.int8), "street": [""] * n,
            "lat": np.array(out["lat"], np.float64), "lon": np.array(out["lon"], np.float64),
            "importance": np.array(out["importance"], np.float32),
            "hn_first": np.zeros(n, np.int32), "hn_count": np.zeros(n, np.int32)}


def _place_docs(places: pa.Table, streets: dict) -> dict[str, np.ndarray | list]:
    """Places as docs; highway streets that duplicate an address street nearby are dropped."""
    cols = {c: places[c].to_pylist() if places[c].type == pa.string() else _np(places[c].combine_chunks())
            for c in PLACE_COLUMNS}
    types = np.array([T.TYPE_CODES[t] for t in cols["type"]], np.int8)
    keep = np.ones(len(types), bool)
    if streets["lat"].size and (types == T.STREET).any():
        by_name: dict[tuple, list[int]] = {}
        for i, name in enumerate(streets["name"]):
            by_name.setdefault(normalize_tokens(name), []).append(i)
        for i in np.flatnonzero(types == T.STREET):
            cand = by_name.get(normalize_tokens(cols["name"][i]))
            if cand:
                c = np.array(cand)
                dy = (streets["lat"][c] - cols["lat"][i]) * 111_195.0
                dx = (streets["lon"][c] - cols["lon"][i]) * 111_195.0 * np.cos(np.radians(cols["lat"][i]))
                keep[i] = not (np.hypot(dx, dy) < STREET_MERGE_M).any()
    idx = np.flatnonzero(keep)
    out = {c: ([v[i] for i in idx] if isinstance(v, list) else v[idx]) for c, v in cols.items()}
    out["type"] = types[idx]
    out["importance"] = np.clip(out["importance"], 0, 1).astype(np.float32)
    out["hn_first"] = np.zeros(len(idx), np.int32)
    out["hn_count"] = np.zeros(len(idx), np.int32)
    return out


_ID_CHUNK = 1 << 20
_OPTIONAL_DOC = {"oldcitycode": "", "oldcity": "", "x": np.nan, "y": np.nan}


def _concat(parts: list[dict]) -> dict:
    out = {}
    for part in parts:
        n = len(part["id"])
        for key, blank in _OPTIONAL_DOC.items():
            if key not in part:
                part[key] = [blank] * n if isinstance(blank, str) else np.full(n, blank)
            elif isinstance(blank, str):
                part[key] = list(part[key])
    for key in parts[0]:
        vals = [p[key] for p in parts]
        out[key] = sum((list(v) for v in vals), []) if isinstance(vals[0], list) else np.concatenate(vals)
    return out


def _compact_ids(addr: pa.Table, starts: np.ndarray, street_ids: list[str], suffix_code: np.ndarray,
                 suffixes: pa.Table) -> pa.Array:
    """Address ids, blank where ``derived_address_id`` rebuilds them (BAN: saves ~20 B/address)."""
    counts = np.diff(np.r_[starts, addr.num_rows])
    street_of_row = np.repeat(np.arange(len(starts), dtype=np.int32), counts)
    street_ids = pa.array(street_ids, pa.string())
    suffix_names = suffixes["suffix"].combine_chunks()
    out = []
    # a million rows at a time: the derived ids are scratch text as long as the ids themselves
    for lo in range(0, addr.num_rows, _ID_CHUNK):
        hi = min(lo + _ID_CHUNK, addr.num_rows)
        ids = addr["id"].slice(lo, hi - lo).combine_chunks()
        street = street_ids.take(pa.array(street_of_row[lo:hi]))
        number = pc.utf8_lpad(pc.cast(addr["number"].slice(lo, hi - lo).combine_chunks(), pa.string()), 5, "0")
        sfx = suffix_names.take(pa.array(suffix_code[lo:hi].astype(np.int32)))
        base = pc.binary_join_element_wise(street, number, "_")
        with_sfx = pc.binary_join_element_wise(base, sfx, "_")
        derived = pc.if_else(pc.equal(pc.utf8_length(sfx), 0), base, with_sfx)
        out.append(pc.if_else(pc.equal(derived, ids), pa.scalar("", pa.string()), ids))
    return pa.concat_arrays(out) if out else pa.array([], pa.string())


def _empty_docs() -> dict:
    return {"id": [], "type": np.empty(0, np.int8), "name": [], "street": [], "postcode": [],
            "citycode": [], "city": [], "lat": np.empty(0), "lon": np.empty(0),
            "importance": np.empty(0, np.float32), "hn_first": np.empty(0, np.int32),
            "hn_count": np.empty(0, np.int32), "oldcitycode": [], "oldcity": [], "x": np.empty(0),
            "y": np.empty(0)}


def _cities(docs: dict) -> tuple[np.ndarray, pa.Table]:
    """Per doc its geocoder/cities row; the rows: BAN's city, district, old commune, x/y flag.

    ``city`` is the commune ("Paris") and ``district`` the arrondissement ("Paris 7e
    Arrondissement") as BAN's API says; ``xy`` is 1 when the source's x/y are Lambert-93 (checked
    on one address of the row), so that results give x/y without storing them.
    """
    rows: dict[tuple, int] = {}
    first_doc: list[int] = []
    idx = np.full(len(docs["id"]), NO_IDX, np.int32)
    for d, t in enumerate(zip(docs["postcode"], docs["citycode"], docs["city"], docs["oldcitycode"],
                              docs["oldcity"])):
        if t[:3] == ("", "", ""):
            continue
        k = rows.get(t)
        if k is None:
            k = rows[t] = len(rows)
            first_doc.append(d)
        idx[d] = k
    split = [split_city(t[1], t[2]) for t in rows]
    xy = np.zeros(len(rows), np.int8)
    for k, d in enumerate(first_doc):
        x, y = docs["x"][d], docs["y"][d]
        if np.isfinite(x) and np.isfinite(y):
            px, py = lambert93(float(docs["lat"][d]), float(docs["lon"][d]))
            xy[k] = abs(px - x) < 1.0 and abs(py - y) < 1.0
    keys = list(rows)
    return idx, pa.table({
        "postcode": pa.array([t[0] for t in keys], pa.string()),
        "citycode": pa.array([t[1] for t in keys], pa.string()),
        "city": pa.array([c for c, _ in split], pa.string()),
        "district": pa.array([dist for _, dist in split], pa.string()),
        "oldcitycode": pa.array([t[3] for t in keys], pa.string()),
        "oldcity": pa.array([t[4] for t in keys], pa.string()),
        "xy": pa.array(xy),
    })


def build_index(addresses: "pa.Table | list | None", places: pa.Table | None, report=None,
                sources: list[tuple[str, str]] | None = None) -> dict[str, pa.Table]:
    """Address rows + place rows -> every geocoder/* bundle table.

    ``addresses`` may be a one-element list holding the table: build_index then empties it and
    frees the input rows as it sorts them (``build_geocoder_tables`` does so at national scale).

    ``sources``: (attribution, licence) of each input, answered with every result.
    """
    from .dictionary import build_dictionary, build_grid, build_phonetic, doc_token_lists

    parts, hn_table = [], None
    suffixes = pa.table({"suffix": pa.array([""]), "canon": pa.array(np.zeros(1, np.int16))})
    streets = _empty_docs()
    # a list [table] is handed over (emptied here, so that the rows are freed while sorted)
    owned = addresses if isinstance(addresses, list) else [addresses]
    del addresses
    if owned[0] is not None and owned[0].num_rows:
        addr, starts, suffix_code, suffixes = _group_addresses(owned)
        streets = _street_docs(addr, starts)
        parts += [streets, _municipality_docs(addr)]
        hn_table = pa.table({
            "id": _compact_ids(addr, starts, streets["id"], suffix_code, suffixes),
            "number": addr["number"].combine_chunks(),
            "suffix": pa.array(suffix_code.astype(np.int16)),
            "lat_e7": pa.array(np.round(_np(addr["lat"].combine_chunks()) * T.COORD_SCALE).astype(np.int32)),
            "lon_e7": pa.array(np.round(_np(addr["lon"].combine_chunks()) * T.COORD_SCALE).astype(np.int32)),
        })
    if places is not None and places.num_rows:
        parts.append(_place_docs(places, streets))
    docs = _concat(parts) if parts else _empty_docs()
    if hn_table is None:
        hn_table = pa.table({"id": pa.array([], pa.string()), "number": pa.array([], pa.int32()),
                             "suffix": pa.array([], pa.int16()), "lat_e7": pa.array([], pa.int32()),
                             "lon_e7": pa.array([], pa.int32())})
    n_docs = len(docs["id"])
    city_idx, cities = _cities(docs)
    # context tokens: postcode, the commune (not the arrondissement: queries name it as a district,
    # see reading.district_at), the old commune, a POI's street
    commune = cities["city"].to_pylist()
    contexts = [[pc_, commune[k] if k >= 0 else "", old, street]
                for pc_, k, old, street in zip(docs["postcode"], city_idx, docs["oldcity"], docs["street"])]
    doc_tokens, n_name = doc_token_lists(docs["name"], contexts)
    tokens, doc_lists, ngrams = build_dictionary(doc_tokens)
    phonetic = build_phonetic(tokens["token"].to_pylist())
    docs_table = pa.table({
        "id": pa.array(docs["id"], pa.string()), "type": pa.array(docs["type"].astype(np.int8)),
        "name": pa.array(docs["name"], pa.string()), "street": pa.array(docs["street"], pa.string()),
        "city_idx": pa.array(city_idx), "lat": pa.array(docs["lat"].astype(np.float64)),
        "lon": pa.array(docs["lon"].astype(np.float64)),
        "importance": pa.array(docs["importance"].astype(np.float32)),
        "hn_first": pa.array(docs["hn_first"].astype(np.int32)),
        "hn_count": pa.array(docs["hn_count"].astype(np.int32)),
        "tokens": doc_lists, "n_name_tokens": pa.array(n_name),
    })
    # reverse grid: every house number, and every document without house numbers
    n_hn = hn_table.num_rows
    point_docs = np.flatnonzero(docs["hn_count"] == 0)
    refs = np.r_[np.arange(n_hn), -(point_docs + 1)].astype(np.int64)
    lat = np.r_[_np(hn_table["lat_e7"].combine_chunks()) / T.COORD_SCALE, docs["lat"][point_docs]]
    lon = np.r_[_np(hn_table["lon_e7"].combine_chunks()) / T.COORD_SCALE, docs["lon"][point_docs]]
    grid_points, grid_cells = build_grid(refs, lat, lon)
    if report is not None:
        report.count("geocoder.docs", n_docs)
        report.count("geocoder.housenumbers", n_hn)
        report.count("geocoder.tokens", tokens.num_rows)
    return {
        "geocoder/docs": docs_table, "geocoder/cities": cities, "geocoder/housenumbers": hn_table,
        "geocoder/suffixes": suffixes, "geocoder/tokens": tokens, "geocoder/ngrams": ngrams,
        "geocoder/grid_points": grid_points, "geocoder/grid_cells": grid_cells,
        "geocoder/phonetic": phonetic,
        "geocoder/sources": pa.table({"attribution": pa.array([a for a, _ in sources or []], pa.string()),
                                      "licence": pa.array([lic for _, lic in sources or []], pa.string())}),
    }
