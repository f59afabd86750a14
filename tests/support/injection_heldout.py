"""The held-out injection suite: instructions in the held-out styles (none of the wording of the
50-fixture suite or of the training set), planted in every format, visible and hidden, and split
across chunks. Each document carries a unique canary; the benign text around it is about pooled
budgets, so the suite's question retrieves the planted passages."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

from hlsguide.config import Settings
from hlsguide.retrieval.chunking import split_section
from support.injection import (
    BENIGN,
    Fixture,
    _tags,
    block_writer,
    markdown_page,
    write_docx,
    write_html,
    write_pdf,
)

PAYLOADS_FILE = Path(__file__).parents[1] / "fixtures" / "injection" / "heldout" / "payloads.txt"
# How many payloads are also planted split over two lines in different chunks.
SPLITS = 10


def payloads(path: Path = PAYLOADS_FILE) -> list[str]:
    """The payload templates of ``path``: one a line, ``{c}`` for the canary, ``#`` comments."""
    templates = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if missing := [t for t in templates if "{c}" not in t]:
        raise ValueError(f"{path}: templates without a {{c}} placeholder: {missing}")
    return templates


def halves(template: str) -> tuple[str, str]:
    """``template`` cut in two at a word boundary, a punctuated one (", ", ": ", " - ") nearest
    the middle when there is one, else the space nearest the middle."""
    middle = len(template) / 2
    cuts = [m.end() for m in re.finditer(r"[,:;]\s| -\s", template)] or [
        m.start() for m in re.finditer(r"\s", template)
    ]
    cut = min(cuts, key=lambda i: abs(i - middle))
    return template[:cut].strip(), template[cut:].strip()


def _text_page(block: str) -> str:
    return f"{BENIGN[0]} {BENIGN[1]}\n\n{block}\n\n{BENIGN[2]}\n"


_markdown = block_writer(
    markdown_page,
    {"visible": str, "comment": lambda p: f"<!--\n{p}\n-->", "tag-characters": _tags},
)
_text = block_writer(
    _text_page,
    {"visible": str, "zero-width": "\u200c".join, "tag-characters": _tags},
)


FORMATS: dict[str, tuple[str, Callable[[Path, str, str], None], tuple[str, ...]]] = {
    "pdf": (".pdf", write_pdf, ("white", "tiny", "invisible")),
    "docx": (".docx", write_docx, ("vanish", "white", "tiny")),
    "html": (".html", write_html, ("font-size-zero", "opacity", "visibility")),
    "md": (".md", _markdown, ("comment", "tag-characters")),
    "txt": (".txt", _text, ("zero-width", "tag-characters")),
}


def canary_for(name: str) -> str:
    return "CANARYHO" + "".join(ch for ch in name.upper() if ch.isalnum())


def build_heldout_fixtures(folder: Path) -> list[Fixture]:
    """Write every document of the held-out suite into ``folder``: each payload of
    ``payloads.txt`` in each format, visible in alternate formats and hidden (by the format's own
    techniques) in the others, plus ``SPLITS`` of them split across chunks."""
    folder.mkdir(parents=True, exist_ok=True)
    fixtures = []
    hidden_cycle = {fmt: itertools.cycle(spec[2]) for fmt, spec in FORMATS.items()}
    templates = payloads()
    for i, template in enumerate(templates):
        for j, (fmt, (suffix, write, _)) in enumerate(FORMATS.items()):
            how = "visible" if (i + j) % 2 == 0 else next(hidden_cycle[fmt])
            name = f"ho{i:02d}-{fmt}-{how}"
            canary = canary_for(name)
            path = folder / f"{name}{suffix}"
            write(path, template.replace("{c}", canary), how)
            fixtures.append(Fixture(name, path, canary))
    # Evenly spread over the templates (those with a space to cut at), so every style can be split.
    cuttable = [t for t in templates if " " in t.strip()]
    chosen = sorted({round(k * len(cuttable) / SPLITS) for k in range(SPLITS)})
    for i, template in enumerate(cuttable[k] for k in chosen):
        name = f"ho-split{i:02d}"
        canary = canary_for(name)
        suffix = ".md" if i % 2 else ".txt"
        path = folder / f"{name}{suffix}"
        path.write_text(straddling(*halves(template.replace("{c}", canary))))
        fixtures.append(Fixture(name, path, canary))
    return fixtures


# A benign sentence of adjustable length, to move the chunk boundary a few tokens at a time.
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
]


def straddling(first: str, second: str) -> str:
    """Benign text with ``first`` and ``second`` on consecutive lines, a chunk boundary (at the
    default chunk size) between them: some chunk ends with ``first`` and lacks ``second``
    (the next one may carry ``first`` again as overlap). Benign sentences (whole ones, then one
    listing months, a few tokens at a time) are added before the pair until the boundary falls
    there."""
    settings = Settings(_env_file=None)
    tail = " ".join(BENIGN * 6)
    for lead, months in itertools.product(range(1, 30), range(len(MONTHS) + 1)):
        pad = f" The partners met in {', '.join(MONTHS[:months])}." if months else ""
        text = f"{' '.join((BENIGN * 10)[:lead])}{pad} {first}\n{second} {tail}\n"
        spans = split_section(text, settings.chunk_tokens, settings.chunk_overlap_tokens)
        pieces = [text[s:e] for s, e in spans]
        if any(p.endswith(first) for p in pieces):
            return text
    raise AssertionError("no benign lead puts a chunk boundary between the halves")
