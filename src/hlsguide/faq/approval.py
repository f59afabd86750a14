"""``hlsguide faq approve``: reviewed answers from a batch output become curated answers.

The batch output read is the JSON format of ``hlsguide faq`` (or its checkpoint file). Only
answered, non-refused items can be approved, and only when their sources hold in the current
index: an answer that could not be served is not worth approving.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from hlsguide.answer.curated import CuratedAnswer, CuratedAnswers, CuratedStore
from hlsguide.faq.checkpoint import SUFFIX as CHECKPOINT_SUFFIX
from hlsguide.faq.results import BatchReport, ItemResult, answer_body


@dataclass
class Approval:
    """What an approval run wrote and what it left out, with the reason."""

    written: dict[str, Path] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def load_batch(path: Path) -> list[ItemResult]:
    """Items of a batch output (JSON) or checkpoint (JSONL); ValueError says what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValueError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read ({exc})") from exc
    try:
        if path.name.endswith(CHECKPOINT_SUFFIX):
            items: dict[str, ItemResult] = {}
            for line in text.splitlines():
                if line.strip():
                    item = ItemResult.model_validate_json(line)
                    items[item.id] = item
            return list(items.values())
        return BatchReport.model_validate_json(text).items
    except (ValidationError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"{path}: not a batch output; approve reads the JSON output of 'hlsguide faq "
            f"--format json' or its {CHECKPOINT_SUFFIX} file"
        ) from exc


def approve(
    items: list[ItemResult],
    ids: list[str] | None,
    curated: CuratedAnswers,
    store: CuratedStore,
    approved_by: str | None = None,
) -> Approval:
    """Write a curated entry for each chosen item (all approvable ones when ``ids`` is None).
    Raises ValueError for an id the batch does not hold."""
    by_id = {item.id: item for item in items}
    if ids:
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise ValueError(f"no item with id {', '.join(repr(i) for i in unknown)} in the batch")
    chosen = [by_id[i] for i in dict.fromkeys(ids)] if ids else items
    result = Approval()
    for item in chosen:
        answer = item.answer
        if item.status != "ok" or answer is None:
            result.skipped[item.id] = f"not answered ({item.error or 'no answer'})"
            continue
        if answer.refused:
            result.skipped[item.id] = "the guide refused this question"
            continue
        citations, problem = curated.verify(answer.citations)
        if problem is not None:
            result.skipped[item.id] = problem
            continue
        earlier = store.existing(item.question)
        entry = CuratedAnswer(
            question=item.question,
            also_asked_as=earlier.also_asked_as if earlier else [],
            answer=answer_body(answer),
            citations=citations,
            mode=answer.mode,
            approved_by=approved_by,
            source_answer_id=answer.answer_id,
            index_version=curated.retrieval.snapshot().generation,
        )
        if broken := entry.problems():
            result.skipped[item.id] = "; ".join(broken)
            continue
        result.written[item.id] = store.write(entry)
    return result
