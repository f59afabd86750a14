"""What the chat channels (Slack, Teams) share: questions asked from conversation threads
within the API's admission control, and feedback votes recorded once."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from hlsguide.admission.chat import ChatAdmission
from hlsguide.answer.service import AnswerService
from hlsguide.storage import AnswerNotFoundError, Store
from hlsguide.storage.answer_log import add_feedback
from hlsguide.storage.channel_events import claim_event, link_thread, thread_conversation
from hlsguide.types import Answer


class ChatChannel:
    """A chat surface over the answer core; ``name`` labels its answers, threads and claims.
    The store and the answer core are called in worker threads: both block."""

    name: ClassVar[str]

    def __init__(
        self, answers: AnswerService, store: Store, admission: ChatAdmission | None = None
    ) -> None:
        self.answers = answers
        self.store = store
        self.admission = admission or ChatAdmission()

    async def ask_in_thread(self, question: str, thread_key: str | None) -> Answer:
        """Answer ``question`` in an answer slot, continuing the conversation the thread holds
        (the answer's conversation becomes the thread's on its first question). Raises what
        the answer core and the gate raise (QuestionError, IndexNotReadyError, OverloadedError)."""
        conversation_id = None
        if thread_key:
            conversation_id = await asyncio.to_thread(
                thread_conversation, self.store, self.name, thread_key
            )
        async with self.admission.answer_slot():
            answer = await asyncio.to_thread(
                self.answers.ask, question, conversation_id=conversation_id, channel=self.name
            )
        if thread_key and conversation_id is None and answer.conversation_id:
            await asyncio.to_thread(
                link_thread, self.store, self.name, thread_key, answer.conversation_id
            )
        return answer

    async def record_vote(
        self, vote: str, answer_id: str, rating: int, comment: str | None = None
    ) -> str:
        """Store feedback on an answer once per ``vote`` (who voted what, as a digest); the
        note to show the voter."""
        if not await asyncio.to_thread(claim_event, self.store, f"{self.name}-feedback", vote):
            return "Your feedback on this answer is already recorded."
        try:
            await asyncio.to_thread(add_feedback, self.store, answer_id, rating, comment)
        except AnswerNotFoundError:
            return "That answer is no longer on record, so feedback cannot be kept."
        return "Thank you: your feedback is recorded and helps improve the guide."
