"""The console for the people who run the guide: documents, batch FAQs and their review,
insights with charts, API keys. Server-rendered pages behind a session sign-in."""

from hlsguide.admin.mount import mount_admin

__all__ = ["mount_admin"]
