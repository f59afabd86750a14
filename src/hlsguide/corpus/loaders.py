"""Loaders: turn a file (corpus Markdown, PDF, DOCX, HTML, Markdown, text) into a SourceDocument.

Every loader keeps character offsets into the text it extracted, so a passage can be traced
back to its place in the source.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from hlsguide.corpus.frontmatter import (
    FOLDER_KIND,
    FrontMatterError,
    split_front_matter,
    validate_front_matter,
)
from hlsguide.corpus.markup import citation_keys
from hlsguide.corpus.sanitize import Findings, clean_text
from hlsguide.corpus.units import parse_units
from hlsguide.types import USER_KIND, Section, SourceDocument, Unit

# The title starts at a non-blank and runs to the line end; closing #s are stripped in code,
# because a lazy title followed by [ \t#]*$ is quadratic on long runs of blanks.
_HEADING = re.compile(r"^(#{1,6})[ \t]+(\S[^\n]*)$", re.M)
_FENCE_LINE = re.compile(r"^(```|~~~)", re.M)
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|"
    r"opacity\s*:\s*0(?![.\d]*[1-9])|(left|top|text-indent)\s*:\s*-\d{3,}",
    re.I,
)
# An unclosed comment hides the rest of the document (as a CommonMark HTML block does), and
# matching it to the end keeps each "<!--" from rescanning the text for a close.
_MD_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_MD_LINK_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.M)
# Text smaller than this (in points) or in (near) white is not meant to be read.
TINY_TEXT_POINTS = 3.0
WHITE_LEVEL = 0.95


class IngestError(ValueError):
    """A file that cannot be indexed; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def markdown_sections(text: str, offset: int = 0) -> list[Section]:
    """Split Markdown at ATX headings (outside code fences), keeping each section's heading path."""
    fenced: list[tuple[int, int]] = []
    marks = [m.start() for m in _FENCE_LINE.finditer(text)]
    for open_at, close_at in zip(marks[::2], marks[1::2], strict=False):
        fenced.append((open_at, close_at))
    headings = [
        m for m in _HEADING.finditer(text) if not any(a <= m.start() <= b for a, b in fenced)
    ]
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    cursor, current_path = 0, list[str]()
    for match in [*headings, None]:
        end = match.start() if match else len(text)
        body = text[cursor:end]
        if body.strip():
            lead = len(body) - len(body.lstrip())
            sections.append(
                Section(
                    text=body.strip(),
                    start=offset + cursor + lead,
                    heading_path=list(current_path),
                )
            )
        if match is None:
            break
        level = len(match.group(1))
        path = [(lvl, title) for lvl, title in path if lvl < level]
        path.append((level, _heading_title(match)))
        current_path = [title for _, title in path]
        cursor = match.end()
    return sections


def _heading_title(match: re.Match[str]) -> str:
    """The heading text without the optional closing sequence of #s."""
    return match.group(2).rstrip(" \t#").strip()


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at position {exc.start})"
        ) from exc


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "document"


def _blank(text: str, pattern: re.Pattern[str], what: str, findings: Findings) -> str:
    """Replace matches with spaces (offsets stay valid) and report each one."""

    def blank(match: re.Match[str]) -> str:
        findings.add(f"removed {what}: '{' '.join(match.group(0).split())[:60]}'")
        return re.sub(r"[^\n]", " ", match.group(0))

    return pattern.sub(blank, text)


def _user_document(
    path: Path, data: bytes, title: str, sections: list[Section], findings: Findings
) -> SourceDocument:
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise IngestError(path, "no extractable text")
    return SourceDocument(
        id=f"doc-{_slug(path.stem)}",
        title=title or path.stem,
        kind=USER_KIND,
        source_path=str(path),
        content_hash=_hash(data),
        sections=sections,
        warnings=findings.messages,
    )


