"""Structures derived once from a long-lived object (a street graph, a network) and dropped
with it: built lazily on first use, at most once even when threads ask together, so opening a
bundle computes nothing and concurrent requests do not build twice."""
from __future__ import annotations

import threading
import weakref
from typing import Callable, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class DerivedCache(Generic[K, V]):
    """``cache.get(owner)``: ``build(owner)`` made once per owner (weakly keyed)."""

    def __init__(self, build: Callable[[K], V]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._items: "weakref.WeakKeyDictionary[K, V]" = weakref.WeakKeyDictionary()

    def get(self, owner: K) -> V:
        found = self._items.get(owner)
        if found is None:
            with self._lock:               # checked again: another thread may have built it
                found = self._items.get(owner)
                if found is None:
                    found = self._items[owner] = self._build(owner)
        return found

    def __getitem__(self, owner: K) -> V:
        """The item already built for ``owner`` (KeyError if none): for inspection in tests."""
        return self._items[owner]
