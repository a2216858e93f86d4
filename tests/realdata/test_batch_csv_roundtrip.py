"""Round trip on BAN Paris (issue 13): random addresses written as people upload them
(tests/realdata/batch_messy.py: split columns, Windows-1252, ``;``, case, missing postcodes,
garbage rows) come back from ``brique geocode-csv`` at the right address (same BAN id or within
10 m) for >= 99 % of them; each row's answer is the single search's; the HTTP endpoint gives the
CLI's bytes. 5,000 rows here; ``benchmarks/bench_batch_csv.py`` runs 100,000.
"""
from __future__ import annotations

import csv
import io

import pytest

from tests.realdata.batch_messy import (
    BAN,
    QUERY_COLUMNS,
    messy_csv_bytes,
    messy_rows,
    right_share,
)

pytestmark = pytest.mark.realdata
N = 5000


@pytest.fixture(scope="module")
def paris(tmp_path_factory):
    import engine

    if not BAN.exists():
        pytest.skip(f"{BAN} absent (shared data)")
    return engine.build(tmp_path_factory.mktemp("rt") / "paris.bundle", [], addresses=[BAN]).path


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    rows, expected = messy_rows(N, seed=13)
    path = tmp_path_factory.mktemp("rt-csv") / "adresses.csv"
    path.write_bytes(messy_csv_bytes(rows))
    return path, rows, expected


@pytest.fixture(scope="module")
def cli_output(paris, messy, tmp_path_factory):
    from engine.cli import main

    out = tmp_path_factory.mktemp("rt-out") / "out.csv"
    assert main(["geocode-csv", str(paris), str(messy[0]), "--columns", ",".join(QUERY_COLUMNS), "-o", str(out),
                 "-q"]) == 0
    return out.read_bytes()


def test_round_trip_finds_the_right_address(cli_output, messy):
    rows = list(csv.DictReader(io.StringIO(cli_output.decode("cp1252"), newline=""), delimiter=";"))
    assert len(rows) == N and [r["ref"] for r in rows] == [r["ref"] for r in messy[1]]
    right, total, misses = right_share(rows, messy[2])
    assert total > 0.99 * N
    assert right / total >= 0.99, misses


def test_every_row_is_the_single_search(paris, messy):
    import engine

    net = engine.open(paris)
    table = net.geocode_table(messy[0], QUERY_COLUMNS, threads=2)
    fields = {"latitude": "lat", "longitude": "lon", "result_label": "label", "result_score": "score",
              "result_type": "type", "result_id": "id", "result_housenumber": "housenumber", "result_name": "name",
              "result_street": "street", "result_postcode": "postcode", "result_city": "city",
              "result_context": "context", "result_citycode": "citycode"}
    for row in table.to_pylist():
        found = net.geocode(" ".join(row[c] for c in QUERY_COLUMNS), limit=1)
        if not found:
            assert row["result_id"] is None
            continue
        assert {k: row[k] for k in fields} == {k: getattr(found[0], a) for k, a in fields.items()}


def test_http_gives_the_cli_bytes_for_any_thread_count(paris, messy, cli_output, tmp_path):
    from fastapi.testclient import TestClient

    import engine
    from engine.cli import main
    from server.main import create_app
    from server.settings import Settings

    out = tmp_path / "one-thread.csv"
    assert main(["geocode-csv", str(paris), str(messy[0]), "--columns", ",".join(QUERY_COLUMNS), "-o", str(out),
                 "-q", "--threads", "1"]) == 0
    assert out.read_bytes() == cli_output
    with TestClient(create_app(Settings(bundle=str(paris)), network=engine.open(paris))) as client:
        r = client.post("/search/csv/", files={"data": ("adresses.csv", messy[0].read_bytes())},
                        data={"columns": QUERY_COLUMNS})
    assert r.status_code == 200 and r.content == cli_output
