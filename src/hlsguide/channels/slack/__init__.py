"""Slack: the guide as a Slack app (mentions, direct messages, ``/hls``), served by bolt at
``POST /slack/events`` when ``HLSGUIDE_SLACK_SIGNING_SECRET`` and ``HLSGUIDE_SLACK_BOT_TOKEN``
are set. ``manifest.yaml`` installs the app in a workspace."""

from hlsguide.channels.slack.routes import slack_router

__all__ = ["slack_router"]
