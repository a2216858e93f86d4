"""B03 - transfers.txt type 3 forbids changing from one stop to another (one direction only).

    R1:  A ----- B  ~ 111 m ~  C ----- D   :R2
        08:00  08:10          08:15  08:30
    R3:  A ------------------------- D          (slow direct line)
        08:05                      09:00
    R4:  D ----- C  ~ 111 m ~  B ----- A   :R5  (the way back)
        10:00  10:10          10:15  10:30

Without the rule A->D changes at B/C (arrives 08:30). With "B C forbidden" the walk B->C is
removed: A->D takes the direct R3 (09:00). The reverse change C->B stays allowed.
"""
from engine.testing import plan_text

BASE = """
stops: B 48.0 2.0; C 48.001 2.0
route R1
  A      B
  08:00  08:10
route R2
  C      D
  08:15  08:30
route R3
  A      D
  08:05  09:00
route R4
  D      C
  10:00  10:10
route R5
  B      A
  10:15  10:30
"""
FORBIDDEN = BASE + "transfers: B C forbidden\n"


def test_walk_transfer_used_when_allowed(network):
    plan = network(BASE).plan("feed:A", "feed:D", date="2026-03-02", time="07:50",
                              max_transfers=0)
    assert plan_text(plan) == ["R3 A 08:05 -> D 09:00"]
    plan = network(BASE).plan("feed:A", "feed:D", date="2026-03-02", time="07:50")
    assert plan_text(plan) == ["R1 A 08:00 -> B 08:10 | walk B -> C 84s | R2 C 08:15 -> D 08:30",
                               "R3 A 08:05 -> D 09:00"]


def test_forbidden_pair_is_not_used(network):
    plan = network(FORBIDDEN).plan("feed:A", "feed:D", date="2026-03-02", time="07:50")
    assert plan_text(plan) == ["R3 A 08:05 -> D 09:00"]


def test_only_the_given_direction_is_forbidden(network):
    plan = network(FORBIDDEN).plan("feed:D", "feed:A", date="2026-03-02", time="09:50")
    assert plan_text(plan) == ["R4 D 10:00 -> C 10:10 | walk C -> B 84s | R5 B 10:15 -> A 10:30"]
