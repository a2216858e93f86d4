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


def _group_addresses(addr: pa.Table):
    """Sort addresses by street group and number; return sorted table, group starts, codes."""
    addr = _fill_postcodes(addr)
    key = pc.binary_join_element_wise(addr["street"], addr["postcode"], addr["citycode"], addr["city"], "\x1f")
    group, _ = _codes(key.combine_chunks())
    suffix_code, suffixes = _suffix_tables(addr["suffix"].combine_chunks())
    number = _np(addr["number"].combine_chunks()).astype(np.int64)
    order = np.lexsort((suffix_code, number, group))
    addr = addr.take(pa.array(order))
    group, suffix_code = group[order], suffix_code[order]
    # renumber groups in order of appearance so that street docs follow the sorted rows
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    return addr, starts, suffix_code, suffixes


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
    imp = 0.3 + 0.5 * np.log1p(counts) / np.log1p(max(int(counts.max()), 1))
    take = pa.array(starts)
    return {
        "id": street_ids.to_pylist(), "type": np.full(len(starts), T.STREET, np.int8),
        "name": addr["street"].combine_chunks().take(take).to_pylist(),
        "street": [""] * len(starts),
        "postcode": addr["postcode"].combine_chunks().take(take).to_pylist(),
        "citycode": addr["citycode"].combine_chunks().take(take).to_pylist(),
        "city": addr["city"].combine_chunks().take(take).to_pylist(),
        "lat": lat[first_of_group], "lon": lon[first_of_group], "importance": imp.astype(np.float32),
        "hn_first": starts.astype(np.int32), "hn_count": counts.astype(np.int32),
    }


def _locality_docs(addr: pa.Table) -> dict[str, np.ndarray | list]:
    """One locality per (citycode, city) of the address file, at the mean of its addresses."""
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
    return {
        "id": [f"locality:{uniques[i].split(chr(31))[0] or uniques[i].split(chr(31))[1]}" for i in keep],
        "type": np.full(len(keep), T.LOCALITY, np.int8),
        "name": [uniques[i].split("\x1f")[1] for i in keep], "street": [""] * len(keep),
        "postcode": postcodes, "citycode": [uniques[i].split("\x1f")[0] for i in keep],
        "city": [uniques[i].split("\x1f")[1] for i in keep],
        "lat": lat[keep], "lon": lon[keep], "importance": np.full(len(keep), 0.9, np.float32),
        "hn_first": np.zeros(len(keep), np.int32), "hn_count": np.zeros(len(keep), np.int32),
    }


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


def _concat(parts: list[dict]) -> dict:
    out = {}
    for key in parts[0]:
        vals = [p[key] for p in parts]
        out[key] = sum((list(v) for v in vals), []) if isinstance(vals[0], list) else np.concatenate(vals)
    return out


def _compact_ids(addr: pa.Table, starts: np.ndarray, street_ids: list[str], suffix_code: np.ndarray,
                 suffixes: pa.Table) -> pa.Array:
    """Address ids, blank where ``derived_address_id`` rebuilds them (BAN: saves ~20 B/address)."""
    ids = addr["id"].combine_chunks()
    counts = np.diff(np.r_[starts, addr.num_rows])
    street = pa.array(np.repeat(np.array(street_ids, dtype=object), counts), pa.string())
    number = pc.utf8_lpad(pc.cast(addr["number"].combine_chunks(), pa.string()), 5, "0")
    sfx = suffixes["suffix"].combine_chunks().take(pa.array(suffix_code.astype(np.int32)))
    base = pc.binary_join_element_wise(street, number, "_")
    with_sfx = pc.binary_join_element_wise(base, sfx, "_")
    derived = pc.if_else(pc.equal(pc.utf8_length(sfx), 0), base, with_sfx)
    return pc.if_else(pc.equal(derived, ids), pa.scalar("", pa.string()), ids)


def _empty_docs() -> dict:
    return {"id": [], "type": np.empty(0, np.int8), "name": [], "street": [], "postcode": [],
            "citycode": [], "city": [], "lat": np.empty(0), "lon": np.empty(0),
            "importance": np.empty(0, np.float32), "hn_first": np.empty(0, np.int32),
            "hn_count": np.empty(0, np.int32)}


def build_index(addresses: pa.Table | None, places: pa.Table | None, report=None) -> dict[str, pa.Table]:
    """Address rows + place rows -> every geocoder/* bundle table."""
    from .dictionary import build_dictionary, build_grid, doc_token_lists

    parts, hn_table = [], None
    suffixes = pa.table({"suffix": pa.array([""]), "canon": pa.array(np.zeros(1, np.int16))})
    streets = _empty_docs()
    if addresses is not None and addresses.num_rows:
        addr, starts, suffix_code, suffixes = _group_addresses(addresses)
        streets = _street_docs(addr, starts)
        parts += [streets, _locality_docs(addr)]
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
    # cities: distinct (postcode, citycode, city)
    triples = list(zip(docs["postcode"], docs["citycode"], docs["city"]))
    city_index: dict[tuple, int] = {}
    city_idx = np.array([NO_IDX if t == ("", "", "") else city_index.setdefault(t, len(city_index))
                         for t in triples], np.int32)
    cities = pa.table({name: pa.array([t[k] for t in city_index], pa.string())
                       for k, name in enumerate(("postcode", "citycode", "city"))})
    contexts = [[pc_, city, street] for pc_, city, street in zip(docs["postcode"], docs["city"], docs["street"])]
    doc_tokens, n_name = doc_token_lists(docs["name"], contexts)
    tokens, doc_lists, ngrams = build_dictionary(doc_tokens)
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
    }
