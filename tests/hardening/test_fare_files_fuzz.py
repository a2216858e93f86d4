"""Malformed fare files never crash a build or a fare query.

Seeded cases put one extreme or malformed value (empty, text, negative, past int32, 10^12, a
bad time, non-ASCII) in one cell of one fare file of the sample city's generated fares (v1 and
the four v2 variants, join rules included), then build and plan with the fare criterion and
without it (every itinerary priced). Each case must end with the
build refusing the feed (an engine error naming it) or a bundle whose fare queries answer or
refuse with an engine error (InvalidQueryError naming the parameter): never another exception.
A sweep of 2,500 such cases (2026-12-07) found four that did: a transfer_count, duration_limit or
rule_priority past int32 failed the build with a pyarrow error, and a price past int32 failed
the fare query (an OverflowError, or a wrapped, unsorted v1 price list: a ValueError)
(engine/loaders/gtfs_fares_v2.py, engine/fares/kernel_model.py kernel_max_amount).
"""
from __future__ import annotations

import csv
import io
import os
import random
import shutil
import zipfile

import pytest

import engine
from engine.errors import EngineError
from engine.testing.data import feed_with_files
from engine.testing.fares_gen import add_fares
from tests.reference.feeds import station_queries

N_CASES = int(os.environ.get("BRIQUE_FUZZ_CASES", "60"))
SEED = int(os.environ.get("BRIQUE_FUZZ_SEED", "7"))
VALUES = ("", "x", "-1", "0", "1.5", "2147483648", "-2147483649", "999999999999", "9999999999.99", "1e9", "nan",
          "25:99:99", "  ", "\u00e9\u00e8")
FARE = ("arrival", "transfers", "fare")


def _fare_members(zf: zipfile.ZipFile) -> list[str]:
    return [n for n in zf.namelist() if n.startswith("fare") or n in (
        "timeframes.txt", "areas.txt", "stop_areas.txt", "networks.txt", "route_networks.txt",
        "rider_categories.txt")]


def _mutated(src: zipfile.ZipFile, member: str, rng: random.Random, out) -> str:
    """Writes ``src`` with one cell of ``member`` replaced to ``out``; returns what it did."""
    rows = list(csv.reader(io.StringIO(src.read(member).decode("utf-8-sig"))))
    row = rng.randrange(1, len(rows)) if len(rows) > 1 else 0
    col = rng.randrange(len(rows[0]))
    value = rng.choice(VALUES)
    if col < len(rows[row]):
        rows[row][col] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    feed_with_files(src.filename, out, {member: buf.getvalue()})
    return f"{member} line {row + 1} {rows[0][col]!r} = {value!r}"


@pytest.fixture(scope="module")
def generated(sample_paths, tmp_path_factory):
    out = tmp_path_factory.mktemp("fare-fuzz")
    return {v: add_fares(sample_paths.gtfs, out / f"{v}.zip", v, seed=3) for v in ("v1", "v2", "v2-simple",
                                                                                   "v2-priority", "v2-join")}


def test_malformed_fare_values_never_crash_a_build_or_a_fare_query(generated, tmp_path):
    rng = random.Random(SEED)
    unclean, built, answered = [], 0, 0
    for case in range(N_CASES):
        version = rng.choice(sorted(generated))
        with zipfile.ZipFile(generated[version]) as src:
            what = f"{version} {_mutated(src, rng.choice(_fare_members(src)), rng, tmp_path / 'case.zip')}"
        bundle = tmp_path / "case.bundle"
        shutil.rmtree(bundle, ignore_errors=True)
        try:
            engine.build(bundle, gtfs=[("bq", tmp_path / "case.zip")])
        except EngineError:
            continue
        except Exception as exc:        # noqa: BLE001 - what the test looks for
            unclean.append(f"{what}: build {type(exc).__name__}: {str(exc)[:160]}")
            continue
        built += 1
        net = engine.open(bundle)
        for q in station_queries(bundle, 2, case):
            for optimize in (FARE, ("arrival", "transfers")):      # (the second prices every itinerary)
                try:
                    net.plan(q[0], q[1], date=q[2], time=q[3], max_transfers=3, optimize=optimize)
                    answered += optimize == FARE
                except EngineError:
                    pass
                except Exception as exc:    # noqa: BLE001
                    unclean.append(f"{what}: plan {type(exc).__name__}: {str(exc)[:160]}")
    print(f"{N_CASES} cases, {built} built, {answered} fare queries answered")
    assert not unclean, "\n".join(unclean)
    assert built >= N_CASES // 2 and answered >= N_CASES // 2      # (the cases reach the fare query)
