"""``mount_widget``: what ``create_app`` calls to add the widget to the API."""

from __future__ import annotations

from fastapi import FastAPI

from hlsguide.channels.widget.routes import widget_router
from hlsguide.channels.widget.security import add_cors
from hlsguide.config import Settings


def mount_widget(app: FastAPI, settings: Settings) -> None:
    """Serve ``/widget.js`` and the demo page at ``/``; allow the configured CORS origins."""
    add_cors(app, settings)
    app.include_router(widget_router(settings))
