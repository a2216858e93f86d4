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
