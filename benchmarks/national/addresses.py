"""Generate a France-size BAN-format address file (``python -m benchmarks.national addresses``).

No national BAN file can be fetched here, so this writes one with the shape that matters to a
geocoder: about 35,000 communes named from toponymic parts (the same name in several
départements), INSEE codes and postcodes by département, a Zipf population that sets how many
addresses each commune has, street names drawn from the real BAN Paris vocabulary and from the
names that recur in thousands of communes ("Rue de la Gare", "Grande Rue" ...), "Route de
<neighbour>" streets, lieux-dits without a street type (and BAN's numero-99999 named places),
house numbers with gaps, bis/ter and BAN suffixes, coordinates clustered around each
département's seat inside France's box, Lambert-93 x/y, every column of BAN's CSV.

Deterministic for a seed (each commune draws from its own generator seeded by (seed, commune)),
and streaming: only the commune table (35k rows) is held; rows are written in batches of about
BATCH_ROWS, so memory stays bounded whatever N.
"""
from __future__ import annotations

import gzip
import io
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import addresses_vocab as V

BAN_COLUMNS = ("id", "id_fantoir", "numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune",
               "code_insee_ancienne_commune", "nom_ancienne_commune", "x", "y", "lon", "lat", "type_position",
               "alias", "nom_ld", "libelle_acheminement", "nom_afnor", "source_position", "source_nom_voie",
               "certification_commune", "cad_parcelles")
#: France's bounding box (metropolitan, Corsica included): lat, lon
LAT_RANGE = (41.3, 51.1)
LON_RANGE = (-5.2, 9.6)
#: BAN has about 26 million addresses over about 35,000 communes: ~740 addresses per commune
ADDRESSES_PER_COMMUNE = 740
MAX_COMMUNES = 35_000
ZIPF_EXPONENT = 0.75            # addresses of the r-th commune ~ r^-0.75: largest ~2 % of all
BATCH_ROWS = 400_000
LIEU_DIT_NUMBER = 99999
SUFFIX_RATE = 0.06
NAMED_PLACE_RATE = 0.15         # share of lieux-dits that also get a numero-99999 row
_STREET_CODE_CHARS = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", np.uint8)


@dataclass(frozen=True)
class Communes:
    """The generated communes, in INSEE order (the order of BAN's national file)."""

    insee: list[str]
    postcode: list[str]
    name: list[str]
    dep: list[str]
    lat: np.ndarray
    lon: np.ndarray
    addresses: np.ndarray       # int64, sums to N: the Zipf population
    certified: np.ndarray       # bool: certification_commune


def paris_streets(data_dir: Path | None = None) -> tuple[str, ...]:
    """Distinct street names of the real BAN Paris file (empty when the shared data is absent)."""
    if data_dir is None:
        from engine.testing.data import shared_data_dir

        data_dir = shared_data_dir()
    path = Path(data_dir) / "addr-fr-ban-75-paris" / "adresses-75.csv.gz"
    if not path.is_file():
        return ()
    table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"),
                           convert_options=pacsv.ConvertOptions(include_columns=["nom_voie"],
                                                                column_types={"nom_voie": pa.string()}))
    return tuple(sorted(set(table["nom_voie"].to_pylist()) - {""}))


@lru_cache(maxsize=None)
def _zipf_cdf(n_items: int, exponent: float) -> np.ndarray:
    w = np.cumsum(1.0 / np.arange(1, n_items + 1) ** exponent)
    return w / w[-1]


def _zipf_pick(rng: np.random.Generator, n_items: int, size: int, exponent: float) -> np.ndarray:
    """``size`` indices in [0, n_items), the r-th drawn with probability ~ r^-exponent."""
    return np.minimum(np.searchsorted(_zipf_cdf(n_items, exponent), rng.random(size), side="right"),
                      n_items - 1)


def _qualifier(rng: np.random.Generator) -> str:
    kind = rng.random()
    if kind < 0.45:
        return "-sur-" + V.RIVERS[_zipf_pick(rng, len(V.RIVERS), 1, 0.8)[0]]
    if kind < 0.75:
        return "-en-" + V.REGIONS[_zipf_pick(rng, len(V.REGIONS), 1, 0.8)[0]]
    return "-" + V.TAILS[rng.integers(len(V.TAILS))]


