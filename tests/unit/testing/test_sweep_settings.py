"""The reference sweep's knob (tests/reference/feeds.py sweep_settings, .ci/sweep): unset, the
differential tests keep their fixed queries; set, other and more queries; bad values refused."""
from __future__ import annotations

import pytest

from tests.reference.feeds import build_feed, random_queries, sweep_settings


def test_unset_means_the_suite_as_it_is():
    assert sweep_settings({}) == (None, 1)
    assert sweep_settings({"BRIQUE_SWEEP_SEED": " ", "BRIQUE_SWEEP_SCALE": ""}) == (None, 1)
    assert sweep_settings({"BRIQUE_SWEEP_SEED": "20261206", "BRIQUE_SWEEP_SCALE": "3"}) == (20261206, 3)


@pytest.mark.parametrize("env, word", [({"BRIQUE_SWEEP_SEED": "today"}, "integers"),
                                       ({"BRIQUE_SWEEP_SEED": "-4"}, ">= 0"),
                                       ({"BRIQUE_SWEEP_SCALE": "0"}, "1..100"),
                                       ({"BRIQUE_SWEEP_SCALE": "2.5"}, "integers")])
def test_bad_values_are_refused_by_name(env, word):
    with pytest.raises(ValueError, match="BRIQUE_SWEEP") as err:
        sweep_settings(env)
    assert word in str(err.value)


def test_a_sweep_draws_other_and_more_queries(sample_paths, tmp_path, monkeypatch):
    built = build_feed(tmp_path, [("sample", sample_paths.gtfs)], "sample")
    monkeypatch.delenv("BRIQUE_SWEEP_SEED", raising=False)
    monkeypatch.delenv("BRIQUE_SWEEP_SCALE", raising=False)
    fixed = random_queries(built.staged, 12, 41)
    assert fixed == random_queries(built.staged, 12, 41)           # (the suite's queries stay put)
    monkeypatch.setenv("BRIQUE_SWEEP_SEED", "7")
    swept = random_queries(built.staged, 12, 41)
    assert len(swept) == 12 and swept != fixed
    assert swept == random_queries(built.staged, 12, 41)           # (a sweep is reproducible by its seed)
    monkeypatch.setenv("BRIQUE_SWEEP_SEED", "8")
    assert random_queries(built.staged, 12, 41) != swept
    monkeypatch.setenv("BRIQUE_SWEEP_SCALE", "3")
    assert len(random_queries(built.staged, 12, 41)) == 36
