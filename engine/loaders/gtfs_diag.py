"""Recording what the GTFS loader skipped or fixed, per feed, with file/line/field.

Counts are exact (``report.counts["skipped.stop_times.unknown_stop"]``), the stored issue list
is capped per (feed, code) so that a feed with 100k bad rows does not bloat the report.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from engine.loaders.gtfs_csv import CsvTable
from engine.timetable.staging import BuildReport, Issue

CAP_PER_CODE = 50


class Diag:
    """Per-feed view of a BuildReport."""

    def __init__(self, report: BuildReport, feed: str, cap: int = CAP_PER_CODE):
        self.report = report
        self.feed = feed
        self.cap = cap
        self._stored: dict[str, int] = {}

    def _room(self, code: str) -> int:
        return max(0, self.cap - self._stored.get(code, 0))

    def warn(self, code: str, file: str, line: int, field: str, message: str) -> None:
        """One issue (not tied to rows), e.g. an encoding or a missing optional file."""
        self.report.count(f"warnings.{code}")
        if self._room(code):
            self._stored[code] = self._stored.get(code, 0) + 1
            self.report.warn(code, self.feed, file, int(line), field, message)

    def error(self, code: str, file: str, message: str) -> None:
        self.report.issues.append(Issue("error", code, self.feed, file, 0, "", message))

    def count(self, key: str, n: int) -> None:
        """Add to a counter; zero adds nothing for "skipped."/"fixed." keys (only real events)."""
        if n or not key.startswith(("skipped.", "fixed.")):
            self.report.count(key, int(n))

    def rows(self, code: str, action: str, table: CsvTable, rows: np.ndarray, field: str,
             message: str | Callable[[int], str], values: Sequence | None = None) -> None:
        """Issues for data rows ``rows`` (0-based file rows) of ``table``.

        ``action`` is "skipped" or "fixed"; the count key is ``f"{action}.{code}"``.
        ``message`` may contain ``{value}`` (taken from ``values[i]``) or be a callable of i.
        """
        rows = np.asarray(rows)
        n = len(rows)
        if n == 0:
            return
        self.report.count(f"{action}.{code}", n)
        room = self._room(code)
        if not room:
            return
        take = min(room, n)
        lines = table.lines.lines(rows[:take])
        vals = None
        if values is not None:
            vals = values[:take]
            vals = vals.to_pylist() if hasattr(vals, "to_pylist") else list(vals)
        for i in range(take):
            if callable(message):
                text = message(i)
            elif vals is not None:
                text = message.format(value=vals[i])
            else:
                text = message
            self.report.warn(code, self.feed, table.file, int(lines[i]), field,
                             f"{table.file}:{int(lines[i])}: {text}")
        self._stored[code] = self._stored.get(code, 0) + take
        if n > take:
            self.report.warn(code, self.feed, table.file, 0, field,
                             f"{table.file}: {n - take} more rows like this "
                             f"({n} in total, counted in {action}.{code})")
            self._stored[code] = self.cap
