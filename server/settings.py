"""Server configuration: the only config source (environment variables prefixed BRIQUE_).

Every per-request bound lives here so that one place says how much work a request may ask for.
"""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Bundle path and per-request limits (env: BRIQUE_BUNDLE, BRIQUE_MAX_RESULTS, ...)."""

    model_config = SettingsConfigDict(env_prefix="BRIQUE_", extra="ignore")

    bundle: str = Field("", description="bundle directory opened once per worker process")
    warmup: bool = True
    # limits (bounded work per request)
    max_results: int = Field(50, ge=1, le=100, description="geocoder results per request")
    max_radius_m: float = Field(5000.0, gt=0, le=5000.0, description="stops-near radius")
    max_stops_near: int = Field(100, ge=1, le=500)
    max_departures: int = Field(100, ge=1, le=200)
    max_window_s: int = Field(6 * 3600, ge=60, le=24 * 3600, description="departures time window")
    max_transfers: int = Field(8, ge=0, le=15)
    max_access_s: int = Field(3600, ge=0, le=7200, description="walk/bike time to or from transit")
    max_direct_s: int = Field(3 * 3600, ge=0, le=6 * 3600, description="street-only journey offered by plan")
    max_query_chars: int = Field(200, ge=1, le=500, description="geocoder query length")
    max_network_segments: int = Field(60_000, ge=100, le=500_000, description="street segments per /v1/network")
    max_network_lines: int = Field(3_000, ge=10, le=50_000, description="transit polylines per /v1/network")
    max_url_bytes: int = Field(4096, ge=256, description="request target (path + query) size")
    max_body_bytes: int = Field(16_384, ge=0, description="request body size (the API is GET-only)")
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
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    gzip_min_bytes: int = 1000
