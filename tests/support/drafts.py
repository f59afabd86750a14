"""Specification drafts for the review tests: flagged and plain paragraphs, and a DOCX."""

from __future__ import annotations

import io

import docx
from docx.shared import Pt

FLAGGED = [
    "The Provider shall ensure that 90% of people referred are seen within five working days. "
    "Failure to meet this KPI for two quarters will result in a Performance Improvement Notice.",
    "Fifteen per cent of each quarterly payment will be withheld and released only on evidence "
    "that the outcome targets in Schedule 2 have been achieved.",
    "The contract will be awarded for twelve months, after which the service will be "
    "re-tendered through open competition.",
]
PLAIN = [
    "Partners will meet every six weeks for a learning review of what they tried and learned.",
    "The service shall operate between 9am and 5pm, Monday to Friday, from accessible premises.",
]


def draft_docx() -> bytes:
    """A draft with headings, bold and italic runs, sizes and a table, like a real one."""
    document = docx.Document()
    document.add_heading("Riverside support service: draft specification", level=1)
    body = [PLAIN[0], FLAGGED[0], PLAIN[1], FLAGGED[1], FLAGGED[2]]
    for text in body:
        paragraph = document.add_paragraph()
        head, _, tail = text.partition(" ")
        bold = paragraph.add_run(head + " ")
        bold.bold = True
        rest = paragraph.add_run(tail)
        rest.italic = text in FLAGGED
        rest.font.size = Pt(11)
    document.add_table(rows=1, cols=2).cell(0, 0).text = "Schedule 2"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
