"""ASGI entry point: ``uvicorn server:app``."""

from hlsguide.api.app import create_app
from hlsguide.config import Settings
from hlsguide.observability.logs import configure_logging

settings = Settings()
configure_logging(settings.log_level, settings.log_json)
app = create_app(settings)
