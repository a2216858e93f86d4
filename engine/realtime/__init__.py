"""GTFS-Realtime over the immutable bundle: TripUpdates and service alerts as an overlay.

``Network.apply_realtime(feed)`` reads a feed (engine/realtime/feed.py), turns its TripUpdates
into trip records (updates.py) and alerts (alerts.py), and publishes a new Overlay (overlay.py)
that queries read next to the bundle (engine/_core.pyx). state.py keeps the sources.
"""
from .alerts import Alert
from .feed import RealtimeFeedError
from .report import REASONS, RealtimeReport

__all__ = ["Alert", "RealtimeFeedError", "RealtimeReport", "REASONS"]
