"""``hlsguide eval retrieval``: hit@k and MRR for each mode, side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hlsguide.cli.common import console, fail, services

app = typer.Typer(help="Evaluate the guide on a question set.", no_args_is_help=True)


@app.command()
def retrieval(
    questions: Annotated[Path, typer.Option("--questions", help="YAML question set.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """hit@k and MRR overall and per category for hybrid, BM25 and dense retrieval."""
    from hlsguide.retrieval.evaluation import evaluate_retrieval, load_questions
    from hlsguide.retrieval.service import IndexNotReadyError

    try:
        items = load_questions(questions)
        result = evaluate_retrieval(services().retrieval.searcher(), items, k)
    except (ValueError, IndexNotReadyError) as exc:
        fail(str(exc))
    if as_json:
        # print_json, as every --json does: never wrapped nor read as markup, so a pipe gets
        # valid JSON.
        console.print_json(result.model_dump_json())
        return
    from rich.table import Table

    modes = list(result.overall)
    table = Table("group", "n", *[f"{m} hit@{k}" for m in modes], *[f"{m} MRR" for m in modes])
    rows = [("overall", result.overall), *result.by_category.items()]
    for name, scores in rows:
        first = next(iter(scores.values()))
        table.add_row(
            name,
            str(first.questions),
            *[f"{scores[m].hit_at_k:.3f}" for m in modes],
            *[f"{scores[m].mrr:.3f}" for m in modes],
        )
    console.print(table)
    misses = [q for q, r in result.ranks["hybrid"].items() if r is None or r > k]
    if misses:
        console.print(f"hybrid misses: {', '.join(misses)}")
    if result.skipped:
        console.print(f"skipped (no relevant documents): {', '.join(result.skipped)}")


@app.command()
def answers(
    questions: Annotated[
        list[Path], typer.Option("--questions", help="YAML question set (repeat for several).")
    ],
    mode: Annotated[str | None, typer.Option("--mode", help="extractive or llm.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Key-fact coverage, citation validity, coherence, adversarial handling and latency of
    answers, per question set (each reported on its own) and per question kind."""
    if mode not in (None, "extractive", "llm"):
        fail(f"--mode must be 'extractive' or 'llm', not '{mode}'")
    from hlsguide.answer.evaluation import evaluate_answers
    from hlsguide.retrieval.evaluation import load_questions
    from hlsguide.retrieval.service import IndexNotReadyError

    try:
        sets = [(path, load_questions(path)) for path in questions]
        service = services().answers
        results = [(path, evaluate_answers(service, items, mode)) for path, items in sets]
    except (ValueError, IndexNotReadyError) as exc:
        fail(str(exc))
    if as_json:
        payload = {str(path): result.model_dump(mode="json") for path, result in results}
        console.print_json(json.dumps(payload))
        return
    for path, result in results:
        _print_answers(path, result)


def _print_answers(path: Path, result) -> None:
    from rich.table import Table

    table = Table(
        "question",
        "kind",
        "coverage",
        "citations valid",
        "coherence",
        "expect",
        "refused",
        "ms",
        title=str(path),
    )
    for s in result.scores:
        problems = ", ".join(
            f"{n} {what}"
            for n, what in (
                (s.dangling, "dangling"),
                (s.fragments, "fragment"),
                (s.repeats, "repeat"),
            )
            if n
        )
        table.add_row(
            s.id,
            s.kind,
            "-" if s.key_fact_coverage is None else f"{s.key_fact_coverage:.2f}",
            "-" if s.citation_validity is None else f"{s.citation_validity:.2f}",
            problems or "ok",
            "-" if s.expect is None else f"{s.expect}: {'yes' if s.expect_handled else 'NO'}",
            "yes" if s.refused else "",
            f"{s.latency_ms:.0f}",
        )
    console.print(table)
    kinds = " · ".join(
        f"{kind} {k.questions}q"
        + ("" if k.mean_key_fact_coverage is None else f" {k.mean_key_fact_coverage:.3f}")
        for kind, k in result.by_kind.items()
    )
    console.print(
        f"{path}: mean key-fact coverage {result.mean_key_fact_coverage:.3f} "
        f"(threshold {result.threshold}) · citation validity {result.citation_validity:.3f} · "
        f"expect handled {result.expect_handled} ({result.expect_labelled} labelled) · "
        f"refused {result.refused} (in scope {result.in_scope_refused}) · answers with dangling "
        f"openers {result.answers_with_dangling_opener}, fragments "
        f"{result.answers_with_fragment}, repeats {result.answers_with_repeat} · "
        f"latency p50 {result.latency_p50_ms:.0f} ms, p95 {result.latency_p95_ms:.0f} ms"
    )
    console.print(f"by kind (coverage): {kinds}\n")