def load_markdown(path: Path, data: bytes) -> SourceDocument:
    """Corpus Markdown (front matter checked against the contract) or a plain Markdown file.

    Front matter counts only in the corpus folders: elsewhere (uploads) it is skipped, so a file
    cannot choose its own id or kind and pass for, or replace, a corpus document."""
    text = _decode(path, data)
    folder_kind = FOLDER_KIND.get(path.parent.name)
    findings = Findings()
    if text.startswith("---") and not folder_kind:
        try:
            _, body, body_start = split_front_matter(text)
        except FrontMatterError:
            body, body_start = text, 0
        body = _clean_markdown(body, findings)
        first = _HEADING.search(body)
        title = _heading_title(first) if first else ""
        return _user_document(path, data, title, markdown_sections(body, body_start), findings)
    if text.startswith("---"):
        try:
            meta_data, body, body_start = split_front_matter(text)
            meta = validate_front_matter(
                meta_data,
                expected_id=path.stem if folder_kind else None,
                expected_kind=folder_kind,
            )
        except FrontMatterError as exc:
            raise IngestError(path, f"front matter: {exc}") from exc
        cleaned = _clean_markdown(body, findings)
        sections = markdown_sections(cleaned, body_start)
        if not sections:
            raise IngestError(path, "the document has front matter but no body")
        units = [
            Unit(
                id=f"{meta.id}~{n}",
                document_id=meta.id,
                kind=u.kind,
                text=u.text,
                prompt=u.prompt,
                start=body_start + u.start,
                end=body_start + u.end,
                title=meta.title,
                doc_kind=meta.kind,
                citations=citation_keys(u.text),
            )
            for n, u in enumerate(parse_units(cleaned, meta.kind))
        ]
        return SourceDocument(
            id=meta.id,
            title=meta.title,
            kind=meta.kind,
            source_path=str(path),
            content_hash=_hash(data),
            summary=meta.summary,
            topics=meta.topics,
            principles=meta.principles,
            references=meta.references,
            sections=sections,
            warnings=findings.messages,
            units=units,
        )
    if folder_kind:
        raise IngestError(path, "corpus documents need YAML front matter")
    text = _clean_markdown(text, findings)
    first = _HEADING.search(text)
    title = _heading_title(first) if first else ""
    return _user_document(path, data, title, markdown_sections(text), findings)


def _clean_markdown(text: str, findings: Findings) -> str:
    """Comments and link definitions render as nothing, so they are dropped and reported."""
    text = _blank(text, _MD_COMMENT, "an HTML comment", findings)
    text = _blank(text, _MD_LINK_DEFINITION, "a link reference definition", findings)
    return clean_text(text, findings)


def load_text(path: Path, data: bytes) -> SourceDocument:
    """Plain text: one section."""
    findings = Findings()
    text = clean_text(_decode(path, data), findings)
    stripped = text.strip()
    sections = [Section(text=stripped, start=text.find(stripped))] if stripped else []
    return _user_document(path, data, "", sections, findings)


class _PdfTextState:
    """Tracks fill colour and text render mode through a page's content stream (q/Q nest)."""

    def __init__(self) -> None:
        self.fill: tuple[float, ...] = (0.0,)
        self.space = "g"
        self.mode = 0
        self.stack: list[tuple[tuple[float, ...], str, int]] = []

    def operator(self, op: bytes, args: list) -> None:
        if op == b"q":
            self.stack.append((self.fill, self.space, self.mode))
        elif op == b"Q" and self.stack:
            self.fill, self.space, self.mode = self.stack.pop()
        elif op in (b"rg", b"g", b"k"):
            self.fill = tuple(float(a) for a in args)
            self.space = op.decode()
        elif op == b"Tr" and args:
            self.mode = int(args[0])

    def hidden_reason(self, size: float) -> str | None:
        if self.mode in (3, 7):
            return "invisible text"
        white = (
            all(c <= 1 - WHITE_LEVEL for c in self.fill)
            if self.space == "k"
            else all(c >= WHITE_LEVEL for c in self.fill)
        )
        if white:
            return "white text"
        if size < TINY_TEXT_POINTS:
            return "tiny text"
        return None


def _visible_pdf_text(page, findings: Findings) -> str:
    state = _PdfTextState()
    pieces: list[str] = []

    def before(op: bytes, args: list, _cm, _tm) -> None:
        state.operator(op, args)

    def visit(text: str, cm, tm, _font, size: float) -> None:
        if not text.strip():
            pieces.append(text)
            return
        scale = abs(tm[3] * cm[3]) or 1.0
        reason = state.hidden_reason(size * scale)
        if reason:
            findings.add(f"removed hidden PDF {reason}: '{' '.join(text.split())[:60]}'")
        else:
            pieces.append(text)

    page.extract_text(visitor_operand_before=before, visitor_text=visit)
    return "".join(pieces)


