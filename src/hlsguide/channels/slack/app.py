"""The Slack app: a slack-bolt ``AsyncApp`` answering mentions, direct messages and ``/hls``.

Slack wants an acknowledgement within 3 seconds; an answer takes longer. Every listener acks
at once and answers in a bolt lazy listener: it posts a placeholder, asks the answer core in a
worker thread, then replaces the placeholder with the answer (``chat.update``, or the slash
command's ``response_url``). Slack resends an event it thinks failed (``X-Slack-Retry-Num``);
the event id is claimed in the database first, so no worker answers an event twice.
"""

from __future__ import annotations

import asyncio
import logging
import re

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from hlsguide.admission.chat import ChatAdmission
from hlsguide.admission.limits import OverloadedError
from hlsguide.answer.questions import QuestionError
from hlsguide.answer.service import AnswerService
from hlsguide.channels.chat import ChatChannel
from hlsguide.channels.slack.blocks import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    SlackMessage,
    answer_message,
    notice_message,
    usage_message,
)
from hlsguide.channels.slack.mrkdwn import plain_question
from hlsguide.config import Settings
from hlsguide.retrieval.service import IndexNotReadyError
from hlsguide.storage import Store
from hlsguide.storage.channel_events import claim_event

log = logging.getLogger(__name__)

CHANNEL = "slack"
COMMAND = "/hls"
PLACEHOLDER = "Looking that up…"
_FEEDBACK_ACTION = re.compile(f"^({FEEDBACK_UP}|{FEEDBACK_DOWN})$")
_ANSWER_ID = re.compile(r"^[0-9a-f]{32}$")


class SlackResponder(ChatChannel):
    """The listeners: each turns a Slack request into a question for the answer core and
    the answer into a Slack message."""

    name = CHANNEL

    async def acknowledge(self, ack) -> None:
        """Events: ack at once; the lazy listener does the work."""
        await ack()

    async def on_mention(self, event: dict, body: dict, client: AsyncWebClient) -> None:
        """``@hlsguide question`` in a channel: answer in the message's thread. A mention in a
        thread continues the conversation that thread already holds."""
        channel = event["channel"]
        if channel.startswith("D"):
            return  # direct messages arrive as message.im too, and are answered there
        root = event.get("thread_ts") or event["ts"]
        user = event.get("user") or "unknown"
        await self._answer_event(
            body,
            client,
            event.get("text", ""),
            channel,
            root,
            _thread_key(body, user, channel, root),
            user,
        )

    async def on_message(self, event: dict, body: dict, client: AsyncWebClient) -> None:
        """A direct message: answered in the conversation, or in its thread when the message
        was written in one. The whole direct-message channel is one conversation."""
        if (
            event.get("channel_type") != "im"
            or event.get("subtype")
            or event.get("bot_id")
            or not event.get("user")
        ):
            return  # our own posts and their edits, joins, changes: nothing to answer
        channel, user = event["channel"], event["user"]
        root = event.get("thread_ts")
        key = _thread_key(body, user, channel, root)
        await self._answer_event(body, client, event.get("text", ""), channel, root, key, user)

    async def _answer_event(
        self,
        body: dict,
        client: AsyncWebClient,
        text: str,
        channel: str,
        thread_ts: str | None,
        thread_key: str,
        user: str,
    ) -> None:
        event_id = body.get("event_id")
        if event_id and not await asyncio.to_thread(claim_event, self.store, CHANNEL, event_id):
            log.info("Slack redelivered event %s; it is already answered", event_id)
            return
        question = plain_question(text)
        if not question:
            await client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, **usage_message().as_kwargs()
            )
            return
        placeholder = await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, **notice_message(PLACEHOLDER).as_kwargs()
        )
        message = await self.answer(question, thread_key, user)
        try:
            await client.chat_update(
                channel=placeholder["channel"], ts=placeholder["ts"], **message.as_kwargs()
            )
        except SlackApiError as exc:
            log.error("Slack refused the answer message: %s", exc.response.get("error"))
            await client.chat_update(
                channel=placeholder["channel"],
                ts=placeholder["ts"],
                **notice_message("Sorry, the answer could not be shown in Slack.").as_kwargs(),
            )

    async def acknowledge_command(self, ack, command: dict) -> None:
        """``/hls question``: ack with the placeholder (only the asker sees it), or with how
        to ask when there is no question."""
        if plain_question(command.get("text", "")):
            await ack(response_type="ephemeral", **notice_message(PLACEHOLDER).as_kwargs())
        else:
            await ack(response_type="ephemeral", **usage_message().as_kwargs())

    async def on_command(self, command: dict, respond) -> None:
        """Replace the placeholder with the answer, shown to the asker (slash commands leave no
        message in the channel, so the answer repeats the question)."""
        question = plain_question(command.get("text", ""))
        if not question:
            return
        user = command.get("user_id") or "unknown"
        message = await self.answer(question, None, user, show_question=True)
        await respond(response_type="ephemeral", replace_original=True, **message.as_kwargs())

    async def on_feedback(self, ack, action: dict, body: dict, respond) -> None:
        """👍/👎 on an answer, stored with it: one vote per person and answer, which the other
        button changes and repeated clicks leave as it is."""
        await ack()
        answer_id = action.get("value") or ""
        if not _ANSWER_ID.match(answer_id):
            await _tell(respond, "That button does not belong to an hlsguide answer.")
            return
        rating = 1 if action["action_id"] == FEEDBACK_UP else -1
        user_id = (body.get("user") or {}).get("id") or "unknown"
        await _tell(respond, await self.record_vote(answer_id, rating, self.owner(user_id).id))

    async def answer(
        self, question: str, thread_key: str | None, user: str, show_question: bool = False
    ) -> SlackMessage:
        """Ask the answer core (in a worker thread: it is CPU-bound) as Slack ``user``, and
        render the answer, or a message saying why there is none."""
        if await self.admission.over_rate(f"{CHANNEL}:{user}"):
            return notice_message(
                f"You have reached the limit of {self.admission.per_minute} questions a minute. "
                "Please wait a little before asking again."
            )
        try:
            answer = await self.ask_in_thread(question, thread_key, self.owner(user))
        except QuestionError as exc:
            return notice_message(f"I can't take that question: {exc}.")
        except IndexNotReadyError:
            return notice_message("The guide is still building its index. Ask again in a minute.")
        except OverloadedError:
            return notice_message("The guide is busy right now. Please ask again shortly.")
        except Exception:
            log.exception("answering a Slack question failed")
            return notice_message("Sorry, something went wrong while answering. Please try again.")
        return answer_message(answer, asked=question if show_question else None)


