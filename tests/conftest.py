"""Root of the test suite: makes ``tests.*`` importable (the reference solver, ``tests.reference``).

The shared fixtures (the Briqueville sample, ``sample_bundle``, ``sample_network``,
``gtfs_from_text``) come from the ``engine.testing`` pytest plugin, so each is built once per run.
"""
from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:          # so that ``tests.reference`` imports under --import-mode=importlib
    sys.path.insert(0, _ROOT)
