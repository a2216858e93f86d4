"""Server configuration: the only config source (environment variables prefixed BRIQUE_).

Every per-request bound of this server lives here so that one place says how much work a request
may ask for. Each is at most the engine's own limit for the parameter (``engine.limits``), which
is also the bound published in the API schema; the defaults here may be lower.
"""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine import limits as L


class Settings(BaseSettings):
    """Bundle path and per-request limits (env: BRIQUE_BUNDLE, BRIQUE_MAX_RESULTS, ...)."""

    model_config = SettingsConfigDict(env_prefix="BRIQUE_", extra="ignore")

    bundle: str = Field("", description="bundle directory opened once per worker process")
    warmup: bool = True
    # limits (bounded work per request)
    max_results: int = Field(50, ge=1, le=L.MAX_GEOCODE_RESULTS, description="geocoder results per request")
    max_radius_m: float = Field(L.MAX_NEAR_RADIUS_M, gt=0, le=L.MAX_NEAR_RADIUS_M, description="stops-near radius")
    max_stops_near: int = Field(100, ge=1, le=L.MAX_STOPS_NEAR)
    max_departures: int = Field(100, ge=1, le=L.MAX_DEPARTURES)
    max_window_s: int = Field(6 * 3600, ge=60, le=min(L.MAX_WINDOW_S, L.MAX_DEPARTURES_WINDOW_S),
                              description="departures look-ahead and arrive-by window")
    max_transfers: int = Field(8, ge=0, le=L.MAX_TRANSFERS)
    max_access_s: int = Field(3600, ge=0, le=L.MAX_ACCESS_S, description="walk/bike time to or from transit")
    max_direct_s: int = Field(3 * 3600, ge=0, le=L.MAX_DIRECT_S, description="street-only journey offered by plan")
    max_query_chars: int = Field(200, ge=1, le=L.MAX_QUERY_CHARS, description="geocoder query length")
    max_network_segments: int = Field(60_000, ge=100, le=L.MAX_MAP_SEGMENTS,
                                      description="street segments per /v1/network")
    max_network_lines: int = Field(3_000, ge=10, le=L.MAX_MAP_LINES, description="transit polylines per /v1/network")
    max_url_bytes: int = Field(4096, ge=256, description="request target (path + query) size")
    max_body_bytes: int = Field(16_384, ge=0, description="request body size (GET endpoints)")
    max_matrix_body_bytes: int = Field(1 << 20, ge=1024, description="POST /v1/matrix body size (413 above)")
    max_upload_bytes: int = Field(50 << 20, ge=1024, description="POST /search/csv/ and /reverse/csv/ upload "
                                  "size (413 above)")
    max_matrix_cells: int = Field(250_000, ge=1, le=L.MAX_MATRIX_CELLS,
                                  description="origins x destinations per POST /v1/matrix (422 above)")
    max_range_s: int = Field(2 * 3600, ge=0, le=L.MAX_RANGE_S,
                             description="departure window of range plans and matrices, seconds")
    max_isochrone_s: int = Field(2 * 3600, ge=60, le=L.MAX_ISOCHRONE_TIME_S,
                                 description="largest cutoff of GET /v1/isochrone, seconds (422 above)")
    max_isochrone_window_s: int = Field(3600, ge=0, le=L.MAX_ISOCHRONE_WINDOW_S,
                                        description="departure window of GET /v1/isochrone, seconds (422 above)")
    time_budget_s: float = Field(10.0, gt=0, le=300, description="wall time per query before 503")
    # connections (server/protocol.py): slow or idle clients must not hold a worker's sockets
    head_timeout_s: float = Field(10.0, gt=0, le=300, description="time for a request's line and headers "
                                  "to arrive, from the connection (or the previous response); then 408 / close")
    max_head_bytes: int = Field(32_768, ge=1024, le=1 << 20, description="request line + headers size (431)")
    keep_alive_s: int = Field(5, ge=1, le=300, description="idle time before a kept-alive connection closes")
    # The kernels release the GIL, so each in-flight query can use a core: more threads than
    # cores per worker only add contention (measured: p99 x2-3 with 16), queued requests wait FIFO.
    max_concurrent_queries: int = Field(2, ge=1, le=256, description="engine calls in flight per worker")
    # HTTP
    inline_geocode: bool = Field(False, description="plain geocode and autocomplete requests run on the "
                                 "event loop, not the query threads: ~0.15 ms less CPU each, but no time "
                                 "budget for them (server/routes/geocode.py FastGeocode)")
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    gzip_min_bytes: int = 1000
    # GTFS-Realtime (server/routes/realtime.py): every worker polls these itself
    realtime: str = Field("", description="GTFS-Realtime feeds polled by each worker: URLs or files, "
                                          "separated by spaces")
    realtime_interval_s: float = Field(30.0, ge=1, le=3600, description="seconds between two polls")
    realtime_timeout_s: float = Field(10.0, gt=0, le=120, description="HTTP timeout of one fetch")
    realtime_feed: str = Field("", description="the bundle's GTFS feed the realtime ids belong to "
                                               "(bundles of several feeds)")
    realtime_push: bool = Field(False, description="accept POST /v1/realtime (off by default)")
    realtime_spool: str = Field("", description="file a pushed feed is written to for the other workers")
    max_realtime_body_bytes: int = Field(16 << 20, ge=1024, description="POST /v1/realtime and fetched feed size")
