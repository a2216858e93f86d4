"""GTFS-Realtime over HTTP: GET /v1/realtime/status, POST /v1/realtime (push, off by default),
and the poller each worker runs (``brique serve --realtime URL_OR_FILE``).

How workers share the overlay: each worker polls the feed itself and applies it to its own
network. The overlay is derived state that costs tens of milliseconds to build from a feed of
a few hundred kilobytes, so N workers fetching every interval is cheap, needs no format, file
lock or coordinator, and a worker that restarts is current after one poll; every worker is on
the newest feed within one interval (they may differ by one feed version for up to that
long). A pushed feed reaches one worker: it applies it at once and writes it, atomically, to a
spool file that the other workers poll like a file source (``BRIQUE_REALTIME_SPOOL``, set by
``brique serve``), so they apply it within one interval too.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request

import engine

from ..deps import EngineDep, SettingsDep, json_response
from ..errors import ApiError
from ..schemas import ErrorResponse

router = APIRouter(prefix="/v1", tags=["realtime"])
log = logging.getLogger("brique.realtime")
PUSH_SOURCE = "push"


class Poller:
    """Fetches and applies the configured realtime sources every ``interval_s`` (one worker)."""

    def __init__(self, net: engine.Network, sources: list[str], interval_s: float, timeout_s: float,
                 gtfs_feed: str | None, spool: str | None, max_bytes: int):
        self.net, self.sources, self.interval_s, self.timeout_s = net, sources, interval_s, timeout_s
        self.gtfs_feed, self.spool, self.max_bytes = gtfs_feed, spool, max_bytes
        self.seen: dict[str, Any] = {}          # source -> file stamp or content digest last applied
        self.info: dict[str, dict] = {s: {"kind": "url" if _is_url(s) else "file"} for s in sources}
        if spool:
            self.info[PUSH_SOURCE] = {"kind": "push"}
        self._task: asyncio.Task | None = None

    def start(self, executor) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(executor))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self, executor) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await loop.run_in_executor(executor, self.poll_once)
            await asyncio.sleep(self.interval_s)

    def poll_once(self) -> None:
        """One round over the sources (blocking: runs on a query thread)."""
        for source in self.sources:
            self._poll(source, source)
        if self.spool:
            self._poll(PUSH_SOURCE, self.spool)

    def _poll(self, name: str, where: str) -> None:
        info = self.info[name]
        info["last_poll"] = time.time()
        try:
            if _is_url(where):
                with urllib.request.urlopen(where, timeout=self.timeout_s) as resp:   # noqa: S310 - configured URL
                    data = resp.read(self.max_bytes + 1)
                if len(data) > self.max_bytes:
                    raise ValueError(f"feed larger than {self.max_bytes} bytes")
                stamp = hashlib.blake2b(data, digest_size=16).hexdigest()
            else:
                path = Path(where)
                if not path.is_file():
                    if name == PUSH_SOURCE:
                        return                  # nothing pushed yet
                    raise FileNotFoundError(f"realtime feed file not found: {where}")
                st = path.stat()
                stamp = (st.st_mtime_ns, st.st_size)
                if self.seen.get(name) == stamp:
                    info["unchanged"] = True
                    return
                data = path.read_bytes()
            if self.seen.get(name) == stamp:
                info["unchanged"] = True
                return
            report = self.net.apply_realtime(data, source=name, gtfs_feed=self.gtfs_feed)
            self.seen[name] = stamp
            info.update(unchanged=False, last_applied=time.time(), last_error=None, last_report=report.to_dict())
        except Exception as exc:            # a bad fetch or feed never stops the server
            info["last_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            log.warning("realtime source %s: %s", name, info["last_error"])


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def start_poller(app, settings) -> Poller | None:
    """Start this worker's poller when a realtime source (or push) is configured."""
    sources = settings.realtime.split()
    spool = settings.realtime_spool or None
    if not sources and not (settings.realtime_push and spool):
        return None
    poller = Poller(app.state.network, sources, settings.realtime_interval_s, settings.realtime_timeout_s,
                    settings.realtime_feed or None, spool if settings.realtime_push else None,
                    settings.max_realtime_body_bytes)
    poller.start(app.state.executor)
    return poller


@router.get("/realtime/status", summary="Real-time state: per source the feed timestamp and age, counts")
async def realtime_status(request: Request, net: EngineDep, settings: SettingsDep):
    out = net.realtime_status()
    poller = getattr(request.app.state, "realtime_poller", None)
    out["polling"] = None if poller is None else {
        "interval_s": poller.interval_s,
        "sources": {name: {k: v for k, v in info.items() if k != "last_report"} for name, info in poller.info.items()}}
    out["push_enabled"] = bool(settings.realtime_push)
    return json_response(out)


PUSH_ERRORS = {400: {"model": ErrorResponse, "description": "not a GTFS-Realtime FeedMessage (bad_feed, empty_body)"},
               403: {"model": ErrorResponse, "description": "push is off on this server (push_disabled)"}}


@router.post("/realtime", responses=PUSH_ERRORS,
             summary="Push a GTFS-Realtime feed (protobuf or JSON bytes); off unless enabled")
async def realtime_push(request: Request, net: EngineDep, settings: SettingsDep):
    if not settings.realtime_push:
        raise ApiError(403, "push_disabled", "POST /v1/realtime is off on this server (brique serve --realtime-push)")
    data = await request.body()
    if not data:
        raise ApiError(400, "empty_body", "the body must be a GTFS-Realtime FeedMessage", "body")
    loop = asyncio.get_running_loop()
    try:
        report = await loop.run_in_executor(request.app.state.executor, lambda: net.apply_realtime(
            data, source=PUSH_SOURCE, gtfs_feed=settings.realtime_feed or None))
    except engine.errors.InvalidQueryError as exc:
        raise ApiError(400, "bad_feed", str(exc), "body") from None
    spool = settings.realtime_spool
    if spool:                               # the other workers poll this file
        tmp = f"{spool}.{os.getpid()}.tmp"
        Path(tmp).write_bytes(data)
        os.replace(tmp, spool)
        poller = getattr(request.app.state, "realtime_poller", None)
        if poller is not None:
            st = os.stat(spool)
            poller.seen[PUSH_SOURCE] = (st.st_mtime_ns, st.st_size)
    return json_response(report.to_dict())
