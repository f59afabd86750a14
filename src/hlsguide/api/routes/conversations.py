"""``GET`` and ``DELETE /v1/conversations/{id}``: a caller reads or erases its own
conversation. Anyone else is told it does not exist (404, never 403), so ids cannot be probed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hlsguide.admission.callers import AskCaller
from hlsguide.bootstrap.deps import StoreDep
from hlsguide.storage.conversations import delete_conversation, read_conversation
from hlsguide.storage.models import AnswerRecord

router = APIRouter(prefix="/v1", tags=["conversations"])

ConversationId = Annotated[str, Path(max_length=64)]
# Anonymous callers prove the conversation is theirs with the secret returned with it.
SecretHeader = Annotated[
    str | None,
    Header(
        alias="X-Conversation-Secret",
        max_length=128,
        description="Without an API key: the conversation_secret returned with its answers.",
    ),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown conversation, or another caller's"}
}


class StoredTurn(BaseModel):
    """A turn as stored: the answer is absent when the answer log is off."""

    answer_id: str
    question: str
    answer: str | None = None
    created_at: datetime


class StoredConversation(BaseModel):
    conversation_id: str
    created_at: datetime
    turns: list[StoredTurn] = Field(description="Oldest first.")


@router.get("/conversations/{conversation_id}", responses=NOT_FOUND)
async def get_conversation(
    conversation_id: ConversationId, caller: AskCaller, store: StoreDep, secret: SecretHeader = None
) -> StoredConversation:
    """The caller's conversation as stored (questions after redaction)."""
    owner = caller.owner(secret).id
    conversation, rows = await run_in_threadpool(read_conversation, store, conversation_id, owner)
    turns = [
        StoredTurn(
            answer_id=row.id,
            question=row.question,
            answer=row.answer if isinstance(row, AnswerRecord) else None,
            created_at=row.created_at,
        )
        for row in rows
    ]
    return StoredConversation(
        conversation_id=conversation.id, created_at=conversation.created_at, turns=turns
    )


@router.delete("/conversations/{conversation_id}", status_code=204, responses=NOT_FOUND)
async def erase_conversation(
    conversation_id: ConversationId, caller: AskCaller, store: StoreDep, secret: SecretHeader = None
) -> Response:
    """Erase the caller's conversation: its questions, answers, the feedback on them and its
    chat-thread links."""
    owner = caller.owner(secret).id
    await run_in_threadpool(delete_conversation, store, conversation_id, owner)
    return Response(status_code=204)
