"""Fixtures of the differential tests (makes tests.reference importable)."""
from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:          # so that ``tests.reference`` imports under --import-mode=importlib
    sys.path.insert(0, _ROOT)
