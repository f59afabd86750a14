"""Browser-facing policy for the widget: the Content-Security-Policy of the pages we serve and
the CORS middleware for intranet pages that embed the widget from another origin."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from hlsguide.config import Settings

# The widget needs nothing beyond its own origin: scripts, styles, images and API calls all come
# from here, and answers never load anything from elsewhere.
_STRICT_SOURCES = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
)


def content_security_policy(settings: Settings) -> str:
    """The CSP of the demo page and widget.js; ``frame-ancestors`` comes from configuration
    (``'none'`` unless HLSGUIDE_FRAME_ANCESTORS lists who may frame us)."""
    ancestors = " ".join(settings.frame_ancestors) or "'none'"
    return "; ".join((*_STRICT_SOURCES, f"frame-ancestors {ancestors}"))


def security_headers(settings: Settings) -> dict[str, str]:
    """Headers for every widget response."""
    headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if not settings.frame_ancestors:
        # Only for browsers without CSP level 2; frame-ancestors wins where both are read, and
        # X-Frame-Options cannot express an allow-list, so it is sent only when framing is off.
        headers["X-Frame-Options"] = "DENY"
    return headers


def add_cors(app: FastAPI, settings: Settings) -> None:
    """Let the configured intranet origins call the API from a browser. No cookies are used,
    so credentials stay off; only the methods and headers the widget sends are allowed."""
    if not settings.cors_origins:
        return  # same-origin only: browsers refuse cross-origin calls without CORS headers
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Accept"],
        allow_credentials=False,
        max_age=600,
    )
