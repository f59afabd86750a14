"""Channels: where the guide meets people (chat apps, the widget, OpenAI clients, MCP hosts).

Every channel calls the one answer core (``hlsguide.answer.service.AnswerService``) and renders
its answer in its own medium, with its sources visible."""
