"""``GET /widget.js`` and ``GET /`` (with the demo page's stylesheet): static files served with
a strict Content-Security-Policy and an ETag, so intranet pages revalidate cheaply."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request, Response

from hlsguide.channels.widget.security import security_headers
from hlsguide.config import Settings

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    media_type: str
    etag: str


@cache
def _load(name: str, media_type: str) -> StaticFile:
    body = (STATIC / name).read_bytes()
    return StaticFile(body, media_type, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def _serve(request: Request, settings: Settings, name: str, media_type: str) -> Response:
    file = _load(name, media_type)
    headers = {**security_headers(settings), "ETag": file.etag, "Cache-Control": "no-cache"}
    if file.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = b"" if request.method == "HEAD" else file.body
    response = Response(body, media_type=media_type, headers=headers)
    response.headers["Content-Length"] = str(len(file.body))
    return response


def widget_router(settings: Settings) -> APIRouter:
    """The widget's static files, served under ``settings``' security headers."""
    router = APIRouter(tags=["widget"])

    @router.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    def widget_js(request: Request) -> Response:
        """The ``<hls-guide>`` web component; embed with one script tag."""
        return _serve(request, settings, "widget.js", "text/javascript; charset=utf-8")

    @router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def demo_page(request: Request) -> Response:
        """A demo page with the widget, as an intranet page would embed it."""
        return _serve(request, settings, "demo.html", "text/html; charset=utf-8")

    @router.api_route("/demo.css", methods=["GET", "HEAD"], include_in_schema=False)
    def demo_css(request: Request) -> Response:
        """The demo page's stylesheet (a file, since the CSP allows no inline styles)."""
        return _serve(request, settings, "demo.css", "text/css; charset=utf-8")

    return router