def commune_name(rng: np.random.Generator) -> str:
    """A French-looking commune name from toponymic parts; frequent parts come up often, so
    plain names ("Saint-Martin", "Villeneuve") recur across départements."""
    kind = rng.random()
    if kind < 0.17:
        name = "Saint-" + V.SAINTS[_zipf_pick(rng, len(V.SAINTS), 1, 1.0)[0]]
        return name + _qualifier(rng) if rng.random() < 0.75 else name
    if kind < 0.20:
        name = "Sainte-" + V.SAINTES[_zipf_pick(rng, len(V.SAINTES), 1, 1.0)[0]]
        return name + _qualifier(rng) if rng.random() < 0.5 else name
    if kind < 0.48:
        name = V.STEMS[_zipf_pick(rng, len(V.STEMS), 1, 0.9)[0]]
        return name + _qualifier(rng) if rng.random() < 0.85 else name
    if kind < 0.58:
        stem = V.STEMS[rng.integers(len(V.STEMS))]
        article = "La" if stem.endswith(("e", "es")) else "Le"
        return f"{article} {stem}" + (_qualifier(rng) if rng.random() < 0.4 else "")
    middle = "".join(V.MIDDLES[i] for i in rng.integers(len(V.MIDDLES), size=2))
    name = V.ROOTS[rng.integers(len(V.ROOTS))] + middle + V.ENDINGS[rng.integers(len(V.ENDINGS))]
    return name + _qualifier(rng) if rng.random() < 0.25 else name


def _upper_ascii(text: str) -> str:
    """BAN's AFNOR spelling: capitals without accents, apostrophes and hyphens as spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.upper().replace("'", " ").replace("-", " ").split())


def towards(street_type: str, place: str) -> str:
    """"Route de" + a commune, with French elision ("Route du Mesnil", "Chemin d'Orval")."""
    assert street_type.endswith(" de")
    head = street_type[:-3]
    for article, joined in (("Le ", "du "), ("Les ", "des "), ("La ", "de la "), ("L'", "de l'")):
        if place.startswith(article):
            return f"{head} {joined}{place[len(article):]}"
    if place[0] in "AEIOUYÉÈÂÎ":
        return f"{head} d'{place}"
    return f"{head} de {place}"


def make_communes(n_addresses: int, seed: int, n_communes: int | None = None) -> Communes:
    """The communes: names, codes, positions and Zipf address counts summing to ``n_addresses``."""
    if n_communes is None:
        n_communes = int(min(MAX_COMMUNES, max(1, n_addresses // ADDRESSES_PER_COMMUNE)))
    n_communes = int(max(1, min(n_communes, n_addresses)))
    rng = np.random.default_rng([seed, 0])
    deps = list(V.DEPARTEMENT_SEATS)
    # communes per département: ~365 each, Paris's small départements fewer
    share = rng.uniform(0.6, 1.4, len(deps))
    share[[deps.index(d) for d in ("75", "92", "93", "94")]] = 0.12
    per_dep = np.floor(share / share.sum() * n_communes).astype(np.int64)
    per_dep[np.argsort(-share)[: n_communes - int(per_dep.sum())]] += 1
    insee, postcode, names, dep_of = [], [], [], []
    lat, lon = [], []
    for d, dep in enumerate(deps):
        k = int(per_dep[d])
        if k == 0:
            continue
        seat_lat, seat_lon = V.DEPARTEMENT_SEATS[dep]
        spread = 0.08 if dep in ("75", "92", "93", "94", "91", "95", "77", "78") else 0.28
        clat = np.clip(seat_lat + rng.normal(0, spread, k), *LAT_RANGE)
        clon = np.clip(seat_lon + rng.normal(0, spread / math.cos(math.radians(seat_lat)), k), *LON_RANGE)
        codes = np.cumsum(rng.integers(1, 3, k))           # INSEE numbers with gaps, as after mergers
        codes = np.minimum(codes, 999 - (k - 1 - np.arange(k)))
        codes = np.maximum.accumulate(codes)
        seen: set[str] = set()
        prefix = "20" if dep in ("2A", "2B") else dep
        for j in range(k):
            name = commune_name(rng)
            tries = 0
            while name in seen and tries < 8:            # unique within a département
                name = commune_name(rng) if tries < 4 else name + _qualifier(rng)
                tries += 1
            seen.add(name)
            insee.append(f"{dep}{int(codes[j]):03d}")
            # a postcode serves a few neighbouring communes (a distribution office each)
            office = (j // 5) * 10 % 1000
            postcode.append(f"{prefix}{office:03d}")
            names.append(name)
            dep_of.append(dep)
        lat.append(clat)
        lon.append(clon)
    n = len(insee)
    weights = 1.0 / np.arange(1, n + 1) ** ZIPF_EXPONENT
    weights = weights[rng.permutation(n)]
    counts = np.ones(n, np.int64) + np.floor(weights / weights.sum() * (n_addresses - n)).astype(np.int64)
    rest = n_addresses - int(counts.sum())
    counts[np.argsort(-weights, kind="stable")[:rest]] += 1
    return Communes(insee, postcode, names, dep_of, np.concatenate(lat), np.concatenate(lon), counts,
                    rng.random(n) < 0.7)


def _street_names(rng: np.random.Generator, c: int, communes: Communes, n_streets: int,
                  paris: tuple[str, ...], dep_members: list[int]) -> tuple[list[str], list[bool]]:
    """Distinct street names of one commune and whether each is a lieu-dit (no street type)."""
    big = communes.addresses[c] > 3000
    p = np.array([0.12, 0.03, 0.03, 0.82] if big else [0.50, 0.12, 0.18, 0.20])
    if not paris:
        p[0] += p[3]
        p[3] = 0.0
    source = rng.choice(4, size=n_streets, p=p / p.sum())
    recurring = _zipf_pick(rng, len(V.RECURRING_STREETS), n_streets, 0.7)
    lieux = _zipf_pick(rng, len(V.LIEUX_DITS), n_streets, 0.8)
    other = rng.integers(len(dep_members), size=n_streets)
    kind = rng.integers(len(V.TOWARDS), size=n_streets)
    vocab = rng.integers(max(len(paris), 1), size=n_streets)
    names: dict[str, bool] = {}
    for j, s in enumerate(source.tolist()):
        if s == 0:
            name, ld = V.RECURRING_STREETS[recurring[j]], False
        elif s == 1:
            name, ld = towards(V.TOWARDS[kind[j]], communes.name[dep_members[other[j]]]), False
        elif s == 2:
            name, ld = V.LIEUX_DITS[lieux[j]], True
        else:
            name, ld = paris[vocab[j]], False
        names.setdefault(name, ld)
    return list(names), list(names.values())


def _lambert93(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``engine.geocoder.france.lambert93`` (same formula)."""
    from engine.geocoder.france import LAMBERT93

    af, n, rho0, e = LAMBERT93
    phi = np.radians(lat)
    s = e * np.sin(phi)
    t = np.tan(np.pi / 4 - phi / 2) / ((1 - s) / (1 + s)) ** (e / 2)
    rho = af * t ** n
    theta = n * np.radians(lon - 3.0)
    return np.round(700000.0 + rho * np.sin(theta), 2), np.round(6600000.0 + rho0 - rho * np.cos(theta), 2)


