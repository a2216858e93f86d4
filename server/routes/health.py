"""GET /health (liveness, for load balancers) and GET /v1/meta (what the bundle holds)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ..deps import EngineDep, SettingsDep, capabilities, json_response
from ..schemas import Health, Meta

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health, summary="Liveness: the bundle is open, and what it can answer")
async def health(request: Request, net: EngineDep):
    # the directory's name only: a response never carries a file system path
    return json_response({"status": "ok", "bundle": net.bundle.path.name, "capabilities": capabilities(net)})


@router.get("/v1/health", response_model=Health, include_in_schema=False)
async def health_v1(request: Request, net: EngineDep):
    return await health(request, net)


@router.get("/v1/meta", response_model=Meta, summary="Bundle manifest: feeds, period, counts, format version")
async def meta(request: Request, net: EngineDep, settings: SettingsDep):
    cached = getattr(request.app.state, "meta_json", None)
    if cached is None:
        cached = request.app.state.meta_json = meta_json(net, settings)
    return json_response(cached)


@router.get("/meta", response_model=Meta, include_in_schema=False)
async def meta_alias(request: Request, net: EngineDep, settings: SettingsDep):
    return await meta(request, net, settings)


def meta_json(net, settings) -> dict[str, Any]:
    m = net.info()
    tt = m.get("timetable", {}) or {}
    counts: dict[str, Any] = {"timetable": tt.get("counts", {})}
    rows = {name: table.get("rows") for name, table in net.manifest.get("tables", {}).items()}
    if "streets/nodes" in rows:
        counts["streets"] = {"nodes": rows["streets/nodes"], "segments": rows["streets/segments"]}
    if "geocoder" in m:
        counts["geocoder"] = m["geocoder"]
    feeds = [{k: v for k, v in f.items() if k in ("name", "timezone", "agencies", "sha256")}
             for f in tt.get("feeds", [])]
    limits = settings.model_dump(include={"max_results", "max_radius_m", "max_departures", "max_window_s",
                                          "max_transfers", "max_access_s", "max_direct_s", "time_budget_s"})
    return {"format": m.get("format"), "format_version": m.get("format_version"),
            "engine_version": m.get("engine_version"), "created_at": m.get("created_at"),
            "components": {"timetable": net.timetable is not None, "streets": net.streets is not None,
                           "geocoder": net.geocoder is not None},
            "period": tt.get("period"), "bbox": tt.get("bbox"), "feeds": feeds, "counts": counts,
            "inputs": [{k: i.get(k) for k in ("kind", "feed", "sha256")} for i in m.get("inputs", [])],
            "options": m.get("options", {}), "limits": limits}
