"""The engine's version (a leaf: ``engine/__init__`` and ``engine/build`` both read it from here)."""
__version__ = "0.1.0"
