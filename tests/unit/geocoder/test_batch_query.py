"""The batch reader (engine.geocoder.batch_query) gives parse_query's arrays exactly.

Its forms rest on what the parse does NOT look at (a plain word's spelling, a number's value
outside districts): if a change to reading.py / query.py makes the parse look at one, these
comparisons fail. Queries: the sample's own labels in many shapes, hand-picked edge cases
(districts, ordinals, suffixes, ranges, codes, noise, glued forms, non-ASCII digits, stand-in
look-alikes) and random strings; on BAN Paris (real districts) the same and messy CSV rows.
"""
from __future__ import annotations

import random

import pytest

from engine.geocoder.batch_query import BatchReader, apply
from engine.geocoder.query import parse_query

EDGE = [
    "", " ", "  12  ", "paris 21", "12 paris 21 rue", "21e rue", "rue 4 septembre 75002", "n°21 rue x", "12 s21 rue",
    "21 21 21", "1²3 rue", "１２ rue de rivoli", "12 ½ rue", "99921 21", "0021 rue", "75 021", "21bis rue x 99",
    "7eme 21eme", "12 rue de rivoli paris 4", "12 rue de rivoli paris 4e", "12 rue x paris bat b 7", "paris, 7 rue x",
    "PARIS 12 rue x", "Pâris 3 rue", "3 rue x Paris 3e Arrondissement", "12\u0301 34 rue", "1\u03012 rue",
    "12bis rue x 75004", "7 bis rue x paris 7", "4 rue du 4 septembre 75002 paris", "0 rue x", "9 rue x 9e",
    "5 rue x paris ix", "5 rue x paris IX", "99 rue x 99", "a99 21 rue", "12_34 rue", "12-14 rue x", "1er rue",
    "12 1er arrondissement", "lyon 3 rue x", "marseille 13 12 rue", "12e rue", "12 è rue", "zzqa rue zzqb de la",
    "12 rue\u1680de rivoli", "12\true  de\nrivoli", "12 - 14 rue x", "12 -14 rue", "12/ 14 rue", "cedex 12 rue x",
    "12 bp", "x bp 42", "bp42 rue", "victor hugo 12", "12 vi rue", "rue vi 12", "12 xiv", "paris xiv 12 rue",
    "12 ter rue x", "12 t rue x", "12 b rue x", "12 l rue", "12 d rue", "12 a rue", "12 B rue du bac", "1234567 rue",
    "12345678901234 x", "av de la rep 12", "bd st germain 75006", "12 r de la paix 2e", "chez m dupont 3 rue x",
    "3e étage 5 rue x", "rue x 75004 paris france", "12 rue x 75004 france", "rue de rivoli", "de la du",
    "rue rue rue avenue", "12 12 12 12 12 12 12 12 12 12 12 12 12 12 12 12 12 12", "x " * 40, "12 rue x - y",
    "Hôtel Machin 62 rue de Rivoli 75004 Paris", "Boulangerie du Coin, 20 avenue de Ségur, Paris",
]


def _arrays(p) -> tuple:
    return (p.data.tobytes(), p.offsets.tolist(), p.group.tolist(), p.prefix.tolist(), p.numeric.tolist(),
            p.q_scale.tolist(), p.weight.tolist(), p.number.tolist(), p.suffix.tolist())


def _batch_arrays(reader: BatchReader, text: str):
    form, data, words = reader.read(text)
    if form.empty:
        return None
    entries, offsets, number = apply(form, data, words)
    return (entries, offsets, list(form.group), list(form.prefix), list(form.numeric), list(form.scale),
            list(form.weight), list(number), list(form.suffix))


def check_same(geocoder, queries) -> BatchReader:
    ix = geocoder.index
    reader = BatchReader(ix.suffix_code, geocoder.reading)
    for _ in range(2):                      # the second time from the memo
        for q in queries:
            p = parse_query(q, ix.suffix_code, False, context=geocoder.reading, type_weight=1.0)
            got = _batch_arrays(reader, q)
            assert (got is None) == p.empty, q
            if got is not None:
                assert got == _arrays(p), q
    return reader


def _shapes(label: str, rng: random.Random) -> list[str]:
    words = label.split()
    return [label, label.lower(), label.upper(), " ".join(reversed(words)), label.replace(" ", "  "),
            f"{rng.randint(1, 400)} {label}", f"{rng.randint(1, 40)}bis {label.lower()}",
            f"{label} {rng.choice(['paris 7', 'paris 7e', '75007', 'cedex 07', 'bat b', '12-14'])}"]


def _random_text(rng: random.Random, n: int) -> list[str]:
    alphabet = "abcdeiklmnorstuvx 0123456789 -/,.'éèÉ²°" + "bis ter paris cedex bp rue de la "
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def test_sample_queries_read_as_parse_query(sample_network):
    g = sample_network.geocoder
    rng = random.Random(0)
    labels = sorted({p.label for q in ("rue", "avenue", "place", "gare", "briqueville", "1", "12") for p in
                     sample_network.geocode(q, limit=50)})
    queries = EDGE + [s for label in labels for s in _shapes(label, rng)] + _random_text(rng, 1500)
    reader = check_same(g, queries)
    assert reader.parsed < len(queries)         # forms are shared


@pytest.mark.realdata
def test_paris_queries_read_as_parse_query(tmp_path_factory):
    import engine
    from tests.realdata.batch_messy import BAN, QUERY_COLUMNS, messy_rows, read_ban

    if not BAN.exists():
        pytest.skip(f"{BAN} absent (shared data)")
    net = engine.open(engine.build(tmp_path_factory.mktemp("bq") / "p.bundle", [], addresses=[BAN]).path)
    ban = read_ban()
    rng = random.Random(1)
    queries = list(EDGE)
    for r in rng.sample(ban, 600):
        n = int(r["code_insee"]) - 75100
        rep = f" {r['rep']}" if r["rep"] else ""
        queries += [f"{r['numero']}{rep} {r['nom_voie']} {r['code_postal']} {r['nom_commune']}",
                    f"{r['numero']}{r['rep']} {r['nom_voie'].lower()} {r['code_postal']} paris",
                    f"{r['numero']}{rep} {r['nom_voie']} paris {n}", f"{r['nom_voie']} {r['numero']} {r['code_postal']}",
                    f"bat B 3e étage {r['numero']} {r['nom_voie']} {r['code_postal']} cedex 07",
                    f"BP 42 - {r['numero']}-{int(r['numero']) + 2} {r['nom_voie']},{r['code_postal']}paris",
                    f"{r['numero']} {r['nom_voie']}{r['code_postal']} {n}e arrondissement"]
    rows, _ = messy_rows(3000, seed=3, rows=ban)
    queries += [" ".join(row[c] for c in QUERY_COLUMNS) for row in rows] + _random_text(rng, 2000)
    reader = check_same(net.geocoder, queries)
    assert reader.parsed < len(queries) // 2
