"""Brique HTTP server: a thin FastAPI layer over the public ``engine`` API (no algorithm here).

``create_app(settings)`` in :mod:`server.main` builds the app; ``server.cli.serve`` runs it with
uvicorn, and ``server.cli.main`` is the ``brique`` command (the engine's commands plus ``serve``;
also ``python -m server``). Install with the ``server`` extra (fastapi, uvicorn, pydantic-settings).
"""
