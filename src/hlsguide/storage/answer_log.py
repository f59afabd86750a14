"""What is kept of each answer: the learning log, or (log off) only what conversations need.

With ``HLSGUIDE_ANSWER_LOG=true`` (the default) every answer is stored in full: question,
standalone query, answer, citations, lens, confidence, mode, channel, refusal, fallback; it is
also the conversation's turn, and feedback attaches to it. Channel-supplied fields (a Slack
user id, a Teams tenant) are kept only when named in ``HLSGUIDE_LOG_CHANNEL_FIELDS``.

With ``HLSGUIDE_ANSWER_LOG=false`` nothing enters the learning log. A follow-up still needs the
conversation's earlier questions, so the question and its standalone form are kept as a bare
turn: never the answer, lens, confidence or channel data, only the last few turns of each
conversation, and none older than ``HLSGUIDE_TURN_RETENTION_HOURS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from hlsguide.config import Settings
from hlsguide.storage.store import Store
from hlsguide.types import Answer

# Follow-ups read at most this many earlier turns (Store.history's default).
TURNS_FOLLOW_UPS_NEED = 6
# A channel field is an identifier, not a document: longer values are cut.
MAX_CHANNEL_VALUE_CHARS = 200


class AnswerLog:
    """Records answers according to the logging settings."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def record(
        self, answer: Answer, channel: str, channel_data: Mapping[str, object] | None = None
    ) -> None:
        """Log ``answer`` in full, or keep its bare turn when the answer log is off."""
        if not self.settings.answer_log:
            keep_for = timedelta(hours=self.settings.turn_retention_hours)
            self.store.record_turn(answer, keep_for, TURNS_FOLLOW_UPS_NEED)
            return
        self.store.record_answer(answer, channel)
        kept = self.allowed(channel_data or {})
        if kept:
            self.store.record_channel_data(answer.answer_id, kept)

    def allowed(self, channel_data: Mapping[str, object]) -> dict[str, str]:
        """The channel fields the settings allow keeping, as short strings."""
        # Channel fields identify people (user_id): kept as pseudonyms, never as given.
        return {
            key: self.store.pseudonym(str(value)[:MAX_CHANNEL_VALUE_CHARS])
            for key, value in channel_data.items()
            if key in self.settings.log_channel_fields and value is not None
        }
