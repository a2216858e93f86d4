"""The national address generator (benchmarks/national/addresses.py): BAN format, determinism,
national homonymy, and the engine's loader reading what it writes. Small N, a few seconds."""
from __future__ import annotations

import gzip
from collections import defaultdict

import numpy as np
import pytest

from benchmarks.national import addresses as gen
from engine.loaders.addresses import read_addresses

PARIS_HEADER = ("id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"
                "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;"
                "libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles")
VOCAB = ("Rue de Rivoli", "Avenue du Général Lemonnier", "Boulevard Saint-Germain")


def _rows(path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    return lines[0], [line.split(";") for line in lines[1:]]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("national") / "ban.csv.gz"
    stats = gen.generate(out, 40_000, seed=7, n_communes=120, paris=VOCAB)
    return out, stats


def test_header_and_fields_are_ban_csv(small):
    out, stats = small
    header, rows = _rows(out)
    assert header == PARIS_HEADER
    assert len(rows) == stats["addresses"] == 40_000
    assert {len(r) for r in rows} == {23}
    col = {name: i for i, name in enumerate(header.split(";"))}
    ids = [r[col["id"]] for r in rows]
    assert len(set(ids)) == len(ids)
    lat = np.array([float(r[col["lat"]]) for r in rows])
    lon = np.array([float(r[col["lon"]]) for r in rows])
    assert gen.LAT_RANGE[0] <= lat.min() and lat.max() <= gen.LAT_RANGE[1]
    assert gen.LON_RANGE[0] <= lon.min() and lon.max() <= gen.LON_RANGE[1]
    for r in rows[:2000]:
        insee, postcode = r[col["code_insee"]], r[col["code_postal"]]
        assert len(insee) == 5 and len(postcode) == 5 and postcode.isdigit()
        assert postcode[:2] == ("20" if insee[:2] in ("2A", "2B") else insee[:2])
        assert r[col["id"]].startswith(insee + "_")
    reps = {r[col["rep"]] for r in rows}
    assert {"bis", "ter", "b"} <= reps
    numbers = [r[col["numero"]] for r in rows]
    assert "99999" in numbers                      # BAN named places (lieux-dits)
    # x/y are Lambert-93 of lat/lon, as in BAN
    from engine.geocoder.france import lambert93
    r = rows[123]
    assert lambert93(float(r[col["lat"]]), float(r[col["lon"]])) == pytest.approx(
        (float(r[col["x"]]), float(r[col["y"]])), abs=0.02)


def test_same_seed_same_bytes_other_seed_other_file(small, tmp_path):
    out, _ = small
    again = tmp_path / "again.csv.gz"
    gen.generate(again, 40_000, seed=7, n_communes=120, paris=VOCAB)
    assert gzip.open(again).read() == gzip.open(out).read()
    other = tmp_path / "other.csv.gz"
    gen.generate(other, 40_000, seed=8, n_communes=120, paris=VOCAB)
    assert gzip.open(other).read() != gzip.open(out).read()


def test_recurring_streets_in_many_communes(small):
    out, _ = small
    header, rows = _rows(out)
    col = {name: i for i, name in enumerate(header.split(";"))}
    communes_of = defaultdict(set)
    for r in rows:
        communes_of[r[col["nom_voie"]]].add(r[col["code_insee"]])
    assert len(communes_of["Rue de l'Église"]) >= 40          # of 120 communes
    assert any(name in communes_of for name in VOCAB)         # the Paris vocabulary is used
    lieux = [n for n in gen.V.LIEUX_DITS if n in communes_of]
    assert lieux


def test_national_communes_homonymy_and_zipf():
    communes = gen.make_communes(26_000_000, seed=12)
    assert len(communes.insee) == gen.MAX_COMMUNES
    assert len(set(communes.insee)) == len(communes.insee)
    assert int(communes.addresses.sum()) == 26_000_000
    deps_of = defaultdict(set)
    for name, dep in zip(communes.name, communes.dep):
        deps_of[name].add(dep)
    assert max(len(d) for d in deps_of.values()) >= 20        # "Saint-Martin" style names
    assert sum(len(d) >= 2 for d in deps_of.values()) >= 500
    sizes = np.sort(communes.addresses)[::-1]
    assert sizes[0] > 50 * np.median(sizes)                   # a heavy tail, not uniform


def test_engine_loader_reads_it(small):
    out, stats = small
    places: list = []
    table = read_addresses(out, lieux_dits=places)
    n_places = sum(t.num_rows for t in places)
    assert n_places > 0
    assert table.num_rows + n_places == stats["addresses"]


def test_cli_rejects_bad_count(tmp_path, capsys):
    assert gen.main(["--out", str(tmp_path / "x.csv"), "--addresses", "0"]) == 2
