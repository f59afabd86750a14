"""The Teams bot: an ``AgentApplication`` that answers personal chats and @mentions in channels
and group chats with an Adaptive Card, and stores the feedback given on it.

Teams waits about 15 seconds for the HTTP reply to an activity, and an answer (an LLM answer
above all) can take longer. So a message is acknowledged at once (202, with a typing indicator)
and answered after the response has been sent: the answer goes to the conversation through the
connector as a proactive reply to the question, with the identity the activity came with. A
caller that wants the replies in the HTTP response (``deliveryMode: expectReplies``) is
answered inline. Teams may deliver an activity twice; its id is claimed in the database first,
so no worker answers it twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    DeliveryModes,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    ClaimsIdentity,
    Connections,
    MemoryStorage,
    MessageFactory,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.app.adaptive_card import factory
from microsoft_agents.hosting.fastapi import CloudAdapter

from hlsguide.admission.chat import ChatAdmission
from hlsguide.admission.limits import OverloadedError
from hlsguide.answer.questions import QuestionError
from hlsguide.answer.service import AnswerService
from hlsguide.channels.chat import ChatChannel
from hlsguide.channels.teams.cards import (
    COMMENT_INPUT,
    COMMENT_MAX_CHARS,
    FEEDBACK_VERB,
    answer_card,
    card_message,
    summary_of,
)
from hlsguide.privacy.owners import Owner
from hlsguide.retrieval.service import IndexNotReadyError
from hlsguide.storage import Store
from hlsguide.storage.channel_events import claim_event

log = logging.getLogger(__name__)

CHANNEL = "teams"
SHARED_CONVERSATIONS = {"channel", "groupChat"}
HELP = (
    "Ask me about commissioning and funding public services in complexity, for example "
    "*How can we commission without outcome targets?* In a channel, @mention me with your "
    "question. Each answer lists the sources it rests on."
)
WELCOME = (
    "Hello, I am hlsguide: cited guidance on Human Learning Systems for commissioners. " + HELP
)
_AT_MENTION = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_ANSWER_ID = re.compile(r"^[0-9a-f]{32}$")

Job = Callable[[], Awaitable[None]]
_deferred: ContextVar[list[Job] | None] = ContextVar("hlsguide_teams_deferred", default=None)


@contextmanager
def deferring() -> Iterator[list[Job]]:
    """Collect the work turns defer while this block runs (the route runs it once the
    response has been sent)."""
    jobs: list[Job] = []
    token = _deferred.set(jobs)
    try:
        yield jobs
    finally:
        _deferred.reset(token)


def plain_question(text: str) -> str:
    """The question in a Teams message: other people's @mentions as their names (ours is
    already removed by the SDK), HTML entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_AT_MENTION.sub(r"\1", text)).split())


def thread_key(activity: Activity) -> str:
    """One person's conversation in a Teams chat: a personal chat, a group chat or one
    channel thread (Teams gives each channel thread its own conversation id), and the sender
    (in a shared chat each person continues their own, as conversations belong to their
    asker)."""
    tenant = activity.conversation.tenant_id or ""
    return _digest(tenant, activity.conversation.id, user_id(activity))


def user_id(activity: Activity) -> str:
    """The sender: their Entra ID (AAD) object id, else their Teams id."""
    sender = activity.from_property
    return (sender.aad_object_id or sender.id or "unknown") if sender else "unknown"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _user_bucket(activity: Activity) -> str:
    """The rate-limit bucket of the person who sent ``activity``."""
    return f"{CHANNEL}:{user_id(activity)}"


def addresses_bot(activity: Activity) -> bool:
    """Personal chats always; channels and group chats only when the bot is @mentioned."""
    if activity.conversation.conversation_type not in SHARED_CONVERSATIONS:
        return True
    bot_id = activity.recipient.id if activity.recipient else None
    return any(m.mentioned and m.mentioned.id == bot_id for m in activity.get_mentions())


