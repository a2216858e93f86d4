"""Batch geocoding throughput (issue 13): rows/s in-process (1 and 2 threads), through the CSV
pipeline and through HTTP, on BAN Paris.

Full mode: 100,000 random BAN Paris addresses; BRIQUE_BENCH_SHORT=1: 5,000. Inputs:

- *full addresses*: one column ``q`` = ``<numero>[ <rep>] <voie> <code postal> Paris`` (BAN's own
  spelling), geocoded with ``net.geocode_table`` (target: >= 50,000 rows/s on 2 cores);
- *messy CSV*: ``tests/realdata/batch_messy.py``'s file (split columns, Windows-1252, ``;``, case,
  abbreviations, missing postcodes, garbage rows) through ``CsvJob`` (the CLI's and the server's
  code), with its round-trip accuracy (same BAN id or within 10 m; target >= 99 %);
- *HTTP*: the messy file POSTed to ``/search/csv/`` of a ``brique serve`` started for the run
  (one worker; target >= 20,000 rows/s): its first request (nothing memoised), then the rounds
  (the server has seen the file's forms once).

Each round opens the bundle afresh, so the batch reader's memo starts empty (a cold run, as a
CLI call or a new server process). ``extra_info`` holds rows/s, forms parsed and accuracy.
"""
from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.realdata.batch_messy import (
    BAN,
    QUERY_COLUMNS,
    messy_csv_bytes,
    messy_rows,
    read_ban,
    right_share,
)
from tests.reference.feeds import bench_short, cached_bundle

SHORT = bench_short()
N = 5_000 if SHORT else 100_000
ROUNDS = 1 if SHORT else 3


@pytest.fixture(scope="module")
def paris() -> Path:
    if not BAN.is_file():
        pytest.skip(f"{BAN} absent (set BRIQUE_DATA)")
    return cached_bundle([], "ban-paris", addresses=[BAN])


@pytest.fixture(scope="module")
def ban_rows():
    return read_ban()


@pytest.fixture(scope="module")
def full_addresses(ban_rows):
    import random

    import pyarrow as pa

    rng = random.Random(0)
    picked = rng.sample(ban_rows, N)
    q = [f"{r['numero']}{' ' + r['rep'] if r['rep'] else ''} {r['nom_voie']} {r['code_postal']} Paris" for r in picked]
    return pa.table({"q": q}), [r["id"] for r in picked]


@pytest.fixture(scope="module")
def messy(ban_rows, tmp_path_factory):
    rows, expected = messy_rows(N, seed=0, rows=ban_rows)
    path = tmp_path_factory.mktemp("bench-batch") / "adresses.csv"
    path.write_bytes(messy_csv_bytes(rows))
    return path, expected


def _rate(benchmark, rows: int) -> float:
    rate = rows / benchmark.stats.stats.min
    benchmark.extra_info["rows"] = rows
    benchmark.extra_info["rows_per_s_best"] = round(rate)
    benchmark.extra_info["rows_per_s_median"] = round(rows / benchmark.stats.stats.median)
    return rate


@pytest.mark.parametrize("threads", [1, 2])
def test_geocode_table_full_addresses(benchmark, paris, full_addresses, threads):
    import engine

    table, ids = full_addresses
    out = {}

    def run(net):
        out["table"] = net.geocode_table(table, ["q"], threads=threads)
        out["net"] = net

    benchmark.pedantic(run, setup=lambda: ((engine.open(paris),), {}), rounds=ROUNDS, iterations=1)
    rate = _rate(benchmark, table.num_rows)
    got = out["table"].column("result_id").to_pylist()
    benchmark.extra_info["same_id"] = round(sum(a == b for a, b in zip(got, ids)) / len(ids), 5)
    from engine.geocoder.batch import batch_geocoder

    benchmark.extra_info["forms_parsed"] = batch_geocoder(out["net"].geocoder).reader.parsed
    print(f"\nfull addresses, {threads} thread(s): {rate:,.0f} rows/s, same id {benchmark.extra_info['same_id']:.2%}")


def test_csv_messy(benchmark, paris, messy):
    import csv

    import engine
    from engine.geocoder.csv_io import CsvJob

    path, expected = messy
    data = path.read_bytes()
    out = {}

    def run(net):
        out["bytes"] = b"".join(CsvJob(net, io.BytesIO(data), columns=QUERY_COLUMNS, threads=2))

    benchmark.pedantic(run, setup=lambda: ((engine.open(paris),), {}), rounds=ROUNDS, iterations=1)
    rate = _rate(benchmark, N)
    rows = list(csv.DictReader(io.StringIO(out["bytes"].decode("cp1252"), newline=""), delimiter=";"))
    right, total, misses = right_share(rows, expected)
    benchmark.extra_info["right_share"] = round(right / total, 5)
    print(f"\nmessy CSV, 2 threads: {rate:,.0f} rows/s; right address {right}/{total} = {right / total:.3%}")
    assert right / total >= 0.99, misses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_http_csv(benchmark, paris, messy):
    import httpx2 as httpx     # the test extra's HTTP client
    path, _ = messy
    data = path.read_bytes()
    port = _free_port()
    env = {**os.environ, "BRIQUE_MAX_UPLOAD_BYTES": str(max(len(data) * 2, 1 << 20))}
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", str(paris), "--port", str(port),
                             "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("brique serve did not start")
            time.sleep(0.2)
        out = {}

        def post():
            r = httpx.post(f"http://127.0.0.1:{port}/search/csv/", files={"data": ("adresses.csv", data)},
                           data={"columns": QUERY_COLUMNS}, timeout=600)
            assert r.status_code == 200, r.text[:300]
            out["bytes"] = r.content

        t0 = time.perf_counter()
        post()                              # the server's first file: its memo starts empty
        cold = N / (time.perf_counter() - t0)
        benchmark.pedantic(post, rounds=ROUNDS, iterations=1)
        rate = _rate(benchmark, N)
        benchmark.extra_info["rows_per_s_first_request"] = round(cold)
        assert out["bytes"].count(b"\r\n") == N + 1
        print(f"\nHTTP /search/csv/ (one worker): first request {cold:,.0f} rows/s, then {rate:,.0f} rows/s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
