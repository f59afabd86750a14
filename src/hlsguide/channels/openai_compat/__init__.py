"""The OpenAI-compatible API: ``/v1/models`` and ``/v1/chat/completions`` over the answer core."""

from hlsguide.channels.openai_compat.routes import router

__all__ = ["router"]
