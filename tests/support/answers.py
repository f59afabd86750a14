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


def retrieved_texts(answers, question: str) -> dict[str, str]:
    """The text of every chunk retrieved for ``question``, by id: the passages, and the chunks
    of the units found for it (each unit knows its chunk, so a lifted unit cites the passage it
    stands in)."""
    prepared = answers.prepare(question)
    texts = {h.chunk.id: h.chunk.text for h in prepared.passages}
    for candidate in prepared.candidates:
        texts[candidate.unit.chunk_id] = prepared.searcher.chunk(candidate.unit.chunk_id).text
    return texts
