"""Timetable: staging (loader output), pattern/stop-time builder, read-only model over a bundle."""