class _Batch:
    """Rows of a few communes, as arrays, until written."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.commune, self.street, self.number, self.rep, self.lat, self.lon, self.position = ([] for _ in range(7))
        self.street_name, self.street_afnor, self.street_code, self.street_ld = [], [], [], []
        self.rows = 0


def _commune_rows(batch: _Batch, c: int, communes: Communes, seed: int, paris: tuple[str, ...],
                  dep_members: list[int]) -> None:
    """Append one commune's rows (vectorised over its streets and addresses)."""
    rng = np.random.default_rng([seed, 1, c])
    total = int(communes.addresses[c])
    n_streets = max(1, min(total, int(round(total / rng.uniform(12, 26)))))
    names, is_ld = _street_names(rng, c, communes, n_streets, paris, dep_members)
    n_streets = len(names)
    # lieux-dits sometimes also exist as BAN named places (numero 99999): one row each
    named_place = np.array(is_ld) & (rng.random(n_streets) < NAMED_PLACE_RATE)
    n_places = int(named_place.sum())
    if total < n_streets + n_places:
        named_place[:] = False
        n_places = 0
    per_street = 1 + rng.multinomial(total - n_streets - n_places, rng.dirichlet(np.full(n_streets, 0.8)))
    base = len(batch.street_name)
    codes = rng.integers(0, 36, (n_streets, 5))
    batch.street_name += names
    batch.street_afnor += [_upper_ascii(name) for name in names]
    batch.street_code += [_STREET_CODE_CHARS[row].tobytes().decode("ascii") for row in codes]
    batch.street_ld += is_ld
    radius = min(0.06, 0.0025 * math.sqrt(n_streets))
    coslat = math.cos(math.radians(float(communes.lat[c])))
    anchor_lat = communes.lat[c] + rng.normal(0, radius, n_streets)
    anchor_lon = communes.lon[c] + rng.normal(0, radius / coslat, n_streets)
    heading = rng.uniform(0, 2 * np.pi, n_streets)
    # house numbers: per street, n_base plain numbers with gaps, then n_sfx of them again with a suffix
    n_sfx = np.minimum(rng.binomial(np.maximum(per_street - 1, 0), SUFFIX_RATE), per_street // 2)
    n_base = per_street - n_sfx
    street_of_base = np.repeat(np.arange(n_streets), n_base)
    steps = rng.choice(np.array([1, 2, 3, 5]), size=len(street_of_base), p=[0.55, 0.35, 0.07, 0.03])
    run = np.cumsum(steps)
    first = np.r_[0, np.cumsum(n_base)[:-1]]
    start = rng.integers(1, 3, n_streets)
    numbers = run - run[first][street_of_base] + start[street_of_base]
    keys = rng.random(len(street_of_base))
    order = np.lexsort((keys, street_of_base))
    rank = np.arange(len(order)) - first[street_of_base[order]]
    chosen = order[rank < n_sfx[street_of_base[order]]]
    street_row = np.r_[street_of_base, street_of_base[chosen]]
    number_row = np.r_[numbers, numbers[chosen]]
    rep_row = np.r_[np.full(len(numbers), -1, np.int8),
                    rng.choice(len(V.SUFFIXES), size=len(chosen), p=V.SUFFIX_WEIGHTS).astype(np.int8)]
    order = np.lexsort((rep_row, number_row, street_row))
    street_row, number_row, rep_row = street_row[order], number_row[order], rep_row[order]
    k = len(street_row)
    along = number_row * 0.00009
    side = np.where(number_row % 2 == 0, 0.00012, -0.00012)
    h = heading[street_row]
    jitter = rng.normal(0, 0.00002, (2, k))
    lat = anchor_lat[street_row] + along * np.cos(h) + side * np.sin(h) + jitter[0]
    lon = anchor_lon[street_row] + (along * np.sin(h) - side * np.cos(h)) / coslat + jitter[1]
    position = rng.choice(len(V.POSITIONS), size=k, p=V.POSITION_WEIGHTS).astype(np.int8)
    places = np.flatnonzero(named_place)
    batch.lat.append(np.clip(np.r_[lat, anchor_lat[places]], *LAT_RANGE))
    batch.lon.append(np.clip(np.r_[lon, anchor_lon[places]], *LON_RANGE))
    batch.number.append(np.r_[number_row, np.full(len(places), LIEU_DIT_NUMBER)].astype(np.int64))
    batch.rep.append(np.r_[rep_row, np.full(len(places), -1, np.int8)].astype(np.int8))
    batch.street.append(np.r_[street_row, places].astype(np.int64) + base)
    batch.position.append(np.r_[position, np.full(len(places), V.POSITIONS.index("segment"), np.int8)])
    batch.commune.append(np.full(total, c, np.int64))
    batch.rows += total


def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _batch_table(batch: _Batch, communes_arrays: dict[str, pa.Array]) -> pa.Table:
    commune = pa.array(np.concatenate(batch.commune))
    street = pa.array(np.concatenate(batch.street))
    number = np.concatenate(batch.number)
    rep_code = np.concatenate(batch.rep).astype(np.int64) + 1
    lat = np.round(np.concatenate(batch.lat), 6)
    lon = np.round(np.concatenate(batch.lon), 6)
    x, y = _lambert93(lat, lon)
    n = len(number)
    rep = pa.array(("",) + V.SUFFIXES).take(pa.array(rep_code))
    street_name = pa.array(batch.street_name, pa.string())
    ld = np.array(batch.street_ld, bool)
    insee = communes_arrays["insee"].take(commune)
    number_text = pc.utf8_lpad(_text(number), 5, "0")
    base_id = pc.binary_join_element_wise(insee, pa.array(batch.street_code, pa.string()).take(street),
                                          number_text, "_")
    ids = pc.if_else(pc.equal(rep, ""), base_id, pc.binary_join_element_wise(base_id, rep, "_"))
    empty = pa.nulls(n, pa.string()).fill_null("")
    cols = {
        "id": ids, "id_fantoir": empty, "numero": _text(number), "rep": rep,
        "nom_voie": street_name.take(street), "code_postal": communes_arrays["postcode"].take(commune),
        "code_insee": insee, "nom_commune": communes_arrays["name"].take(commune),
        "code_insee_ancienne_commune": empty, "nom_ancienne_commune": empty,
        "x": _text(x), "y": _text(y), "lon": _text(lon), "lat": _text(lat),
        "type_position": pa.array(V.POSITIONS).take(pa.array(np.concatenate(batch.position).astype(np.int64))),
        "alias": empty,
        "nom_ld": pa.array(np.where(ld, np.array(batch.street_name, object), ""), pa.string()).take(street),
        "libelle_acheminement": communes_arrays["acheminement"].take(commune),
        "nom_afnor": pa.array(batch.street_afnor, pa.string()).take(street),
        "source_position": pa.array(["commune"] * 1).take(pa.array(np.zeros(n, np.int64))),
        "source_nom_voie": pa.array(["commune"] * 1).take(pa.array(np.zeros(n, np.int64))),
        "certification_commune": communes_arrays["certified"].take(commune),
        "cad_parcelles": empty,
    }
    return pa.table([cols[c] for c in BAN_COLUMNS], names=list(BAN_COLUMNS))


def generate(out: str | Path, n_addresses: int, seed: int, n_communes: int | None = None,
             paris: tuple[str, ...] | None = None, progress=None) -> dict:
    """Write ``n_addresses`` rows of BAN CSV to ``out`` (gzip when it ends in .gz); return counts.

    ``progress(rows_written)`` is called after each batch.
    """
    if n_addresses < 1:
        raise ValueError(f"addresses must be >= 1, got {n_addresses}")
    paris = paris_streets() if paris is None else paris
    communes = make_communes(n_addresses, seed, n_communes)
    by_dep: dict[str, list[int]] = {}
    for i, dep in enumerate(communes.dep):
        by_dep.setdefault(dep, []).append(i)
    arrays = {
        "insee": pa.array(communes.insee, pa.string()), "postcode": pa.array(communes.postcode, pa.string()),
        "name": pa.array(communes.name, pa.string()),
        "acheminement": pa.array([_upper_ascii(x) for x in communes.name], pa.string()),
        "certified": pa.array(np.where(communes.certified, "1", "0").tolist(), pa.string()),
    }
    out = Path(out)
    raw = open(out, "wb")
    sink = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=4, mtime=0) if out.name.endswith(".gz") else raw
    written, streets = 0, 0
    batch = _Batch()
    header = True
    try:
        def flush():
            nonlocal written, streets, header
            if not batch.rows:
                return
            buf = io.BytesIO()
            table = _batch_table(batch, arrays)
            if header:
                buf.write((";".join(BAN_COLUMNS) + "\n").encode("ascii"))
            pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, delimiter=";",
                                                           quoting_style="none"))
            sink.write(buf.getvalue())
            header = False
            written += batch.rows
            streets += len(batch.street_name)
            batch.clear()
            if progress is not None:
                progress(written)

        for c in range(len(communes.insee)):
            _commune_rows(batch, c, communes, seed, paris, by_dep[communes.dep[c]])
            if batch.rows >= BATCH_ROWS:
                flush()
        flush()
    finally:
        if sink is not raw:
            sink.close()
        raw.close()
    return {"addresses": written, "communes": len(communes.insee), "streets": streets,
            "commune_names": len(set(communes.name)), "paris_vocabulary": len(paris)}


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys
    import time

    parser = argparse.ArgumentParser(prog="python -m benchmarks.national addresses",
                                     description="Write a France-size BAN-format address CSV.")
    parser.add_argument("--out", required=True, help="output file (.csv or .csv.gz)")
    parser.add_argument("--addresses", type=int, required=True, help="number of rows N")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--communes", type=int, default=None,
                        help=f"number of communes (default N/{ADDRESSES_PER_COMMUNE}, at most {MAX_COMMUNES})")
    args = parser.parse_args(argv)
    if args.addresses < 1:
        print("error: --addresses must be >= 1", file=sys.stderr)
        return 2
    start = time.perf_counter()

    def progress(rows: int) -> None:
        pct = 100.0 * rows / args.addresses
        print(f"\raddresses: {rows:,}/{args.addresses:,} ({pct:5.1f} %) {time.perf_counter() - start:6.0f} s",
              end="", file=sys.stderr, flush=True)

    stats = generate(args.out, args.addresses, args.seed, args.communes, progress=progress)
    print(file=sys.stderr)
    print(" ".join(f"{k}={v}" for k, v in stats.items()), f"seconds={time.perf_counter() - start:.1f}")
    return 0
