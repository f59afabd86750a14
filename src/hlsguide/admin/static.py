"""``/admin/static/``: the console's stylesheet and script, public (the sign-in page uses
them), with an ETag so browsers revalidate cheaply."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

from hlsguide.admin.security import HEADERS

FILES = {"admin.css": "text/css; charset=utf-8", "admin.js": "text/javascript; charset=utf-8"}
FOLDER = Path(__file__).parent / "static"

router = APIRouter(prefix="/admin/static")


@cache
def _load(name: str) -> tuple[bytes, str]:
    body = (FOLDER / name).read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


@router.get("/{name}", include_in_schema=False)
def static_file(name: str, request: Request) -> Response:
    """One of the console's own files; nothing else is served from here."""
    if name not in FILES:
        raise HTTPException(404, "no such file")
    body, etag = _load(name)
    headers = {**HEADERS, "ETag": etag, "Cache-Control": "no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=FILES[name], headers=headers)
