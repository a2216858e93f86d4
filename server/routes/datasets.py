"""GET /v1/datasets: the catalogue of the bundle this server answers from (engine.datasets)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..deps import EngineDep, json_response

router = APIRouter(prefix="/v1", tags=["metadata"])


class Dataset(BaseModel):
    kind: str = Field(description="gtfs, osm or addresses")
    name: str
    file: str = Field(description="the input file's name")
    size: int | None = Field(None, description="bytes")
    sha256: str | None = None
    publisher: str | None = None
    publisher_url: str | None = None
    licence: str | None = None
    language: str | None = None
    version: str | None = None
    valid_from: str | None = Field(None, description="YYYY-MM-DD")
    valid_to: str | None = Field(None, description="YYYY-MM-DD")
    counts: dict[str, int] | None = None
    warnings: dict[str, int] | None = Field(None, description="build report issues about this input, by code")


class DatasetsResponse(BaseModel):
    datasets: list[Dataset]


@router.get("/datasets", response_model=DatasetsResponse, summary="the inputs this bundle holds")
async def datasets(net: EngineDep) -> Any:
    return json_response({"datasets": net.datasets()})
