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
from hlsguide.corpus.units import (
    KEY_POINTS,
    MISREADINGS,
    QUESTIONS,
    UNIT_SECTIONS,
    Unit,
    first_word,
    leans_back,
    opens_imperative,
    parse_units,
    prose_end,
    sections,
    sentences,
)

MIN_WORDS, MAX_WORDS = 300, 1200
# A paragraph this long is prose that states something, so it must carry a citation.
UNCITED_PARAGRAPH_WORDS = 20
SHARED_RUN_WORDS = 12
REFERENCE_TYPES = {"book", "chapter", "article-journal", "report", "webpage", "post"}

# Contract v2: counts, sentences and words per unit kind.
UNIT_WORDS_MAX = 900
KEY_POINT_COUNT, KEY_POINT_SENTENCES, KEY_POINT_WORDS = (3, 6), (1, 2), (12, 60)
QUESTION_COUNT, ANSWER_SENTENCES, ANSWER_WORDS_MAX = (3, 6), (2, 4), 90
MISREADING_COUNT, CORRECTION_SENTENCES = (2, 4), (1, 3)
CORRECTION_OPENING = re.compile(r"^(?:No|Not quite|Partly)[:,]")
QUOTE_MARKS = ('"', "“")


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


def check_corpus(corpus_dir: Path, research_dir: Path | None = None) -> list[Problem]:
    """Run every corpus rule over ``corpus_dir``; an empty list means the corpus is sound.

    With ``research_dir``, also flag runs of words shared with the research notes there.
    """
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
        words = len(plain_words(body[: prose_end(body)]))
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
        problems.extend(check_units(str(where), meta.kind, body))
    problems.extend(_shared_runs(parsed))
    if research_dir is not None:
        titles = [str(entry["title"]) for entry in references.values()]
        problems.extend(_research_runs(parsed, research_dir, titles))
    return problems


