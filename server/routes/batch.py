"""addok-compatible batch geocoding: POST /search/csv/ and /reverse/csv/ (multipart upload).

Form fields as addok-csv's: ``data`` (the CSV file), ``columns`` (repeated: joined into each
row's query; default every column), ``postcode`` / ``citycode`` (columns filtering each row),
``lat`` / ``lon`` (search: columns of a point to prefer results near; reverse: the coordinate
columns, default latitude/lat and longitude/lon/lng/long), ``result_columns`` (repeated),
``delimiter``, ``encoding``, ``quote``, ``with_bom``. The answer is the CSV, streamed as it is
geocoded: the same bytes as ``brique geocode-csv`` / ``reverse-csv`` with the same options (the
engine's ``CsvJob`` does both). Uploads are bounded by ``max_upload_bytes`` (413 JSON above it,
also for uploads without a Content-Length); a refused file (missing column, bad encoding,
no header) is a 400 JSON error before any CSV byte is sent.
"""
from __future__ import annotations

import asyncio
import zlib
from pathlib import PurePath
from urllib.parse import quote as url_quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile
from starlette.requests import Request as StarletteRequest

from ..deps import EngineDep, SettingsDep, require
from ..errors import ApiError
from ..schemas import COMPONENT_ERRORS, ErrorResponse

router = APIRouter(tags=["addok compatibility"], dependencies=[require("geocoder")])

#: Paths whose request bodies may reach Settings.max_upload_bytes (server.main's RequestLimits).
UPLOAD_PATHS = ("/search/csv/", "/search/csv", "/reverse/csv/", "/reverse/csv")
_RESPONSES = {**COMPONENT_ERRORS, 413: {"model": ErrorResponse, "description": "upload over max_upload_bytes"}}
_TRUE = frozenset({"1", "true", "yes", "on"})
#: charset names for Content-Type (Python codec name -> IANA name)
_CHARSET = {"utf-8-sig": "utf-8", "cp1252": "windows-1252", "iso8859-1": "iso-8859-1", "latin-1": "iso-8859-1",
            "utf-16": "utf-16"}
_DESCRIPTION = ("Multipart form: `data` (CSV file), `columns` (repeat), `postcode`, `citycode`, `lat`, `lon`, "
                "`result_columns` (repeat), `delimiter`, `encoding`, `quote`, `with_bom`. Answers the CSV "
                "with addok-csv's result columns, streamed.")
_OPENAPI = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["data"], "properties": {
        "data": {"type": "string", "format": "binary"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "result_columns": {"type": "array", "items": {"type": "string"}},
        **{k: {"type": "string"} for k in ("postcode", "citycode", "lat", "lon", "delimiter", "encoding", "quote",
                                           "with_bom")}}}}}},
    "responses": {"200": {"content": {"text/csv": {}}, "description": "the geocoded CSV"}}}


class _TooLarge(Exception):
    pass


async def _form(request: Request, limit: int):
    """The multipart form, reading at most ``limit`` body bytes (413 past them)."""
    received = 0
    receive = request.receive

    async def bounded():
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
        return message

    try:
        return await StarletteRequest(request.scope, bounded).form(max_files=1, max_fields=200)
    except _TooLarge:
        raise ApiError(413, "body_too_large", f"upload over {limit} bytes") from None


def _text(form, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return value if value != "" else None


def _list(form, name: str) -> list[str] | None:
    values = [v for v in form.getlist(name) if isinstance(v, str) and v != ""]
    return values or None


def _disposition(filename: str | None) -> str:
    """Content-Disposition of the answer: ``<stem>.geocoded.csv``; a name that is not printable
    ASCII (headers are Latin-1) is also given as RFC 6266's ``filename*`` in UTF-8."""
    stem = PurePath(filename or "data.csv").stem
    ascii_stem = "".join(c for c in stem if " " <= c <= "~" and c not in '"\\') or "data"
    value = f'attachment; filename="{ascii_stem}.geocoded.csv"'
    if ascii_stem != stem:
        value += f"; filename*=UTF-8''{url_quote(stem + '.geocoded.csv', safe='')}"
    return value


async def _run_csv(request: Request, net, settings, reverse: bool) -> StreamingResponse:
    form = await _form(request, settings.max_upload_bytes)
    upload = form.get("data")
    if not isinstance(upload, UploadFile):
        await form.close()
        raise ApiError(400, "invalid_parameter", "a CSV file is needed in the form field 'data'", "data")
    options = {"lat": _text(form, "lat"), "lon": _text(form, "lon"), "result_columns": _list(form, "result_columns"),
               "delimiter": _text(form, "delimiter"), "encoding": _text(form, "encoding"),
               "quote": _text(form, "quote"), "with_bom": (_text(form, "with_bom") or "").lower() in _TRUE}
    if not reverse:
        options.update(columns=_list(form, "columns"), postcode=_text(form, "postcode"),
                       citycode=_text(form, "citycode"))
    loop = asyncio.get_running_loop()
    executor = request.app.state.executor
    start = net.reverse_csv if reverse else net.geocode_csv
    try:
        job = await loop.run_in_executor(executor, lambda: start(upload.file, **options))
    except BaseException:
        await form.close()
        raise
    chunks = iter(job)
    # compressed here, fast (level 1), when the client accepts it: the app's gzip middleware
    # (level 9) would cost more CPU than the geocoding of a large file
    gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS) if gzip else None

    async def body():
        try:
            while True:
                chunk = await loop.run_in_executor(executor, next, chunks, None)
                if chunk is None:
                    break
                yield packer.compress(chunk) if packer else chunk
            if packer:
                yield packer.flush()
        finally:
            await form.close()

    charset = _CHARSET.get(job.encoding, job.encoding)
    headers = {"Content-Disposition": _disposition(upload.filename), "Vary": "Accept-Encoding"}
    if gzip:
        headers["Content-Encoding"] = "gzip"
    return StreamingResponse(body(), media_type=f"text/csv; charset={charset}", headers=headers)


@router.post("/search/csv", include_in_schema=False)
@router.post("/search/csv/", summary="addok-compatible batch geocoding of a CSV file", description=_DESCRIPTION,
             openapi_extra=_OPENAPI, response_class=StreamingResponse, responses=_RESPONSES)
async def search_csv(request: Request, net: EngineDep, settings: SettingsDep):
    return await _run_csv(request, net, settings, reverse=False)


@router.post("/reverse/csv", include_in_schema=False)
@router.post("/reverse/csv/", summary="addok-compatible batch reverse geocoding of a CSV file",
             description=_DESCRIPTION, openapi_extra=_OPENAPI, response_class=StreamingResponse,
             responses=_RESPONSES)
async def reverse_csv(request: Request, net: EngineDep, settings: SettingsDep):
    return await _run_csv(request, net, settings, reverse=True)
