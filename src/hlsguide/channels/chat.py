"""What the chat channels (Slack, Teams) share: questions asked from conversation threads
within the API's admission control, and feedback votes recorded once."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from hlsguide.admission.chat import ChatAdmission
from hlsguide.answer.service import AnswerService
from hlsguide.channels.votes import VOTE_REPLIES
from hlsguide.privacy.owners import Owner, chat_owner
from hlsguide.storage import AnswerNotFoundError, Store
from hlsguide.storage.answer_log import add_feedback
from hlsguide.storage.channel_events import link_thread, thread_conversation
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

    def owner(self, user: str) -> Owner:
        """A chat user's conversations and votes are theirs, by an HMAC of their user id."""
        return chat_owner(self.name, user, self.store.pseudonym)

    async def ask_in_thread(self, question: str, thread_key: str | None, owner: Owner) -> Answer:
        """Answer ``question`` as ``owner`` in an answer slot, continuing the conversation the
        thread holds (the answer's conversation becomes the thread's on its first question).
        Raises what the answer core and the gate raise (QuestionError, IndexNotReadyError,
        OverloadedError)."""
        conversation_id = None
        if thread_key:
            conversation_id = await asyncio.to_thread(
                thread_conversation, self.store, self.name, thread_key
            )
        async with self.admission.answer_slot():
            answer = await asyncio.to_thread(
                self.answers.ask,
                question,
                conversation_id=conversation_id,
                channel=self.name,
                owner=owner,
            )
        if thread_key and conversation_id is None and answer.conversation_id:
            await asyncio.to_thread(
                link_thread, self.store, self.name, thread_key, answer.conversation_id
            )
        return answer

    async def record_vote(
        self, answer_id: str, rating: int, voter: str, comment: str | None = None
    ) -> str:
        """Store ``voter``'s vote on an answer (one per voter and answer: a second one replaces
        the first); the note to show the voter."""
        try:
            vote = await asyncio.to_thread(
                add_feedback, self.store, answer_id, rating, comment, voter
            )
        except AnswerNotFoundError:
            return "That answer is no longer on record, so feedback cannot be kept."
        return VOTE_REPLIES[vote.outcome]
