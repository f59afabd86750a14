"""A review written out: JSON, Markdown, a standalone HTML page, or the draft as DOCX with
Word comments anchored to the flagged paragraphs."""

from __future__ import annotations

import html
import io
from collections.abc import Iterator
from pathlib import Path

from hlsguide.corpus.loaders import _docx_hidden_reason
from hlsguide.documents.sniff import UnsupportedTypeError, sniff
from hlsguide.review.draft import paragraphs
from hlsguide.review.models import Finding, Review
from hlsguide.types import Citation, LensMatch, SourceDocument

FORMATS = (".docx", ".md", ".html", ".json")
AUTHOR, INITIALS = "hlsguide", "HLS"


def _framings(matches: list[LensMatch]) -> str:
    return "; ".join(
        f"{m.label} (raised by: {', '.join(repr(w) for w in m.evidence[:5])})" for m in matches
    )


def _source_line(c: Citation) -> str:
    where = f", {c.heading}" if c.heading else ""
    pubs = "; ".join(p.formatted + (f" {p.url}" if p.url else "") for p in c.publications[:2])
    return f"[{c.n}] {c.title}{where} ({c.kind}): \u201c{c.quote}\u201d" + (
        f" {pubs}" if pubs else ""
    )


def _where(change_paragraphs: list[int]) -> str:
    numbers = ", ".join(str(p + 1) for p in change_paragraphs)
    return f"paragraph{'s' if len(change_paragraphs) > 1 else ''} {numbers}"


def _section(heading: str) -> str:
    """The innermost heading of a paragraph's heading path (the full path is in the JSON)."""
    return f" ({heading.split(' > ')[-1]})" if heading else ""


def _summary_lines(review: Review) -> Iterator[str]:
    flagged = len(review.findings)
    yield (
        f"{review.paragraphs} paragraphs read, {review.reviewed} reviewed, {flagged} flagged, "
        f"{len(review.strengths)} noted as strengths. Paragraphs are numbered from 1."
    )


def to_json(review: Review) -> str:
    """The whole review as JSON (paragraph indexes from 0, as in the API)."""
    return review.model_dump_json(indent=2)


