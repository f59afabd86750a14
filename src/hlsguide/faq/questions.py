"""Question files for a batch: plain text (one a line), CSV (a ``question`` column, optional
``group`` and ``id``) or YAML (a list of strings or of mappings, or ``questions:`` as in the
evaluation sets, whose ``category`` serves as the group)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

TEXT_SUFFIXES = (".txt", ".text")
CSV_SUFFIXES = (".csv",)
YAML_SUFFIXES = (".yaml", ".yml")


class FaqQuestion(BaseModel):
    """One question of a batch. ``id`` is stable across runs: the checkpoint keys on it."""

    id: str = Field(min_length=1, max_length=128)
    question: str
    group: str | None = Field(None, max_length=200)

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value

    @field_validator("group")
    @classmethod
    def _blank_group_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value else None


def _default_id(position: int) -> str:
    return f"q{position:03d}"


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ValueError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from exc


def _from_lines(text: str) -> list[dict]:
    """Non-blank lines; a line starting with '#' is a comment."""
    lines = [line.strip() for line in text.splitlines()]
    return [{"question": line} for line in lines if line and not line.startswith("#")]


def _from_csv(text: str, path: Path) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "question" not in columns:
        found = ", ".join(repr(c) for c in columns) or "none"
        raise ValueError(f"{path}: needs a 'question' column (found {found})")
    rows = []
    for line, row in enumerate(reader, start=2):
        question = (row.get(columns["question"]) or "").strip()
        if not question:
            if any((value or "").strip() for value in row.values() if isinstance(value, str)):
                raise ValueError(f"{path}: line {line}: the question is empty")
            continue  # a blank row
        item = {"question": question, "line": line}
        for name in ("group", "id"):
            if name in columns and (value := (row.get(columns[name]) or "").strip()):
                item[name] = value
        rows.append(item)
    return rows


def _from_yaml(text: str, path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    if isinstance(data, dict):
        data = data.get("questions")
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of questions or a 'questions:' list")
    items = []
    for n, entry in enumerate(data, start=1):
        if isinstance(entry, str):
            items.append({"question": entry})
        elif isinstance(entry, dict) and isinstance(entry.get("question"), str):
            item = {"question": entry["question"]}
            group = entry.get("group", entry.get("category"))
            if group is not None:
                item["group"] = str(group)
            if entry.get("id") is not None:
                item["id"] = str(entry["id"])
            items.append(item)
        else:
            raise ValueError(f"{path}: item {n} is neither a question nor a mapping with one")
    return items


def read_questions(path: Path) -> list[FaqQuestion]:
    """Read a question file; raise ValueError naming the file and the problem."""
    if path.suffix.lower() not in TEXT_SUFFIXES + CSV_SUFFIXES + YAML_SUFFIXES:
        raise ValueError(f"{path}: QUESTIONS must be a .txt, .csv, .yaml or .yml file")
    return parse_questions(_text(path), path)


def parse_questions(text: str, path: Path) -> list[FaqQuestion]:
    """Questions from the text of a question file; ``path`` names its format (by suffix,
    plain lines unless .csv or .yaml) and the file in error messages."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        raw = _from_csv(text, path)
    elif suffix in YAML_SUFFIXES:
        raw = _from_yaml(text, path)
    else:
        raw = _from_lines(text)
    if not raw:
        raise ValueError(f"{path}: no questions found")
    questions: list[FaqQuestion] = []
    seen: set[str] = set()
    for position, item in enumerate(raw, start=1):
        where = f"line {item.pop('line')}" if "line" in item else f"question {position}"
        item.setdefault("id", _default_id(position))
        try:
            question = FaqQuestion.model_validate(item)
        except ValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(p) for p in problem["loc"])
            raise ValueError(f"{path}: {where}: {field}: {problem['msg']}") from exc
        if question.id in seen:
            raise ValueError(f"{path}: {where}: the id '{question.id}' is used twice")
        seen.add(question.id)
        questions.append(question)
    return questions
