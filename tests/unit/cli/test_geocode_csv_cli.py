"""`brique geocode-csv` / `reverse-csv`: detection, malformed rows, progress, errors (sample city)."""
from __future__ import annotations

import codecs
import csv
import io

import pytest

from engine.cli import main
from engine.geocoder.csv_io import BLOCK_ROWS, detect_delimiter, detect_encoding


def _rows(data: bytes, encoding: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline=""), delimiter=delimiter))


def test_cp1252_semicolons_malformed_rows_kept(sample_bundle, sample_network, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_bytes("id;numero;voie;ville\n1;281;rue Pasteur;Briqueville\n2;3;rue Gambetta;Bríquevillé\n"
                    "3;bad\n\n4;5;rue Voltaire;Briqueville;extra\n5;;;\n".encode("cp1252"))
    out = tmp_path / "out.csv"
    assert main(["geocode-csv", str(sample_bundle), str(src), "--columns", "numero,voie", "--columns", "ville",
                 "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"{src}:4: 2 fields where the header has 4" in err
    assert f"{src}:6: 5 fields where the header has 4; the extra fields are dropped" in err
    assert "5 rows in" in err and "rows/s" in err and "2 malformed" in err and "cp1252" in err
    raw = out.read_bytes()
    assert raw.endswith(b"\r\n") and "Bríquevillé".encode("cp1252") in raw
    rows = _rows(raw, "cp1252", ";")
    assert rows[0][:4] == ["id", "numero", "voie", "ville"] and rows[0][4:6] == ["latitude", "longitude"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4", "5"]          # every row kept, in order
    assert all(len(r) == len(rows[0]) for r in rows)
    first = sample_network.geocode("281 rue Pasteur Briqueville", limit=1)[0]
    assert rows[1][rows[0].index("result_id")] == first.id
    assert rows[1][rows[0].index("result_score")] == repr(round(first.score, 2))
    assert rows[3][4:] == [""] * (len(rows[0]) - 4)                      # "3;bad": nothing found


def test_detection_bom_tab_quotes(sample_bundle, tmp_path, capsys):
    src = tmp_path / "in.tsv"
    src.write_bytes(codecs.BOM_UTF8 + b'q\tnote\n"281 rue Pasteur"\t"a\tb\nc"\n"rue ""Voltaire"""\tx\n')
    out = tmp_path / "out.tsv"
    assert main(["geocode-csv", str(sample_bundle), str(src), "--columns", "q", "-o", str(out), "-q"]) == 0
    assert capsys.readouterr().err == ""
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)                               # the input's BOM kept
    rows = _rows(raw, "utf-8-sig", "\t")
    assert rows[1][1] == "a\tb\nc" and rows[2][0] == 'rue "Voltaire"' and rows[1][rows[0].index("result_type")]


def test_stdin_stdout_and_reverse(sample_bundle, tmp_path, capsys, monkeypatch):
    src = tmp_path / "pts.csv"
    src.write_text("name,Latitude,lng\na,47.193363,1.55139\nb,,\n")
    assert main(["reverse-csv", str(sample_bundle), str(src), "-q"]) == 0
    rows = _rows(capsys.readouterr().out.encode(), "utf-8", ",")
    assert rows[0][3:6] == ["result_latitude", "result_longitude", "result_label"]
    assert rows[1][rows[0].index("result_distance")] == "0" and rows[2][3:] == [""] * (len(rows[0]) - 3)


def test_user_errors_exit_2(sample_bundle, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("a;b\n1;2\n")
    assert main(["geocode-csv", str(sample_bundle), str(src), "--columns", "c"]) == 2
    assert capsys.readouterr().err.strip() == "brique: error: no column 'c' in the file (columns: a, b)"
    assert main(["geocode-csv", str(sample_bundle), str(src), "--encoding", "nope"]) == 2
    assert "unknown encoding" in capsys.readouterr().err
    assert main(["geocode-csv", str(sample_bundle), str(src), "--result-columns", "result_x,bad"]) == 2
    assert "unknown result column 'bad'" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["geocode-csv", str(sample_bundle), str(empty), "-o", str(tmp_path / "o.csv")]) == 2
    assert not (tmp_path / "o.csv").exists()                            # nothing half-written
    assert main(["reverse-csv", str(sample_bundle), str(src)]) == 2
    assert "no lat column" in capsys.readouterr().err


def test_many_blocks_threads_give_the_same_bytes(sample_bundle, sample_network, tmp_path):
    labels = [p.label for p in sample_network.geocode("rue", limit=40)]
    lines = ["q"] + [f"{i % 50 + 1} {labels[i % len(labels)]}" for i in range(BLOCK_ROWS + 300)]
    src = tmp_path / "big.csv"
    src.write_text("\n".join(lines) + "\n")
    outs = []
    for threads in ("1", "2"):
        out = tmp_path / f"out{threads}.csv"
        assert main(["geocode-csv", str(sample_bundle), str(src), "-q", "--threads", threads, "-o", str(out)]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0].count(b"\r\n") == len(lines)


def test_detectors():
    assert detect_encoding(codecs.BOM_UTF8 + b"a") == "utf-8-sig"
    assert detect_encoding("é".encode() * 10 + b"\xc3", whole=False) == "utf-8"     # a cut multi-byte char
    assert detect_encoding("é".encode("cp1252")) == "cp1252"
    assert detect_encoding(b"\x81\x8d") == "latin-1"
    assert detect_encoding(codecs.BOM_UTF16_LE + "a".encode("utf-16-le")) == "utf-16"
    assert detect_delimiter("a;b;c\n1;2;3\n") == ";"
    assert detect_delimiter('a,b\n"1;2",3\n') == ","
    assert detect_delimiter("a\tb\n1\t2\n") == "\t"
    assert detect_delimiter("adresse\n12 rue x, paris\n") == ";"             # one column: a delimiter it lacks


def test_info_prints_the_catalogue(sample_bundle, capsys):
    import json

    assert main(["info", str(sample_bundle)]) == 0
    info = json.loads(capsys.readouterr().out)
    kinds = [d["kind"] for d in info["datasets"]]
    assert kinds == ["gtfs", "osm", "addresses"] and all(len(d["sha256"]) == 64 for d in info["datasets"])
    assert info["datasets"][2]["licence"] == "ETALAB-2.0"


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_explicit_encoding_and_delimiter(sample_bundle, tmp_path, encoding):
    src = tmp_path / "in.csv"
    src.write_bytes("v|w\nrue Pasteur|é\n".encode(encoding))
    out = tmp_path / "out.csv"
    assert main(["geocode-csv", str(sample_bundle), str(src), "--columns", "v", "--delimiter", "|",
                 "--encoding", encoding, "-o", str(out), "-q"]) == 0
    rows = _rows(out.read_bytes(), encoding, "|")
    assert rows[1][1] == "é" and rows[1][rows[0].index("result_type")] == "street"


def test_fast_writer_writes_what_csv_writer_writes(sample_network):
    import random

    from engine.geocoder.csv_io import CsvJob

    rng = random.Random(4)
    alphabet = ["a", "é", ";", ",", '"', "\n", "\r", " ", "\t", "x"]
    rows = [[]] + [["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(1, 5))]
                   for _ in range(3000)] + [[""], ["", ""]]
    for delimiter, quote in ((";", '"'), (",", "'"), ("\t", '"')):
        job = CsvJob(sample_network, io.BytesIO(b"q\nx\n"), delimiter=delimiter, quote=quote)
        expected, got = io.StringIO(), io.StringIO()
        csv.writer(expected, delimiter=delimiter, quotechar=quote, lineterminator="\r\n").writerows(rows)
        job._write(rows, got, csv.writer(got, delimiter=delimiter, quotechar=quote, lineterminator="\r\n"))
        assert got.getvalue() == expected.getvalue()


def test_bad_options_exit_2_one_line(sample_bundle, tmp_path, capsys):
    """Options that cannot work are user errors (exit 2, one line), not a traceback or a silent answer."""
    src = tmp_path / "in.csv"
    src.write_text("a;b\n1;2\n")
    out = tmp_path / "o.csv"
    for extra, message in ((["--encoding", "base64"], "'base64' is not a text encoding"),
                           (["--threads", "0"], "threads must be a positive integer, got 0"),
                           (["--quote", "\n"], "quote must be one character (not a line end)"),
                           (["--columns", ","], "--columns names no column"),
                           (["--result-columns", ","], "--result-columns names no column")):
        assert main(["geocode-csv", str(sample_bundle), str(src), "-o", str(out)] + extra) == 2, extra
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, (extra, err)
        assert not out.exists()


def test_detected_delimiter_is_never_the_quote():
    assert detect_delimiter("a;b\n1;2\n", quotechar=";") != ";"
    assert detect_delimiter("abc\n", quotechar=";") != ";"


def test_bytes_past_the_sniffed_head_that_are_not_the_encoding_are_reported(sample_bundle, tmp_path, capsys):
    """UTF-8 is detected from the first 64 kB; a Latin-1 byte further on is replaced (the file
    goes on) and its line reported, never geocoded silently as mangled text."""
    from engine.geocoder.csv_io import SNIFF_BYTES

    good = "".join(f"{i};281 rue Pasteur Briqueville\n" for i in range(SNIFF_BYTES // 20))
    src = tmp_path / "late.csv"
    src.write_bytes(b"id;q\n" + good.encode() + "99999;3 rue Gambetta Bríquevillé\n".encode("latin-1"))
    out = tmp_path / "out.csv"
    assert main(["geocode-csv", str(sample_bundle), str(src), "--columns", "q", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    line = 2 + good.count("\n")
    assert f"{src}:{line}: bytes not valid utf-8 were replaced by U+FFFD" in err
    assert "1 malformed" in err
