"""The gaps report as Markdown (to read) or CSV (one row per finding, for a spreadsheet)."""

from __future__ import annotations

import csv
import io
import re

from hlsguide.faq.formats.structured import spreadsheet_cell
from hlsguide.insights.report import InsightsReport

CSV_COLUMNS = [
    "section",
    "rank",
    "item",
    "count",
    "refused",
    "confidence",
    "detail",
    "last_seen",
]
TOPIC_HEADINGS = {
    "principle": "HLS principles the questions touch",
    "framing": "Framings the lens flagged",
    "topic": "Topics of the documents cited",
}


# Punctuation that can start Markdown or HTML markup: links, images, autolinks, raw HTML,
# entities, emphasis, code, table cells. Each is backslash-escaped, so users' questions and
# comments read as the text they typed in any Markdown viewer.
_MARKUP_CHARACTERS = re.compile(r"([\\`*_\[\]<>!|&~])")


def _cell(text: object) -> str:
    """User text as literal Markdown on one line, safe inside a table cell."""
    return _MARKUP_CHARACTERS.sub(r"\\\1", " ".join(str(text).split()))


def render_markdown(report: InsightsReport) -> str:
    """A report a curator reads top to bottom: what to write next."""
    period = f"since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else "all time"
    lines = [
        "# What the guide answers poorly",
        "",
        f"{report.answers} answers ({period}): {report.refused} refused, "
        f"{report.low_confidence} answered with confidence below {report.below}; "
        f"feedback {report.votes_up} up, {report.votes_down} down.",
        "",
        "## Refused and low-confidence questions, grouped by similarity",
        "",
    ]
    if report.gaps:
        lines += [
            "| # | question | asked | refused | mean confidence | also asked as |",
            "|---|---|---|---|---|---|",
        ]
        for n, gap in enumerate(report.gaps, start=1):
            others = "; ".join(f"{_cell(a.question)} ({a.count})" for a in gap.asked_as[1:])
            lines.append(
                f"| {n} | {_cell(gap.question)} | {gap.asked} | {gap.refused} | "
                f"{gap.mean_confidence:.2f} | {others} |"
            )
        lines += ["", f"Questions are grouped at cosine similarity {report.similarity}."]
    else:
        lines.append("None.")
    lines += ["", "## Down-voted answers", ""]
    for entry in report.down_voted:
        state = "refused" if entry.refused else f"confidence {entry.confidence:.2f}"
        lines.append(
            f"- **{_cell(entry.question)}**: {entry.down} down, {entry.up} up ({state}, "
            f"{entry.mode}, {entry.answered_at:%Y-%m-%d}, answer `{entry.answer_id}`)"
        )
        lines += [f"  - “{_cell(comment)}”" for comment in entry.comments]
    if not report.down_voted:
        lines.append("None.")
    lines += ["", "## Most-asked topics", ""]
    for kind, heading in TOPIC_HEADINGS.items():
        counts = [t for t in report.topics if t.kind == kind]
        lines += [f"### {heading}", ""]
        lines += [f"- {_cell(t.name)}: {t.count}" for t in counts] or ["None."]
        lines.append("")
    if report.topics_note:
        lines += [f"*{report.topics_note}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def render_csv(report: InsightsReport) -> str:
    """Rows of sections gap, down-voted and topic:<kind>."""
    rows: list[dict[str, object]] = []
    for n, gap in enumerate(report.gaps, start=1):
        rows.append(
            {
                "section": "gap",
                "rank": n,
                "item": gap.question,
                "count": gap.asked,
                "refused": gap.refused,
                "confidence": gap.mean_confidence,
                "detail": "\n".join(f"{a.question} ({a.count})" for a in gap.asked_as[1:]),
                "last_seen": gap.last_asked.isoformat(),
            }
        )
    for n, entry in enumerate(report.down_voted, start=1):
        rows.append(
            {
                "section": "down-voted",
                "rank": n,
                "item": entry.question,
                "count": entry.down,
                "refused": int(entry.refused),
                "confidence": entry.confidence,
                "detail": "\n".join(entry.comments),
                "last_seen": entry.answered_at.isoformat(),
            }
        )
    ranks: dict[str, int] = {}
    for topic in report.topics:
        ranks[topic.kind] = ranks.get(topic.kind, 0) + 1
        rows.append(
            {
                "section": f"topic:{topic.kind}",
                "rank": ranks[topic.kind],
                "item": topic.name,
                "count": topic.count,
            }
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: spreadsheet_cell(row.get(c)) for c in CSV_COLUMNS})
    return buffer.getvalue()
