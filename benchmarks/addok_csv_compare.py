"""Brique vs addok on the same CSV file through HTTP (issue 13): ``POST /search/csv/``.

    python benchmarks/addok_csv_compare.py [--n 20000] [--addok-rows 5000] [--workers 1]

Needs addok in its own venv (default /work/venvs/addok: ``pip install addok==1.3.2 addok-fr
addok-france addok-csv gunicorn``) and ``redis-server`` on PATH; installs nothing. The script
starts a Redis on 127.0.0.1 (``--redis-port``, default 6392) in a temporary folder, imports BAN
Paris into addok (the very documents of Brique's index, as benchmarks/addok_compare.py does, with
BAN's French settings), serves it with gunicorn (``--workers``) and ``brique serve`` with the same
number of workers, POSTs the same messy CSV (tests/realdata/batch_messy.py) to both, and prints
rows/s, the ratio, and each one's share of right addresses (same BAN id or within 10 m). addok is
slow enough that it gets the first ``--addok-rows`` rows of the file only (its rate is per row).
Everything started is stopped at the end.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

ADDOK_TYPES = {"street": "street", "locality": "municipality", "municipality": "municipality", "poi": "poi",
               "stop": "stop"}


def export_ndjson(geocoder, path: Path) -> int:
    """Brique's documents in addok's import format (streets carry their house numbers)."""
    ix = geocoder.index
    n = 0
    with path.open("w") as fh:
        for d in range(ix.n_docs):
            base = geocoder._place(d, -1, 1.0)
            doc = {"id": base.id, "type": ADDOK_TYPES.get(base.type, "street"), "name": base.name,
                   "lat": base.lat, "lon": base.lon, "importance": float(ix.d_imp[d])}
            for key in ("postcode", "city", "citycode", "context"):
                if getattr(base, key):
                    doc[key] = getattr(base, key)
            first, count = int(ix.d_hnf[d]), int(ix.d_hnc[d])
            if count:
                hns = {}
                for row in range(first, first + count):
                    p = geocoder._place(d, row, 1.0)
                    hns[p.housenumber] = {"id": p.id, "lat": p.lat, "lon": p.lon}
                doc["housenumbers"] = hns
            fh.write(json.dumps(doc) + "\n")
            n += 1
    return n


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    import httpx2 as httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}) before answering {url}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"no answer from {url}")


def _post(url: str, data: bytes, columns: list[str], **fields) -> tuple[bytes, float]:
    import httpx2 as httpx

    t0 = time.perf_counter()
    r = httpx.post(url, files={"data": ("adresses.csv", data, "text/csv")}, data={"columns": columns, **fields},
                   timeout=3600)
    seconds = time.perf_counter() - t0
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code}: {r.text[:300]}")
    return r.content, seconds


def _accuracy(body: bytes, encoding: str, expected: list) -> tuple[int, int]:
    from tests.realdata.batch_messy import right_share

    rows = list(csv.DictReader(io.StringIO(body.decode(encoding), newline=""), delimiter=";"))
    right, total, _ = right_share(rows, expected[:len(rows)])
    return right, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="rows in the file sent to Brique")
    ap.add_argument("--addok-rows", type=int, default=5000, help="rows sent to addok (the first ones)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--venv", type=Path, default=Path("/work/venvs/addok"))
    ap.add_argument("--redis-port", type=int, default=6392)
    args = ap.parse_args()

    from addok_compare import ADDOK_CONF, redis_memory_mb, start_redis

    import engine
    from tests.realdata.batch_messy import (
        BAN,
        QUERY_COLUMNS,
        messy_csv_bytes,
        messy_rows,
        read_ban,
    )
    from tests.reference.feeds import cached_bundle

    bundle = cached_bundle([], "ban-paris", addresses=[BAN])
    ban = read_ban()
    rows, expected = messy_rows(args.n, seed=0, rows=ban)
    data = messy_csv_bytes(rows)
    addok_data = messy_csv_bytes(rows[:args.addok_rows])
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        redis = start_redis(args.redis_port, tmp)
        procs.append(redis)
        try:
            conf = tmp / "addok_conf.py"
            conf.write_text(ADDOK_CONF + f'\nREDIS["host"] = "127.0.0.1"\nREDIS["port"] = {args.redis_port}\n')
            env = {**os.environ, "ADDOK_CONFIG_MODULE": str(conf)}
            ndjson = tmp / "paris.ndjson"
            n_docs = export_ndjson(engine.open(bundle).geocoder, ndjson)
            t0 = time.perf_counter()
            addok = str(args.venv / "bin" / "addok")
            subprocess.run([addok, "batch", str(ndjson)], env=env, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            subprocess.run([addok, "ngrams"], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"addok import: {n_docs} documents in {time.perf_counter() - t0:.1f} s, "
                  f"Redis {redis_memory_mb(args.redis_port):.1f} MB")
            a_port, b_port = _free_port(), _free_port()
            gunicorn = subprocess.Popen([str(args.venv / "bin" / "gunicorn"), "addok.http.wsgi:application",
                                         "--bind", f"127.0.0.1:{a_port}", "--workers", str(args.workers),
                                         "--timeout", "3600"], env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
            procs.append(gunicorn)
            brique = subprocess.Popen([sys.executable, "-m", "server", "serve", str(bundle), "--port", str(b_port),
                                       "--workers", str(args.workers)],
                                      env={**os.environ, "BRIQUE_MAX_UPLOAD_BYTES": str(len(data) * 2 + (1 << 20))},
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(brique)
            _wait_http(f"http://127.0.0.1:{a_port}/search/?q=rue", gunicorn)
            _wait_http(f"http://127.0.0.1:{b_port}/health", brique)
            small = messy_csv_bytes(rows[:200])
            # addok reads UTF-8 unless told: its users pass the encoding of a Windows-1252 file
            _post(f"http://127.0.0.1:{a_port}/search/csv/", small, QUERY_COLUMNS, encoding="cp1252")  # warm-up
            _post(f"http://127.0.0.1:{b_port}/search/csv/", small, QUERY_COLUMNS)
            body_a, sec_a = _post(f"http://127.0.0.1:{a_port}/search/csv/", addok_data, QUERY_COLUMNS,
                                  encoding="cp1252")
            body_b, sec_b = _post(f"http://127.0.0.1:{b_port}/search/csv/", data, QUERY_COLUMNS)
            rate_a, rate_b = args.addok_rows / sec_a, args.n / sec_b
            right_a, total_a = _accuracy(body_a, "cp1252", expected)
            right_b, total_b = _accuracy(body_b, "cp1252", expected)
            first = b"\r\n".join(body_b.split(b"\r\n")[:args.addok_rows + 1]) + b"\r\n"
            right_b1, total_b1 = _accuracy(first, "cp1252", expected)
            print(f"\n| server ({args.workers} worker{'s' if args.workers > 1 else ''}) | rows | seconds | rows/s | "
                  f"right address |\n|---|---|---|---|---|")
            print(f"| addok 1.3.2 + addok-csv 1.1.0 | {args.addok_rows:,} | {sec_a:.1f} | {rate_a:,.0f} | "
                  f"{right_a / total_a:.2%} |")
            print(f"| Brique | {args.n:,} | {sec_b:.1f} | {rate_b:,.0f} | {right_b / total_b:.2%} "
                  f"({right_b1 / total_b1:.2%} on addok's {args.addok_rows:,}) |")
            print(f"\nratio Brique / addok: {rate_b / rate_a:,.0f}x")
        finally:
            for p in reversed(procs):
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    main()
