"""Exception hierarchy of the engine: every user-facing failure is an EngineError."""


class EngineError(Exception):
    """Base class of all errors raised by Brique on bad input or bad data."""


class InputError(EngineError):
    """An input file (GTFS, OSM, address CSV) is missing, unreadable or lacks a required part."""


class BuildError(EngineError):
    """A bundle could not be built (nothing was written)."""


class BundleError(EngineError):
    """A bundle is missing, incomplete or corrupt."""


class BundleVersionError(BundleError):
    """The bundle was written in a format version this engine does not read."""


class InvalidQueryError(EngineError, ValueError):
    """A query parameter is malformed or out of range (date, time, coordinates, limits)."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class UnknownStopError(InvalidQueryError):
    """A stop id or name that the bundle does not contain."""


class OutOfPeriodError(InvalidQueryError):
    """A date outside the bundle's service period."""


class QueryTimeoutError(EngineError):
    """A search ran past the query's time budget (``Network.plan(time_budget_s=...)``): it was
    stopped, nothing is answered (a cut search would give a wrong set)."""

    def __init__(self, message: str, parameter: str | None = "time_budget_s"):
        super().__init__(message)
        self.parameter = parameter


class NoRouteError(EngineError):
    """No journey exists for the request (reported as an empty result by plan())."""