def load_pdf(path: Path, data: bytes) -> SourceDocument:
    """PDF via pypdf: one section per page, page numbers kept, offsets into the joined page
    text. White, tiny and invisible-mode text is dropped and reported."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF-"):
        raise IngestError(path, "not a PDF (no %PDF- header)")
    findings = Findings()
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [clean_text(_visible_pdf_text(page, findings), findings) for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(path, f"malformed PDF ({exc})") from exc
    sections, cursor = [], 0
    for number, page_text in enumerate(pages, start=1):
        stripped = page_text.strip()
        if stripped:
            sections.append(
                Section(text=stripped, start=cursor + page_text.find(stripped), page=number)
            )
        cursor += len(page_text) + 2  # pages are joined with a blank line
    return _user_document(path, data, str(title), sections, findings)


def _docx_hidden_reason(run) -> str | None:
    font = run.font
    if font.hidden:
        return "hidden (vanish) text"
    if font.size is not None and font.size.pt < TINY_TEXT_POINTS:
        return "tiny text"
    color = font.color.rgb if font.color is not None and font.color.type is not None else None
    if color is not None and min(color[0], color[1], color[2]) >= 255 * WHITE_LEVEL:
        return "white text"
    return None


def load_docx(path: Path, data: bytes) -> SourceDocument:
    """DOCX via python-docx: Heading styles become Markdown headings, then split like Markdown.
    Hidden, white and tiny runs are dropped and reported."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise IngestError(path, f"malformed DOCX ({exc})") from exc
    findings = Findings()
    lines = []
    for paragraph in document.paragraphs:
        visible = []
        for run in paragraph.runs:
            reason = _docx_hidden_reason(run)
            if reason and run.text.strip():
                findings.add(f"removed {reason} in DOCX: '{' '.join(run.text.split())[:60]}'")
            elif not reason:
                visible.append(run.text)
        text = "".join(visible).strip() if paragraph.runs else paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = re.match(r"Heading (\d)", style)
        lines.append(f"{'#' * int(level.group(1))} {text}" if level else text)
    markdown = clean_text("\n\n".join(lines), findings)
    title = document.core_properties.title or ""
    return _user_document(path, data, title, markdown_sections(markdown), findings)


def _hidden_html_reason(tag) -> str | None:
    attrs = tag.attrs or {}
    if "hidden" in attrs:
        return "hidden attribute"
    if str(attrs.get("aria-hidden", "")).lower() == "true":
        return "aria-hidden element"
    if _HIDDEN_STYLE.search(str(attrs.get("style", ""))):
        return "element hidden by style"
    return None


def load_html(path: Path, data: bytes) -> SourceDocument:
    """HTML via BeautifulSoup: scripts, styles and hidden elements dropped (hidden ones
    reported), comments ignored, headings kept."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    findings = Findings()
    for tag in soup(["script", "style", "template", "noscript", "svg", "iframe", "object"]):
        tag.decompose()
    # bs4's stubs want a bool filter; it takes any truthy result (here: the reason).
    for tag in soup.find_all(_hidden_html_reason):  # type: ignore[arg-type]
        if tag.decomposed:
            continue
        text = " ".join(tag.get_text(" ", strip=True).split())
        if text:
            findings.add(f"removed {_hidden_html_reason(tag)}: '{text[:60]}'")
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    body = soup.body or soup
    blocks = []
    for tag in body.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "td"]):
        if tag.find_parent(["p", "li", "pre", "td"]):
            continue
        text = " ".join(tag.get_text(" ", strip=True).split())
        if text:
            blocks.append(f"{'#' * int(tag.name[1])} {text}" if tag.name[0] == "h" else text)
    markdown = clean_text("\n\n".join(blocks), findings)
    return _user_document(path, data, title, markdown_sections(markdown), findings)


LOADERS: dict[str, Callable[[Path, bytes], SourceDocument]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
}


def load_document(path: Path, max_bytes: int | None = None) -> SourceDocument:
    """Load one file with the loader for its type; raise IngestError naming the problem."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise IngestError(path, f"unsupported file type '{path.suffix or '(none)'}'")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot be read ({exc.strerror})") from exc
    if not data.strip():
        raise IngestError(path, "the file is empty")
    if max_bytes is not None and len(data) > max_bytes:
        raise IngestError(path, f"{len(data)} bytes is over the {max_bytes}-byte limit")
    return loader(path, data)


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files under ``paths`` to index, sorted; hidden files and the bibliography left out."""
    found: set[Path] = set()
    for root in paths:
        if root.is_file():
            found.add(root)
            continue
        for path in root.rglob("*"):
            hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
            if path.is_file() and not hidden and path.name != "references.yaml":
                found.add(path)
    return sorted(found)
