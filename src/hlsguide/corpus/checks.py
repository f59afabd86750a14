"""Quality checks on the curated corpus (the rules at the end of the corpus contract).

Run as ``python -m hlsguide.corpus.checks [CORPUS_DIR]``: prints one line per problem,
``<file>: <rule>: <detail>``, and exits 1 when there is any.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from hlsguide.corpus.frontmatter import (
    FOLDER_KIND,
    FrontMatter,
    FrontMatterError,
    load_contract,
    split_front_matter,
    validate_front_matter,
)
from hlsguide.corpus.markup import CITATION_GROUP, citation_keys, cross_links, plain_words

MIN_WORDS, MAX_WORDS = 300, 1200
# A paragraph this long is prose that states something, so it must carry a citation.
UNCITED_PARAGRAPH_WORDS = 20
SHARED_RUN_WORDS = 12
REFERENCE_TYPES = {"book", "chapter", "article-journal", "report", "webpage", "post"}


@dataclass(frozen=True)
class Problem:
    """One broken rule, named by file and rule."""

    path: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}: {self.detail}"


def load_references(path: Path) -> tuple[dict[str, dict], list[Problem]]:
    """Read ``references.yaml``; return entries by id and the problems found in it."""
    problems: list[Problem] = []
    if not path.exists():
        return {}, [Problem(str(path), "references", "references.yaml is missing")]
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        return {}, [Problem(str(path), "references", f"not valid YAML: {exc}")]
    if not isinstance(entries, list):
        return {}, [Problem(str(path), "references", "must be a YAML list of entries")]
    by_id: dict[str, dict] = {}
    for index, entry in enumerate(entries):
        where = f"entry {index + 1}"
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("title"):
            problems.append(Problem(str(path), "references", f"{where} needs 'id' and 'title'"))
            continue
        ref_id = str(entry["id"])
        if ref_id in by_id:
            problems.append(Problem(str(path), "references", f"duplicate id '{ref_id}'"))
        if entry.get("type") not in REFERENCE_TYPES:
            problems.append(
                Problem(str(path), "references", f"'{ref_id}' has type {entry.get('type')!r}")
            )
        by_id[ref_id] = entry
    return by_id, problems


def _paragraphs(body: str) -> list[str]:
    blocks = re.split(r"\n\s*\n", body)
    return [b.strip() for b in blocks if b.strip() and not b.strip().startswith("#")]


def check_corpus(corpus_dir: Path) -> list[Problem]:
    """Run every corpus rule over ``corpus_dir``; an empty list means the corpus is sound."""
    contract = load_contract()
    references, problems = load_references(corpus_dir / "references.yaml")
    docs: dict[str, tuple[Path, str]] = {}
    parsed: list[tuple[Path, FrontMatter, str]] = []
    for folder, kind in FOLDER_KIND.items():
        for path in sorted((corpus_dir / folder).glob("*.md")):
            rel = str(path.relative_to(corpus_dir.parent) if corpus_dir.parent else path)
            try:
                data, body, _ = split_front_matter(path.read_text(encoding="utf-8"))
                meta = validate_front_matter(data, expected_id=path.stem, expected_kind=kind)
            except (FrontMatterError, UnicodeDecodeError) as exc:
                problems.append(Problem(rel, "front-matter", str(exc)))
                continue
            if meta.id in docs:
                problems.append(
                    Problem(rel, "unique-id", f"'{meta.id}' also in {docs[meta.id][0]}")
                )
            docs[meta.id] = (Path(rel), body)
            parsed.append((Path(rel), meta, body))

    for doc_id in sorted(contract.required_ids - docs.keys()):
        problems.append(Problem(str(corpus_dir), "required-id", f"'{doc_id}' is missing"))

    for where, meta, body in parsed:
        for key in meta.references:
            if key not in references:
                problems.append(
                    Problem(str(where), "reference", f"front matter cites unknown '{key}'")
                )
        for key in citation_keys(body):
            if key not in references:
                problems.append(
                    Problem(str(where), "citation", f"[@{key}] is not in references.yaml")
                )
        for target in cross_links(body):
            if target not in docs:
                problems.append(
                    Problem(str(where), "cross-link", f"[[{target}]] names no document")
                )
        words = len(plain_words(body))
        if not MIN_WORDS <= words <= MAX_WORDS:
            problems.append(
                Problem(str(where), "length", f"{words} words; must be {MIN_WORDS} to {MAX_WORDS}")
            )
        for paragraph in _paragraphs(body):
            if len(plain_words(paragraph)) >= UNCITED_PARAGRAPH_WORDS and not CITATION_GROUP.search(
                paragraph
            ):
                start = " ".join(paragraph.split()[:8])
                problems.append(Problem(str(where), "uncited-paragraph", f"'{start} ...'"))
    problems.extend(_shared_runs(parsed))
    return problems


def _shared_runs(parsed: list[tuple[Path, FrontMatter, str]]) -> list[Problem]:
    """Pairs of documents sharing a run of SHARED_RUN_WORDS identical words."""
    seen: dict[tuple[str, ...], Path] = {}
    pairs: dict[tuple[Path, Path], str] = {}
    for rel, _, body in parsed:
        words = plain_words(body)
        own: set[tuple[str, ...]] = set()
        for i in range(len(words) - SHARED_RUN_WORDS + 1):
            run = tuple(words[i : i + SHARED_RUN_WORDS])
            if run in own:
                continue
            own.add(run)
            other = seen.setdefault(run, rel)
            if other != rel:
                pairs.setdefault((other, rel), " ".join(run))
    return [
        Problem(str(b), "shared-run", f"shares '{run}' with {a}") for (a, b), run in pairs.items()
    ]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: check the corpus folder given (default ``corpus``)."""
    args = sys.argv[1:] if argv is None else argv
    corpus_dir = Path(args[0] if args else "corpus")
    problems = check_corpus(corpus_dir)
    by_rule: dict[str, int] = defaultdict(int)
    for problem in problems:
        print(problem)
        by_rule[problem.rule] += 1
    print(f"{len(problems)} problems" + (f" {dict(by_rule)}" if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
