"""The address loader reads a file block by block: the result, the skip counts and the line
numbers of the warnings do not depend on where the blocks fall."""
from __future__ import annotations

import pytest

from engine.loaders import addresses as A
from engine.loaders.limits import InputLimits
from engine.timetable.staging import BuildReport

HEADER = "id;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat"


def _csv(tmp_path):
    lines = [HEADER]
    for k in range(1, 6001):
        numero = "x" if k == 4321 else ("99999" if k % 1000 == 0 else str(k))
        lat = "" if k == 5555 else f"{48 + k * 1e-5:.6f}"
        lines.append(f"01001_ab_{k:05d};{numero};{'bis' if k % 7 == 0 else ''};Rue {k % 50};01000;01001;"
                     f"Ville;{2 + k * 1e-5:.6f};{lat}")
    path = tmp_path / "a.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read(path, monkeypatch, block):
    monkeypatch.setattr(A, "BLOCK_BYTES", block)
    report, places = BuildReport(), []
    table = A.read_addresses(path, report, limits=InputLimits(max_line_bytes=1024), lieux_dits=places)
    return table, places[0], report


def test_blocks_do_not_change_the_result(tmp_path, monkeypatch):
    path = _csv(tmp_path)
    whole, places_whole, report_whole = _read(path, monkeypatch, 1 << 24)
    split, places_split, report_split = _read(path, monkeypatch, 1 << 14)     # 67 kB blocks: ~6
    # x/y: NaN without those columns (NaN != NaN for Table.equals)
    assert split.drop_columns(["x", "y"]).equals(whole.drop_columns(["x", "y"]))
    assert split["x"].null_count == 0 and all(v != v for v in split["x"].to_pylist())
    assert places_split.equals(places_whole)
    assert whole.num_rows == 6000 - 2 - 6              # a bad number, a bad coordinate, 6 lieux-dits
    assert places_whole.num_rows == 6
    for report in (report_whole, report_split):
        assert report.counts["addresses.skipped_bad_number"] == 1
        assert report.counts["addresses.skipped_bad_coordinates"] == 1
    lines = {(w.code, w.line) for w in report_split.issues}
    assert lines == {(w.code, w.line) for w in report_whole.issues}
    assert ("addresses.skipped_bad_number", 4322) in lines     # header is line 1
    assert ("addresses.skipped_bad_coordinates", 5556) in lines


def test_malformed_row_in_a_later_block_names_the_file(tmp_path, monkeypatch):
    path = _csv(tmp_path)
    text = path.read_text().splitlines()
    text[5000] += ";extra;fields"
    path.write_text("\n".join(text) + "\n")
    monkeypatch.setattr(A, "BLOCK_BYTES", 1 << 14)
    with pytest.raises(A.InputError, match="a.csv: malformed CSV"):
        A.read_addresses(path, limits=InputLimits(max_line_bytes=1024))
