"""ASGI entry point: ``uvicorn server:app``."""

from hlsguide.api.app import create_app
from hlsguide.config import Settings

app = create_app(Settings())