class TeamsBot(ChatChannel):
    """Routes Teams activities to the answer core and renders what it returns."""

    name = CHANNEL

    def __init__(
        self,
        answers: AnswerService,
        store: Store,
        adapter: CloudAdapter,
        connections: Connections,
        admission: ChatAdmission | None = None,
    ) -> None:
        super().__init__(answers, store, admission)
        self.adapter = adapter
        self.app = AgentApplication[TurnState](
            storage=MemoryStorage(),
            connection_manager=connections,
            # No conversation or user state: the database holds conversations.
            turn_state_factory=TurnState,
            remove_recipient_mention=True,
            start_typing_timer=False,
        )
        self.app.conversation_update("membersAdded")(self.on_members_added)
        self.app.adaptive_card.action_execute(FEEDBACK_VERB)(self.on_feedback)
        self.app.activity(ActivityTypes.message)(self.on_message)
        self.app.error(self.on_error)
        adapter.on_turn_error = self.on_error

    async def on_message(self, context: TurnContext, _state: TurnState) -> None:
        """A question: answered inline for ``expectReplies``, otherwise after the response."""
        activity = context.activity
        if not addresses_bot(activity):
            return  # a channel message not meant for us (only delivered with extra permissions)
        question = plain_question(activity.text or "")
        if not question:
            await context.send_activity(MessageFactory.text(HELP))
            return
        key = thread_key(activity)
        if activity.id:
            event = _digest(key, activity.id)
            if not await asyncio.to_thread(claim_event, self.store, CHANNEL, event):
                log.info("Teams redelivered activity %s; it is already answered", activity.id)
                return
        if await self.admission.over_rate(_user_bucket(activity)):
            await context.send_activity(
                MessageFactory.text(
                    f"You have asked {self.admission.per_minute} questions in the last minute, "
                    "the most the guide takes. Please ask again in a moment."
                )
            )
            return
        jobs = _deferred.get()
        if activity.delivery_mode == DeliveryModes.expect_replies or jobs is None:
            await context.send_activity(
                await self.reply(question, key, self.owner(user_id(activity)))
            )
            return
        await context.send_activity(Activity(type=ActivityTypes.typing))
        identity = context.identity or ClaimsIdentity()
        jobs.append(lambda: self.answer_later(identity, activity, question, key))

    async def answer_later(
        self, identity: ClaimsIdentity, activity: Activity, question: str, key: str
    ) -> None:
        """Answer ``question`` and post it as a reply to ``activity`` through the connector."""
        reply = await self.reply(question, key, self.owner(user_id(activity)))
        continuation = activity.get_conversation_reference().get_continuation_activity()
        continuation.id = activity.id  # the answer replies to the question (threads in channels)

        async def send(turn: TurnContext) -> None:
            await turn.send_activity(reply)

        try:
            await self.adapter.continue_conversation_with_claims(identity, continuation, send)
        except Exception:
            log.exception("Teams did not take the answer for conversation %s", key[:12])

    async def reply(self, question: str, key: str, owner: Owner) -> Activity:
        """Ask the answer core as ``owner`` (in a worker thread: it is CPU-bound) and render the
        answer as a card, or a message saying why there is none."""
        try:
            answer = await self.ask_in_thread(question, key, owner)
        except QuestionError as exc:
            return MessageFactory.text(f"I can't take that question: {exc}.")
        except IndexNotReadyError:
            return MessageFactory.text("The guide is still building its index. Ask again soon.")
        except OverloadedError:
            return MessageFactory.text("The guide is busy right now. Please ask again shortly.")
        except Exception:
            log.exception("answering a Teams question failed")
            return MessageFactory.text("Sorry, something went wrong while answering. Try again.")
        return card_message(answer_card(answer), summary_of(answer))

    async def on_feedback(
        self, context: TurnContext, _state: TurnState, data: object
    ) -> AdaptiveCardInvokeResponse:
        """A feedback button on an answer card (``Action.Execute``), with the optional comment
        typed into the card. One vote per person and answer: a new one replaces it."""
        if not isinstance(data, dict):
            return factory.bad_request("feedback data must be an object")
        answer_id, rating = data.get("answer_id"), data.get("rating")
        comment = data.get(COMMENT_INPUT)
        if not isinstance(answer_id, str) or not _ANSWER_ID.match(answer_id):
            return factory.bad_request("answer_id must be the 32-character id of an answer")
        if rating not in (1, -1) or isinstance(rating, bool):
            return factory.bad_request("rating must be 1 (helpful) or -1 (not helpful)")
        if comment is not None and not isinstance(comment, str):
            return factory.bad_request("comment must be text")
        comment = " ".join((comment or "").split()) or None
        if comment is not None and len(comment) > COMMENT_MAX_CHARS:
            return factory.bad_request(f"comment is longer than {COMMENT_MAX_CHARS} characters")
        voter = self.owner(user_id(context.activity)).id
        return factory.message(await self.record_vote(answer_id, rating, voter, comment))

    async def on_members_added(self, context: TurnContext, _state: TurnState) -> None:
        """Say hello when the bot is added to a chat or team."""
        bot_id = context.activity.recipient.id if context.activity.recipient else None
        if any(member.id == bot_id for member in context.activity.members_added or []):
            await context.send_activity(MessageFactory.text(WELCOME))

    async def on_error(self, context: TurnContext, error: Exception) -> None:
        """Log the failure; tell the user without revealing internals (the SDK's default
        handler would send them the exception text)."""
        log.error("Teams turn failed", exc_info=error)
        try:
            await context.send_activity(MessageFactory.text("Sorry, something went wrong."))
        except Exception:
            log.exception("could not tell the Teams user about the failure")
