"""Fixture of the RAPTOR scenario tests: build a network from a timetable text (cached)."""
from __future__ import annotations

from typing import Any

import pytest

from engine.testing import network_from_text


@pytest.fixture(scope="session")
def network(tmp_path_factory: Any) -> Any:
    """``network(text, date=..., **build_options)`` -> engine network; same inputs, same net."""
    cache: dict[tuple, Any] = {}

    def make(text: str, date: Any = "2026-03-02", **options: Any) -> Any:
        key = (text, str(date), tuple(sorted(options.items())))
        if key not in cache:
            folder = tmp_path_factory.mktemp("scenario")
            cache[key] = network_from_text(folder, text, date=date, **options)
        return cache[key]

    return make
