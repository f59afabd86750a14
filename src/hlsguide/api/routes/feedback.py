"""``POST /v1/feedback``: a rating on an answer, for the learning loop."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hlsguide.admission.callers import AskCaller
from hlsguide.bootstrap.deps import StoreDep
from hlsguide.privacy.owners import SECRET_MIN_CHARS
from hlsguide.storage import AnswerNotFoundError
from hlsguide.storage.answer_log import add_feedback

router = APIRouter(prefix="/v1", tags=["feedback"])


class FeedbackRequest(BaseModel):
    answer_id: str = Field(max_length=64, examples=["3f2c..."])
    rating: Literal[-1, 1] = Field(description="1 helpful, -1 not helpful.")
    comment: str | None = Field(None, max_length=2000)
    conversation_secret: str | None = Field(
        None,
        min_length=SECRET_MIN_CHARS,
        max_length=128,
        description="Without an API key: the conversation_secret returned with the answer.",
    )


class FeedbackResponse(BaseModel):
    id: int
    answer_id: str
    outcome: Literal["recorded", "changed", "unchanged"] = Field(
        description="A first vote, one replacing this caller's earlier vote, or a repeat."
    )


@router.post(
    "/feedback",
    status_code=201,
    responses={
        200: {"description": "This caller's earlier vote on the answer, replaced or repeated"},
        404: {"description": "Unknown answer, or one of another caller's conversations"},
    },
)
async def feedback(
    body: FeedbackRequest, caller: AskCaller, store: StoreDep, response: Response
) -> FeedbackResponse:
    """Record whether an answer helped. Each caller has one vote per answer, on the answers of
    its own conversations: a second vote replaces the first."""
    voter = caller.owner(body.conversation_secret).id
    try:
        vote = await run_in_threadpool(
            add_feedback, store, body.answer_id, body.rating, body.comment, voter, voter
        )
    except AnswerNotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    if vote.outcome != "recorded":
        response.status_code = 200
    return FeedbackResponse(id=vote.id, answer_id=body.answer_id, outcome=vote.outcome)
