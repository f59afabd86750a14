"""What a file really is, judged from its bytes, never from its name."""

from __future__ import annotations

import io
import re
import zipfile

_HTML_TAG = re.compile(rb"<(!doctype html|html|head|body)\b", re.I)
_SNIFF_BYTES = 4096


class UnsupportedTypeError(ValueError):
    """The content is not a type hlsguide indexes."""


def sniff(data: bytes, filename: str = "") -> str:
    """The file suffix to index ``data`` as: .pdf, .docx, .html, .md or .txt."""
    if data.startswith(b"%PDF-"):
        return ".pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return ".docx"
        except zipfile.BadZipFile as exc:
            raise UnsupportedTypeError("a damaged ZIP archive") from exc
        raise UnsupportedTypeError("a ZIP archive that is not a Word (.docx) document")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedTypeError(
            "binary content that is not PDF, DOCX, HTML or UTF-8 text"
        ) from exc
    if _looks_html(data[:_SNIFF_BYTES]):
        return ".html"
    looks_markdown = re.search(r"^#{1,6} \S", text, re.M) or filename.lower().endswith(
        (".md", ".markdown")
    )
    return ".md" if looks_markdown else ".txt"


def _looks_html(head: bytes) -> bool:
    """True when, past leading whitespace and comments, ``head`` opens an HTML document.

    A loop with find(), not one regex: a nested repeat over comments backtracks
    exponentially on input like ``<!--<!--<!--...``."""
    position = 0
    while True:
        position = len(head) - len(head[position:].lstrip())
        if not head.startswith(b"<!--", position):
            return bool(_HTML_TAG.match(head, position))
        end = head.find(b"-->", position + 4)
        if end < 0:
            return False
        position = end + 3
