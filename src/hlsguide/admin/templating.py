"""Jinja2 templates of the console, autoescaped: text from users and documents is always
escaped; only markup built by our own renderers (answer Markdown, chart SVG) is marked safe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from hlsguide.admin.security import HEADERS

_env = Environment(
    loader=PackageLoader("hlsguide.admin", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(moment: datetime | None) -> str:
    return f"{moment:%d %b %Y %H:%M} UTC" if moment else "never"


_env.filters["when"] = _when


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a console page with the console's security headers."""
    body = _env.get_template(template).render(
        request=request,
        path=request.url.path,
        signed=getattr(request.state, "signed", None),
        **context,
    )
    return HTMLResponse(body, status_code=status_code, headers=HEADERS)
