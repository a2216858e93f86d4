"""Messy BAN CSV files for the batch round trip (tests and benchmarks/bench_batch_csv.py).

Random BAN Paris addresses (read here with the ``csv`` module, not by the engine) written the
way people upload them: split columns (numero, rep, voie, code_postal, ville), Windows-1252
(Latin-1 letters), ``;`` delimiter, lower/upper case, accents dropped, abbreviated street
types, missing postcodes, the commune written several ways, and a few garbage rows.
"""
from __future__ import annotations

import csv
import gzip
import io
import random
import unicodedata
from pathlib import Path

from engine.testing.data import shared_data_dir

BAN = shared_data_dir() / "addr-fr-ban-75-paris" / "adresses-75.csv.gz"
COLUMNS = ["ref", "numero", "rep", "voie", "code_postal", "ville"]
QUERY_COLUMNS = ["numero", "rep", "voie", "code_postal", "ville"]
_ABBREV = {"Avenue": "av", "Boulevard": "bd", "Place": "pl", "Rue": "r", "Impasse": "imp", "Faubourg": "fbg",
           "Saint": "st", "Square": "sq"}
_GARBAGE = ["???", "N/A", "", "xxxxxxx", "0000", "néant", "voir pièce jointe", "123456789", "-", "#REF!"]


def read_ban(path: Path = BAN) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _street(name: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        name = name.lower()
    elif r < 0.4:
        name = name.upper()
    if rng.random() < 0.2:
        name = _plain(name)
    if rng.random() < 0.2:
        words = name.split(" ")
        name = " ".join(_ABBREV.get(w.capitalize(), w) if i == 0 or w.capitalize() == "Saint" else w
                        for i, w in enumerate(words))
    return name


def _city(row: dict, rng: random.Random) -> str:
    return rng.choice(["Paris", "PARIS", "paris", row["nom_commune"], "", "Paris"])


def messy_rows(n: int, seed: int = 0, garbage: float = 0.002, rows: list[dict] | None = None):
    """(csv rows as dicts with COLUMNS, expected (id, lat, lon) or None for garbage), n of them."""
    rows = rows if rows is not None else read_ban()
    rng = random.Random(seed)
    picked = rng.sample(rows, n) if n <= len(rows) else [rng.choice(rows) for _ in range(n)]
    out, expected = [], []
    for i, r in enumerate(picked):
        ref = f"R{i:07d}"
        if rng.random() < garbage:
            g = [rng.choice(_GARBAGE) for _ in range(4)]
            out.append({"ref": ref, "numero": g[0], "rep": "", "voie": g[1], "code_postal": g[2], "ville": g[3]})
            expected.append(None)
            continue
        rep = r["rep"]
        if rep and rng.random() < 0.3:
            rep = rep.upper()
        out.append({"ref": ref, "numero": r["numero"], "rep": rep, "voie": _street(r["nom_voie"], rng),
                    "code_postal": "" if rng.random() < 0.25 else r["code_postal"], "ville": _city(r, rng)})
        expected.append((r["id"], float(r["lat"]), float(r["lon"])))
    return out, expected


def messy_csv_bytes(rows: list[dict], encoding: str = "cp1252", delimiter: str = ";") -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, COLUMNS, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


def right_share(out_rows: list[dict], expected: list, max_m: float = 10.0) -> tuple[int, int, list]:
    """(right, addresses, first misses): same BAN id or within max_m metres; garbage rows left out."""
    import math

    right, total, misses = 0, 0, []
    for row, exp in zip(out_rows, expected):
        if exp is None:
            continue
        total += 1
        ok = row.get("result_id") == exp[0]
        if not ok and row.get("latitude"):
            lat, lon = float(row["latitude"]), float(row["longitude"])
            dy = (lat - exp[1]) * 111_195.0
            dx = (lon - exp[2]) * 111_195.0 * math.cos(math.radians(exp[1]))
            ok = math.hypot(dx, dy) <= max_m
        right += ok
        if not ok and len(misses) < 20:
            misses.append((" ".join(row[c] for c in QUERY_COLUMNS), exp[0], row.get("result_label")))
    return right, total, misses
