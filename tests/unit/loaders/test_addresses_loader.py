"""BAN CSV loader: columns, gzip, bad rows skipped and counted, clear errors."""
import gzip

import pytest

from engine.errors import InputError
from engine.loaders.addresses import read_addresses
from engine.timetable.staging import BuildReport

HEADER = "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat\n"
ROWS = [
    "75101_a_00001;;1;;Rue A;75001;75101;Paris 1er Arrondissement;2.33;48.86\n",
    "75101_a_00002_bis;;2;bis;Rue A;75001;75101;Paris 1er Arrondissement;2.331;48.861\n",
    "75101_a_0000x;;x1;;Rue A;75001;75101;Paris 1er Arrondissement;2.33;48.86\n",       # bad number
    "75101_a_00003;;3;;Rue A;75001;75101;Paris 1er Arrondissement;;\n",                 # no coordinates
    "75101_a_00004;;4;;;75001;75101;Paris 1er Arrondissement;2.33;48.86\n",             # no street
    "75101_a_99999;;99999;;Lieu-dit;75001;75101;Paris 1er Arrondissement;2.33;48.86\n",  # lieu-dit marker
]


def test_reads_plain_and_gzip_and_counts_skipped_rows(tmp_path):
    plain = tmp_path / "a.csv"
    plain.write_text(HEADER + "".join(ROWS))
    gz = tmp_path / "a.csv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(HEADER + "".join(ROWS))
    for path in (plain, gz):
        report = BuildReport()
        t = read_addresses(path, report)
        assert t.column("id").to_pylist() == ["75101_a_00001", "75101_a_00002_bis"]
        assert t.column("number").to_pylist() == [1, 2] and t.column("suffix").to_pylist() == ["", "bis"]
        assert report.counts["addresses.skipped_bad_number"] == 1
        assert report.counts["addresses.skipped_bad_coordinates"] == 1
        assert report.counts["addresses.skipped_no_street"] == 1
        assert any(i.line == 4 and i.field == "numero" for i in report.issues)


def test_comma_separated_without_optional_columns(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("numero,nom_voie,lon,lat\n5,Main Street,-86.4,32.4\n")
    t = read_addresses(path)
    assert t.column("street").to_pylist() == ["Main Street"] and t.column("id").to_pylist() == ["b:2"]


def test_missing_required_column_is_a_clear_error(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("from;to;street\n1;2;x\n")
    with pytest.raises(InputError, match="missing column"):
        read_addresses(path)
    with pytest.raises(InputError, match="not found"):
        read_addresses(tmp_path / "nope.csv")


def test_lieux_dits_become_localities(tmp_path):
    """BAN's numero 99999 rows are named places (lieux-dits): not addresses, but searchable
    places of type ``locality`` (BAN's meaning of the word), in their commune."""
    import engine

    rows = ROWS + ["01001_0021_99999;;99999;;Les Bruyères du Moulin;01400;01001;L'Abergement-Clémenciat;4.92;46.15\n"]
    csv = tmp_path / "a.csv"
    csv.write_text(HEADER + "".join(rows))
    report = BuildReport()
    places: list = []
    table = read_addresses(csv, report, lieux_dits=places)
    assert "75101_a_99999" not in table.column("id").to_pylist()
    assert places[0].column("name").to_pylist() == ["Lieu-dit", "Les Bruyères du Moulin"]
    assert set(places[0].column("type").to_pylist()) == {"locality"}
    assert report.counts["addresses.lieux_dits"] == 2 and "addresses.skipped_lieu_dit" not in report.counts
    net = engine.open(engine.build(tmp_path / "b.bundle", [], addresses=[csv]).path)
    best = net.geocode("bruyeres du moulin", limit=1)[0]
    assert (best.type, best.name, best.citycode) == ("locality", "Les Bruyères du Moulin", "01001")
    assert best.city == "L'Abergement-Clémenciat"
    assert net.geocode("bruyeres", limit=1, types=["locality"])[0].id == "01001_0021_99999"