def _in_range(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def check_units(rel: str, kind: str, body: str) -> list[Problem]:
    """Contract v2: the answer-ready sections, their counts, and units that stand alone."""
    problems: list[Problem] = []
    titles = [s.title for s in sections(body)]
    present = [t for t in titles if t in UNIT_SECTIONS]
    required = [KEY_POINTS, QUESTIONS] + ([MISREADINGS] if kind == "concept" else [])
    for title in required:
        if title not in present:
            problems.append(Problem(rel, "unit-section", f"'## {title}' is missing"))
    closing = titles[len(titles) - len(present) :]
    if present and (closing != present or present != sorted(present, key=UNIT_SECTIONS.index)):
        problems.append(
            Problem(rel, "unit-section", "answer-ready sections must close the document, in order")
        )
    if kind in ("case", "source") and MISREADINGS in present:
        problems.append(Problem(rel, "unit-section", f"'## {MISREADINGS}' is for concepts"))
    unit_words = len(plain_words(body[prose_end(body) :]))
    if unit_words > UNIT_WORDS_MAX:
        problems.append(
            Problem(rel, "unit-length", f"answer-ready sections have {unit_words} words; max 900")
        )
    units = parse_units(body, kind)
    counts = {
        "key_point": (KEY_POINT_COUNT, KEY_POINTS),
        "question": (QUESTION_COUNT, QUESTIONS),
        "misreading": (MISREADING_COUNT, MISREADINGS),
    }
    for unit_kind, (bounds, title) in counts.items():
        found = sum(u.kind == unit_kind for u in units)
        if title in present and not _in_range(found, bounds):
            problems.append(
                Problem(
                    rel, "unit-count", f"{found} entries under '{title}'; {bounds[0]}-{bounds[1]}"
                )
            )
    for unit in units:
        problems.extend(check_unit(rel, unit))
    return problems


def check_unit(rel: str, unit: Unit) -> list[Problem]:
    """The rules one unit must meet, by kind."""
    label = (
        f"{unit.kind.replace('_', ' ')} '{' '.join((unit.prompt or unit.text).split()[:6])} ...'"
    )
    found: list[Problem] = []

    def problem(rule: str, detail: str) -> None:
        found.append(Problem(rel, rule, f"{label}: {detail}"))

    parts = sentences(unit.text)
    words = len(plain_words(unit.text))
    if "\n\n" in unit.text:
        problem("unit-shape", "must be one paragraph")
    points_back = f"'{unit.text[:40]}...' leans on what comes before it; name the subject"
    if unit.kind == "step":
        if not opens_imperative(unit.text):
            problem("unit-opener", f"opens with '{first_word(unit.text)}', not an imperative verb")
        elif leans_back(unit.text):
            problem("unit-opener", points_back)
        if not CITATION_GROUP.search(unit.text):
            problem("unit-citation", "has no [@key] citation")
        return found
    if leans_back(unit.text):
        problem("unit-opener", points_back)
    uncited = [p for p in parts if not CITATION_GROUP.search(p)]
    if uncited:
        problem("unit-citation", f"sentence without a citation: '{uncited[0][:60]}'")
    if unit.kind == "key_point":
        if not _in_range(len(parts), KEY_POINT_SENTENCES):
            problem("unit-sentences", f"{len(parts)} sentences; 1-2")
        if not _in_range(words, KEY_POINT_WORDS):
            problem("unit-length", f"{words} words; 12-60")
    elif unit.kind == "question":
        if not (unit.prompt or "").endswith("?"):
            problem("unit-question", "the heading must be a question ending with '?'")
        if not _in_range(len(parts), ANSWER_SENTENCES):
            problem("unit-sentences", f"answer has {len(parts)} sentences; 2-4")
        if words > ANSWER_WORDS_MAX:
            problem("unit-length", f"answer has {words} words; max {ANSWER_WORDS_MAX}")
    else:
        if not (unit.prompt or "").startswith(QUOTE_MARKS):
            problem("unit-misreading", "the heading must quote the misreading")
        if not CORRECTION_OPENING.match(unit.text):
            problem("unit-opener", "the correction must open with 'No:', 'Not quite:' or 'Partly:'")
        if not _in_range(len(parts), CORRECTION_SENTENCES):
            problem("unit-sentences", f"correction has {len(parts)} sentences; 1-3")
    return found


def unit_totals(corpus_dir: Path) -> dict[str, int]:
    """Documents and answer-ready units in the corpus, by kind (for the README's totals)."""
    totals = {"documents": 0, "key_point": 0, "question": 0, "misreading": 0, "step": 0}
    for folder, kind in FOLDER_KIND.items():
        for path in sorted((corpus_dir / folder).glob("*.md")):
            try:
                _, body, _ = split_front_matter(path.read_text(encoding="utf-8"))
            except (FrontMatterError, UnicodeDecodeError):
                continue
            totals["documents"] += 1
            for unit in parse_units(body, kind):
                totals[unit.kind] += 1
    return totals


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    return {
        tuple(words[i : i + SHARED_RUN_WORDS]) for i in range(len(words) - SHARED_RUN_WORDS + 1)
    }


def _research_runs(
    parsed: list[tuple[Path, FrontMatter, str]], research_dir: Path, titles: list[str]
) -> list[Problem]:
    """Documents sharing a run of SHARED_RUN_WORDS words with the research notes.

    Runs inside a publication's title are not prose, so naming a long title is allowed.
    """
    notes: dict[tuple[str, ...], str] = {}
    for note in sorted(research_dir.glob("*.md")):
        for run in _runs(plain_words(note.read_text(encoding="utf-8"))):
            notes.setdefault(run, note.name)
    for title in titles:
        for run in _runs(plain_words(title)):
            notes.pop(run, None)
    problems = []
    for rel, _, body in parsed:
        for run in sorted(_runs(plain_words(body)) & notes.keys()):
            problems.append(
                Problem(str(rel), "research-run", f"shares '{' '.join(run)}' with {notes[run]}")
            )
    return problems


def _shared_runs(parsed: list[tuple[Path, FrontMatter, str]]) -> list[Problem]:
    """Pairs of documents sharing a run of SHARED_RUN_WORDS identical words."""
    seen: dict[tuple[str, ...], Path] = {}
    pairs: dict[tuple[Path, Path], str] = {}
    for rel, _, body in parsed:
        for run in sorted(_runs(plain_words(body))):
            other = seen.setdefault(run, rel)
            if other != rel:
                pairs.setdefault((other, rel), " ".join(run))
    return [
        Problem(str(b), "shared-run", f"shares '{run}' with {a}") for (a, b), run in pairs.items()
    ]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``[CORPUS_DIR] [--research DIR]``; prints problems and unit totals."""
    args = list(sys.argv[1:] if argv is None else argv)
    research_dir = None
    if "--research" in args:
        at = args.index("--research")
        research_dir = Path(args[at + 1])
        del args[at : at + 2]
    corpus_dir = Path(args[0] if args else "corpus")
    problems = check_corpus(corpus_dir, research_dir)
    by_rule: dict[str, int] = defaultdict(int)
    for problem in problems:
        print(problem)
        by_rule[problem.rule] += 1
    totals = unit_totals(corpus_dir)
    print(
        f"{totals['documents']} documents: {totals['key_point']} key points, "
        f"{totals['question']} questions, {totals['misreading']} misreadings, "
        f"{totals['step']} steps"
    )
    print(f"{len(problems)} problems" + (f" {dict(by_rule)}" if problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
