"""Microsoft Teams: a bot on the Microsoft 365 Agents SDK at ``POST /api/messages``.

Answers personal chats and @mentions in channels and group chats with an Adaptive Card (the
answer, numbered sources with their publications, feedback actions). ``README.md`` in this
package explains the app manifest template and its icons."""

from hlsguide.channels.teams.auth import TeamsConfigError
from hlsguide.channels.teams.routes import mount_teams

__all__ = ["TeamsConfigError", "mount_teams"]
