"""Fuzz worker (run as a subprocess by test_bundle_fuzz.py): for every bundle path read on stdin,
open it and run the fixed queries, print one JSON line with the per-query outcome.

Protocol: stdin lines ``<case id> <bundle dir>``; stdout ``start <id>`` (flushed before the case
runs, so that a crash or a hang is attributed to it) then ``done <id> <json>``. The JSON maps
each query to ``["ok", answer]``, ``["bundle", error class]`` (a BundleError: the clean outcome),
``["engine", class, message]`` (another engine error: an answer too), or ``["unclean", class,
message]`` (any other exception: a failure).
"""
from __future__ import annotations

import json
import os
import sys


def _run(path: str, q: dict) -> dict:
    import engine
    from engine.errors import BundleError, EngineError

    out: dict = {}
    try:
        net = engine.open(path)
    except BundleError as exc:
        return {"open": ["bundle", type(exc).__name__]}
    except Exception as exc:                       # noqa: BLE001 - classified, not hidden
        return {"open": ["unclean", type(exc).__name__, str(exc)[:300]]}

    def plan():
        p = net.plan(q["stop_a"], q["stop_b"], date=q["date"], time="08:00")
        return p.to_dict()

    def door():
        return net.plan(tuple(q["pt_a"]), tuple(q["pt_b"]), date=q["date"], time="08:00").to_dict()

    def route():
        return net.route(*q["pt_a"], *q["pt_b"], mode="walk").to_dict()

    def within():
        r = net.streets.stops_within(*q["pt_a"], "walk", 900)
        return [r.stop_idx.tolist(), r.duration_s.tolist()]

    def geocode():
        return [p.to_dict() for p in net.geocode(q["text"], limit=5)]

    def reverse():
        return [p.to_dict() for p in net.reverse(*q["pt_a"])]

    for name, fn in (("plan", plan), ("door", door), ("route", route), ("within", within),
                     ("geocode", geocode), ("reverse", reverse)):
        try:
            out[name] = ["ok", json.loads(json.dumps(fn(), default=str))]
        except BundleError as exc:
            out[name] = ["bundle", type(exc).__name__]
        except EngineError as exc:
            out[name] = ["engine", type(exc).__name__, str(exc)[:300]]
        except Exception as exc:                   # noqa: BLE001
            out[name] = ["unclean", type(exc).__name__, str(exc)[:300]]
    return out


def main() -> None:
    queries = json.loads(sys.argv[1])
    if os.environ.get("BRIQUE_FUZZ_NO_CHECKS"):     # to measure what the checks prevent
        import engine.bundle.reader as reader

        reader.check_table = lambda *args, **kwargs: None
    for line in sys.stdin:
        case, path = line.rstrip("\n").split(" ", 1)
        print(f"start {case}", flush=True)
        print(f"done {case} {json.dumps(_run(path, queries))}", flush=True)


if __name__ == "__main__":
    main()
