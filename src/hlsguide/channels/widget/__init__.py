"""The intranet widget: ``GET /widget.js`` (the ``<hls-guide>`` web component), ``GET /`` (a
demo page), and the browser-facing policy around them (CORS origins, CSP, framing)."""

from hlsguide.channels.widget.mount import mount_widget

__all__ = ["mount_widget"]
