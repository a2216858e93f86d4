"""Range answers with a module switch of engine/criteria/range.py on and off (REUSE_LABELS,
TIES_BEATEN): tests/unit/criteria/test_range_label_reuse.py and test_range_ties.py compare them."""
from __future__ import annotations


def range_answers_both_ways(net, queries, monkeypatch, switch: str, label_count, check_plan=None,
                            **plan_options) -> tuple[list[str], int, dict]:
    """Plan every query (origin, destination, date, time) with ``switch`` True then False.
    Returns the queries whose answers (departure, arrival, vehicles, walking or fare) differ,
    the journeys found with the switch on, and the labels searched each way
    (``label_count(ws)``: what one McPlanner.run counts). ``check_plan(plan, on)``: called on
    every plan."""
    import engine.criteria.range as range_module
    from engine.criteria.mcraptor import WALKING, McPlanner

    key = "walking_s" if plan_options.get("optimize") == WALKING else "fare_minor"
    labels = {True: 0, False: 0}
    run = McPlanner.run

    def counting(self, *args, **kwargs):
        ws = run(self, *args, **kwargs)
        labels[getattr(range_module, switch)] += label_count(ws)
        return ws

    monkeypatch.setattr(McPlanner, "run", counting)
    failures, journeys = [], 0
    for origin, destination, date, when in queries:
        answers = {}
        for on in (True, False):
            monkeypatch.setattr(range_module, switch, on)
            plan = net.plan(origin, destination, date, when, **plan_options)
            if check_plan is not None:
                check_plan(plan, on)
            answers[on] = [(it.departure, it.arrival, it.n_vehicles, v)
                           for it, v in zip(plan.itineraries, plan.stats[key])]
        journeys += len(answers[True])
        if answers[True] != answers[False]:
            failures.append(f"{origin} -> {destination} {date} {when}: {switch} on {answers[True]}, "
                            f"off {answers[False]}")
    return failures, journeys, labels


def sample_with_fares(sample_paths, out, version: str, seed: int, query_seed: int) -> tuple:
    """The built-in sample (streets too) with generated fares ``version`` (engine.testing.fares_gen,
    ``seed``), and 32 or 40 range queries on 2026-03-03 from stops and points (tests.reference.feeds
    mixed_queries, ``query_seed``; a point every 4th): (net, [(origin, destination, date, time)])."""
    import engine
    from engine.testing.fares_gen import add_fares

    from tests.reference.feeds import mixed_queries

    feed = add_fares(sample_paths.gtfs, out / "feed.zip", version, seed=seed)
    net = engine.open(str(engine.build(out / f"{version}.bundle", gtfs=[("sample", feed)], osm=sample_paths.osm).path))
    n = 40 if version == "v1" else 32
    return net, [(o, d, "2026-03-03", t) for o, d, t in mixed_queries(net, n, query_seed, point_every=4)]
