"""Minimal answers for storage tests: what the log and the conversation turns keep."""

from __future__ import annotations

from hlsguide.types import Answer, Lens


def numbered_answer(n: int, conversation_id: str, text: str = "") -> Answer:
    """Answer ``a{n}`` in ``conversation_id``, to the question ``question {n}``."""
    return Answer(
        answer_id=f"a{n}",
        question=f"question {n}",
        standalone_query=f"question {n}",
        answer=text,
        citations=[],
        lens=Lens(principles={}),
        mode="extractive",
        conversation_id=conversation_id,
    )