def _thread_key(body: dict, user: str, channel: str, thread_ts: str | None = None) -> str:
    """Workspace, channel, thread root and user: one person's conversation in a thread (in a
    shared thread each person continues their own, as conversations belong to their asker)."""
    workspace = body.get("team_id") or body.get("enterprise_id") or ""
    return ":".join(part for part in (workspace, channel, thread_ts, user) if part)


async def _tell(respond, text: str) -> None:
    """An ephemeral note to the person who clicked; the answer message stays as it was."""
    await respond(response_type="ephemeral", replace_original=False, text=text)


def build_slack_app(
    settings: Settings,
    answers: AnswerService,
    store: Store,
    admission: ChatAdmission | None = None,
) -> AsyncApp:
    """The bolt app. Requests are verified with the signing secret (bolt refuses a bad
    signature or a timestamp more than 5 minutes off with 401). ``authorize`` hands bolt the
    configured bot token, so bolt never calls ``auth.test``; the Web API client talks to
    ``HLSGUIDE_SLACK_API_URL``. ``admission`` holds the API's answer gate and the per-user rate
    limit, when given."""
    if settings.slack_signing_secret is None or settings.slack_bot_token is None:
        raise ValueError("Slack needs HLSGUIDE_SLACK_SIGNING_SECRET and HLSGUIDE_SLACK_BOT_TOKEN")
    bot_token = settings.slack_bot_token.get_secret_value()

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=bot_token)

    app = AsyncApp(
        name="hlsguide",
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=AsyncWebClient(base_url=settings.slack_api_url),
        authorize=authorize,
    )
    responder = SlackResponder(answers, store, admission)
    app.event("app_mention")(ack=responder.acknowledge, lazy=[responder.on_mention])
    app.event("message")(ack=responder.acknowledge, lazy=[responder.on_message])
    app.command(COMMAND)(ack=responder.acknowledge_command, lazy=[responder.on_command])
    app.action(_FEEDBACK_ACTION)(responder.on_feedback)
    return app
