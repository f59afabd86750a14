"""Data formats: JSON (the whole report, every field, citations structured) and CSV (one row
per question, for spreadsheets)."""

from __future__ import annotations

import csv
import io

from hlsguide.faq.results import BatchReport, ItemResult, answer_body

CSV_COLUMNS = [
    "id",
    "group",
    "question",
    "status",
    "answer",
    "sources",
    "publications",
    "mode",
    "refused",
    "curated",
    "fallback",
    "confidence",
    "answer_id",
    "error",
]
# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_json(report: BatchReport) -> str:
    """The report as JSON: exactly the BatchReport model."""
    return report.model_dump_json(indent=2) + "\n"


def spreadsheet_cell(value: object) -> str:
    """The value as CSV text that a spreadsheet shows rather than runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(item: ItemResult) -> dict[str, object]:
    row: dict[str, object] = {
        "id": item.id,
        "group": item.group,
        "question": item.question,
        "status": item.status,
        "mode": item.mode,
        "error": item.error,
    }
    if item.answer is not None:
        answer = item.answer
        sources = [
            f"[{c.n}] {c.title}{f' > {c.heading}' if c.heading else ''} ({c.location})"
            for c in answer.citations
        ]
        publications = dict.fromkeys(p.formatted for c in answer.citations for p in c.publications)
        row |= {
            "answer": answer_body(answer),
            "sources": "\n".join(sources),
            "publications": "\n".join(publications),
            "refused": answer.refused,
            "curated": answer.curated,
            "fallback": answer.fallback,
            "confidence": answer.confidence,
            "answer_id": answer.answer_id,
        }
    return row


def render_csv(report: BatchReport) -> str:
    """One row per question, in input order."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in report.items:
        row = _row(item)
        writer.writerow({column: spreadsheet_cell(row.get(column)) for column in CSV_COLUMNS})
    return buffer.getvalue()
