"""I01 - bad queries raise engine.errors with the parameter named; no journey is not an error.

    R1:  A 08:00 -> B 08:10        (service on 2026-03-02 only)
    R2:  C 08:00 -> D 08:10        (not connected to A/B)
"""
import pytest

from engine.errors import InvalidQueryError, OutOfPeriodError, UnknownStopError

TIMETABLE = """
route R1
  A      B
  08:00  08:10
route R2
  C      D
  08:00  08:10
"""
OK = dict(date="2026-03-02", time="07:00")


@pytest.mark.parametrize("origin, destination, parameter", [
    ("feed:NOPE", "feed:B", "origin"),
    ("feed:A", "feed:NOPE", "destination"),
    ("", "feed:B", "origin"),
    ("other:A", "feed:B", "origin"),
])
def test_unknown_stop(network, origin, destination, parameter):
    with pytest.raises(UnknownStopError) as info:
        network(TIMETABLE).plan(origin, destination, **OK)
    assert info.value.parameter == parameter
    assert isinstance(info.value, InvalidQueryError)


@pytest.mark.parametrize("kwargs, error, parameter", [
    (dict(date="2026-13-01", time="07:00"), InvalidQueryError, "date"),
    (dict(date="tomorrow", time="07:00"), InvalidQueryError, "date"),
    (dict(date="2027-03-02", time="07:00"), OutOfPeriodError, "date"),
    (dict(date="2026-03-01", time="07:00"), OutOfPeriodError, "date"),
    (dict(date="2026-03-02", time="7h"), InvalidQueryError, "time"),
    (dict(date="2026-03-02", time="08:61"), InvalidQueryError, "time"),
    (dict(date="2026-03-02", time="07:00", max_transfers=-1), InvalidQueryError, "max_transfers"),
    (dict(date="2026-03-02", time="07:00", max_transfers=99), InvalidQueryError, "max_transfers"),
    (dict(date="2026-03-02", time="07:00", min_change_time=-5), InvalidQueryError,
     "min_change_time"),
])
def test_bad_parameters(network, kwargs, error, parameter):
    with pytest.raises(error) as info:
        network(TIMETABLE).plan("feed:A", "feed:B", **kwargs)
    assert info.value.parameter == parameter


def test_unreachable_is_an_empty_plan(network):
    plan = network(TIMETABLE).plan("feed:A", "feed:D", **OK)
    assert plan.itineraries == ()
    assert plan.to_dict()["itineraries"] == []
