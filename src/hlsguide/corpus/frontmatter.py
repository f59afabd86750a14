"""Front matter of corpus Markdown: split, parse and validate against the corpus contract."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import Field

from hlsguide.types import ID_PATTERN, KINDS, PRINCIPLES, DocumentMetadata

FOLDER_KIND = {"concepts": "concept", "practices": "practice", "cases": "case", "sources": "source"}
CASE_FIELDS = ("place", "sector", "period")
_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


class FrontMatterError(ValueError):
    """The front matter is missing, is not YAML, or breaks the corpus contract."""


@dataclass(frozen=True)
class Contract:
    """Required ids per kind and the topic vocabulary, loaded from ``contract.yaml``."""

    required: dict[str, list[str]]
    topics: frozenset[str]

    @property
    def required_ids(self) -> set[str]:
        return {doc_id for ids in self.required.values() for doc_id in ids}


@cache
def load_contract() -> Contract:
    """Read the packaged corpus contract."""
    data = yaml.safe_load(resources.files("hlsguide.corpus").joinpath("contract.yaml").read_text())
    return Contract(required=data["required"], topics=frozenset(data["topics"]))


class FrontMatter(DocumentMetadata):
    """Validated front matter of one corpus document; ``extra`` holds the fields beyond the
    metadata every document has (a case's place, sector and period)."""

    extra: dict[str, Any] = Field(default_factory=dict)


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """Return (front matter mapping, body, character offset of the body in ``text``)."""
    match = _FENCE.match(text)
    if not match:
        raise FrontMatterError("no YAML front matter (the file must start with a '---' block)")
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a YAML mapping")
    return data, text[match.end() :], match.end()


def _string_list(data: dict[str, Any], key: str, problems: list[str]) -> list[str]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"'{key}' must be a list of strings")
        return []
    return value


def validate_front_matter(
    data: dict[str, Any], *, expected_id: str | None = None, expected_kind: str | None = None
) -> FrontMatter:
    """Check ``data`` against the contract; raise FrontMatterError listing every problem."""
    problems: list[str] = []
    contract = load_contract()
    for key in ("id", "title", "kind", "summary"):
        if not isinstance(data.get(key), str) or not data.get(key, "").strip():
            problems.append(f"'{key}' is required and must be a non-empty string")
    doc_id = str(data.get("id", ""))
    if doc_id and not ID_PATTERN.match(doc_id):
        problems.append(f"id '{doc_id}' is not a lower-case slug")
    if expected_id is not None and doc_id and doc_id != expected_id:
        problems.append(f"id '{doc_id}' does not equal the file name '{expected_id}'")
    kind = data.get("kind")
    if kind not in KINDS:
        problems.append(f"kind '{kind}' is not one of {', '.join(KINDS)}")
    elif expected_kind is not None and kind != expected_kind:
        problems.append(f"kind '{kind}' does not match its folder (expected '{expected_kind}')")
    principles = _string_list(data, "principles", problems)
    if bad := [p for p in principles if p not in PRINCIPLES]:
        problems.append(f"unknown principles {bad}; allowed: {', '.join(PRINCIPLES)}")
    topics = _string_list(data, "topics", problems)
    if not 1 <= len(topics) <= 6:
        problems.append(f"'topics' must have 1 to 6 entries, has {len(topics)}")
    if bad := [t for t in topics if t not in contract.topics]:
        problems.append(f"topics not in the vocabulary: {bad}")
    references = _string_list(data, "references", problems)
    if kind == "case":
        for key in CASE_FIELDS:
            if not isinstance(data.get(key), str | int) or not str(data.get(key)).strip():
                problems.append(f"case documents need '{key}'")
    if problems:
        raise FrontMatterError("; ".join(problems))
    known = {"id", "title", "kind", "summary", "principles", "topics", "references"}
    return FrontMatter(
        id=doc_id,
        title=data["title"].strip(),
        kind=str(kind),
        summary=data["summary"].strip(),
        principles=principles,
        topics=topics,
        references=references,
        extra={k: v for k, v in data.items() if k not in known},
    )
