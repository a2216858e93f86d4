"""What every leave-later test compares (engine/raptor/boarding.py): a plan whose journeys
leave as late as they can against the same plan without the moves."""
from __future__ import annotations


def plans(net, q, monkeypatch, target, no_op, **options):
    """The plan of query ``q`` (from, to, date, time), and the same plan with ``target`` (a
    monkeypatch path, or an (object, attribute name) pair) replaced by ``no_op``."""
    plan = net.plan(q[0], q[1], date=q[2], time=q[3], **options)
    with monkeypatch.context() as m:
        m.setattr(*((target,) if isinstance(target, str) else target), no_op)
        before = net.plan(q[0], q[1], date=q[2], time=q[3], **options)
    return plan, before


def moved_pairs(plan, before, q, walking: bool = False) -> list[tuple]:
    """(itinerary, the same without the moves) pairs, once checked: the same arrivals and
    vehicles, no departure earlier; with ``walking``, the same walking seconds and walk legs."""
    assert [(it.arrival, it.n_vehicles) for it in plan.itineraries] == \
        [(it.arrival, it.n_vehicles) for it in before.itineraries], q
    if walking:
        assert plan.stats["walking_s"] == before.stats["walking_s"], q
    pairs = list(zip(plan.itineraries, before.itineraries))
    for it, old in pairs:
        assert it.departure >= old.departure, q
        if walking:
            assert [leg.duration_s for leg in it.legs if leg.mode == "walk"] == \
                [leg.duration_s for leg in old.legs if leg.mode == "walk"], q
    return pairs