@app.command("review")
def review_detection(
    labels: Annotated[
        Path, typer.Option("--labels", help="Labelled paragraphs, e.g. eval/review/heldout.yaml.")
    ],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Precision and recall of the specification lens per framing on a labelled set."""
    from hlsguide.lens.specification import SpecificationLens
    from hlsguide.review.evaluation import evaluate_detection, load_labelled

    embedder = services().retrieval.embedder
    lens = SpecificationLens(embedder)
    try:
        items = load_labelled(labels, {f.name for f in lens.framings})
    except (OSError, ValueError) as exc:
        fail(str(exc))
    result = evaluate_detection(lens, embedder, items)
    if as_json:
        console.print_json(result.model_dump_json())
        return
    from rich.table import Table

    table = Table("framing", "support", "precision", "recall", "TP", "FP", "FN")
    rows = [*result.by_framing.items(), ("all framings (pooled)", result.overall)]
    rows.append(("any framing (paragraph flagged)", result.flagged))
    for name, s in rows:
        table.add_row(
            name,
            str(s.support),
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            str(s.true_positives),
            str(s.false_positives),
            str(s.false_negatives),
        )
    console.print(table)
    console.print(f"{result.paragraphs} paragraphs, {len(result.mistakes)} not matched exactly")


@app.command("injection")
def injection_detection(
    labels: Annotated[
        Path,
        typer.Option(
            "--labels", help="Folder of labelled sets, e.g. tests/fixtures/injection/heldout."
        ),
    ],
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Also list the corpus units it would blank.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Precision and recall of the injection detector (both layers, and each alone) on a
    labelled set; with --corpus, the corpus sentences it would blank."""
    from hlsguide.retrieval.injection import load_detector
    from hlsguide.retrieval.injection.evaluation import evaluate_detector

    if corpus is not None and not corpus.is_dir():
        fail(f"--corpus: {corpus} is not a folder")
    try:
        result = evaluate_detector(load_detector(), labels, corpus)
    except (OSError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        console.print_json(result.model_dump_json())
        return
    from rich.table import Table

    table = Table("layers", "precision", "recall", "missed", "false alarms")
    for name, s in (
        ("patterns + classifier", result.detector),
        ("classifier only", result.classifier_only),
        ("patterns only", result.patterns_only),
        ("as indexed (any unit blanked)", result.as_indexed),
    ):
        table.add_row(
            name,
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            str(len(s.missed)),
            str(len(s.false_alarms)),
        )
    console.print(table)
    console.print(
        f"{result.positives} addressed to a model, {result.negatives} ordinary "
        f"(threshold {result.threshold})"
    )
    for title, found in (
        ("missed", result.detector.missed),
        ("false alarm", result.detector.false_alarms),
    ):
        for text in found:
            console.print(f"{title}: {text!r}", markup=False, highlight=False)
    if result.corpus_blanked is not None:
        console.print(
            f"corpus: {len(result.corpus_blanked)} of {result.corpus_sentences} sentences blanked"
        )
        for text in result.corpus_blanked:
            console.print(f"blanked: {text!r}", markup=False, highlight=False)