def to_markdown(review: Review) -> str:
    """The review as Markdown: summary, findings with their sources, strengths."""
    lines = [f"# Review of \u201c{review.title}\u201d", "", *_summary_lines(review), ""]
    lines += ["## Summary", "", "| framing | paragraphs flagged |", "|---|---|"]
    labels = {m.name: m.label for f in review.findings for m in f.framings}
    for name, count in review.counts.items():
        lines.append(f"| {labels.get(name, name.replace('_', ' '))} | {count} |")
    if review.top_changes:
        lines += ["", "### The changes that matter most", ""]
        for i, change in enumerate(review.top_changes, start=1):
            lines.append(f"{i}. **{change.label}** ({_where(change.paragraphs)}): {change.change}")
    lines += ["", "## Findings", ""]
    for finding in review.findings:
        lines += _finding_markdown(finding)
    if not review.findings:
        lines += ["No paragraph raised a framing.", ""]
    if review.strengths:
        lines += ["## Strengths", ""]
        for strength in review.strengths:
            labels_ = "; ".join(s.label for s in strength.strengths)
            quote = " ".join(strength.quote.split())
            lines += [f"- Paragraph {strength.paragraph + 1} ({labels_}): {quote}"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _finding_markdown(finding: Finding) -> list[str]:
    where = _section(finding.heading)
    quote = "\n".join(f"> {line}" for line in finding.quote.splitlines())
    return [
        f"### Paragraph {finding.paragraph + 1}{where}",
        "",
        quote,
        "",
        f"**Framings:** {_framings(finding.framings)}",
        "",
        f"**Why it matters.** {finding.why}",
        "",
        "**What to write instead.**",
        "",
        finding.instead,
        "",
        "Sources:",
        "",
        *[f"- {_source_line(c)}" for c in finding.citations],
        "",
    ]


def to_html(review: Review) -> str:
    """A standalone, accessible page; every piece of text is escaped, no scripts."""
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Review of {e(review.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:48rem;margin:auto;padding:1rem;"
        "line-height:1.5}blockquote{border-left:4px solid #888;margin-left:0;padding-left:1rem}"
        "</style></head><body><main>",
        f"<h1>Review of \u201c{e(review.title)}\u201d</h1>",
        *[f"<p>{e(line)}</p>" for line in _summary_lines(review)],
        '<h2>Summary</h2><table><thead><tr><th scope="col">framing</th>'
        '<th scope="col">paragraphs flagged</th></tr></thead><tbody>',
    ]
    labels = {m.name: m.label for f in review.findings for m in f.framings}
    for name, count in review.counts.items():
        parts.append(
            f"<tr><td>{e(labels.get(name, name.replace('_', ' ')))}</td><td>{count}</td></tr>"
        )
    parts.append("</tbody></table>")
    if review.top_changes:
        parts.append("<h3>The changes that matter most</h3><ol>")
        for change in review.top_changes:
            label = f"<strong>{e(change.label)}</strong> ({_where(change.paragraphs)})"
            parts.append(f"<li>{label}: {e(change.change)}</li>")
        parts.append("</ol>")
    parts.append("<h2>Findings</h2>")
    for finding in review.findings:
        where = e(_section(finding.heading))
        instead = "".join(
            f"<li>{e(line.removeprefix('- '))}</li>" for line in finding.instead.splitlines()
        )
        sources = "".join(f"<li>{e(_source_line(c))}</li>" for c in finding.citations)
        parts += [
            f'<section aria-labelledby="p{finding.paragraph}">',
            f'<h3 id="p{finding.paragraph}">Paragraph {finding.paragraph + 1}{where}</h3>',
            f"<blockquote><p>{e(finding.quote)}</p></blockquote>",
            f"<p><strong>Framings:</strong> {e(_framings(finding.framings))}</p>",
            f"<p><strong>Why it matters.</strong> {e(finding.why)}</p>",
            f"<p><strong>What to write instead.</strong></p><ul>{instead}</ul>",
            f"<h4>Sources</h4><ul>{sources}</ul></section>",
        ]
    if review.strengths:
        parts.append("<h2>Strengths</h2><ul>")
        for strength in review.strengths:
            labels_ = "; ".join(s.label for s in strength.strengths)
            parts.append(
                f"<li>Paragraph {strength.paragraph + 1} ({e(labels_)}): {e(strength.quote)}</li>"
            )
        parts.append("</ul>")
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _visible(paragraph) -> str:
    """A DOCX paragraph's text as the loader reads it (hidden, white and tiny runs left out)."""
    if not paragraph.runs:
        return paragraph.text
    return "".join(r.text for r in paragraph.runs if not _docx_hidden_reason(r))


def _norm(text: str) -> str:
    return " ".join(text.split())


def _anchors(document, findings: list[Finding]) -> Iterator[tuple[Finding, object]]:
    """Each finding with the DOCX paragraph it quotes, matched in order."""
    texts = [_norm(_visible(p)) for p in document.paragraphs]
    cursor = 0
    for finding in findings:
        quote = _norm(finding.quote)
        at = next((i for i in range(cursor, len(texts)) if texts[i] == quote), None)
        if at is None:  # hygiene changed the text (e.g. an invisible character removed)
            at = next((i for i in range(cursor, len(texts)) if quote[:60] in texts[i]), None)
        if at is not None:
            cursor = at + 1
            yield finding, document.paragraphs[at]


def _comment(document, paragraph, finding: Finding) -> None:
    runs = paragraph.runs or [r for link in paragraph.hyperlinks for r in link.runs]
    labels = "; ".join(m.label for m in finding.framings)
    comment = document.add_comment(
        runs, text=f"hlsguide: {labels}", author=AUTHOR, initials=INITIALS
    )
    words = ", ".join(dict.fromkeys(w for m in finding.framings for w in m.evidence[:4]))
    comment.add_paragraph(f"Raised by: {words}")
    comment.add_paragraph(f"Why it matters: {finding.why}")
    comment.add_paragraph("What to write instead:")
    for line in finding.instead.splitlines():
        comment.add_paragraph(f"\u2022 {line.removeprefix('- ')}")
    comment.add_paragraph("Sources:")
    for citation in finding.citations:
        comment.add_paragraph(_source_line(citation))


def to_docx(review: Review, document: SourceDocument, draft: bytes) -> bytes:
    """The draft with a Word comment on every flagged paragraph. A DOCX draft keeps its own
    text and formatting (comments are added, nothing else changes); any other draft is
    written out as a plain DOCX of its paragraphs first."""
    import docx

    try:
        is_docx = sniff(draft) == ".docx"
    except UnsupportedTypeError:
        is_docx = False
    if is_docx:
        word = docx.Document(io.BytesIO(draft))
        anchored = list(_anchors(word, review.findings))
    else:
        word = docx.Document()
        by_index = {f.paragraph: f for f in review.findings}
        heading, anchored = None, []
        for paragraph in paragraphs(document):
            if paragraph.heading and paragraph.heading != heading:
                heading = paragraph.heading
                word.add_heading(heading.split(" > ")[-1], level=min(heading.count(" > ") + 1, 9))
            added = word.add_paragraph(_norm(paragraph.text))
            if paragraph.index in by_index:
                anchored.append((by_index[paragraph.index], added))
    for finding, anchor in anchored:
        _comment(word, anchor, finding)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def write(review: Review, out: Path, document: SourceDocument, draft: bytes) -> None:
    """Write ``review`` to ``out`` in the format its extension names."""
    suffix = out.suffix.lower()
    if suffix == ".docx":
        out.write_bytes(to_docx(review, document, draft))
    elif suffix in (".md", ".html", ".json"):
        render = {".md": to_markdown, ".html": to_html, ".json": to_json}[suffix]
        out.write_text(render(review), encoding="utf-8")
    else:
        raise ValueError(f"cannot write '{out.name}': use one of {', '.join(FORMATS)}")
