"""``POST /v1/feedback``: a rating on an answer, for the learning loop."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hlsguide.bootstrap.deps import StoreDep
from hlsguide.storage import AnswerNotFoundError
from hlsguide.storage.answer_log import add_feedback

router = APIRouter(prefix="/v1", tags=["feedback"])


class FeedbackRequest(BaseModel):
    answer_id: str = Field(max_length=64, examples=["3f2c..."])
    rating: Literal[-1, 1] = Field(description="1 helpful, -1 not helpful.")
    comment: str | None = Field(None, max_length=2000)


class FeedbackResponse(BaseModel):
    id: int
    answer_id: str


@router.post("/feedback", status_code=201, responses={404: {"description": "Unknown answer"}})
async def feedback(body: FeedbackRequest, store: StoreDep) -> FeedbackResponse:
    """Record whether an answer helped."""
    try:
        feedback_id = await run_in_threadpool(
            add_feedback, store, body.answer_id, body.rating, body.comment
        )
    except AnswerNotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    return FeedbackResponse(id=feedback_id, answer_id=body.answer_id)
