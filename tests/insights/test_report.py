"""The gaps report on a seeded answer log (real SQLite, the real embedding model)."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from hlsguide.cli.app import app as cli
from hlsguide.insights.render import render_csv, render_markdown
from hlsguide.insights.report import build_report, parse_since
from hlsguide.storage import Store
from hlsguide.storage.answer_log import add_feedback, record_answer
from hlsguide.storage.conversations import new_conversation
from hlsguide.storage.models import AnswerRecord, Feedback
from hlsguide.types import Answer, Citation, Lens, LensMatch

NOW = datetime.now(UTC)


def record(store: Store, n: int, question: str, confidence: float, **options) -> str:
    lens = Lens(
        principles={},
        touched_principles=options.get("principles", []),
        flags=[LensMatch(name=f, label=f.replace("_", " ")) for f in options.get("flags", [])],
    )
    citations = [
        Citation(
            n=i,
            chunk_id=f"{doc}#0",
            document_id=doc,
            title=doc,
            kind="concept",
            heading="",
            quote="q",
            location="x",
        )
        for i, doc in enumerate(options.get("documents", []), start=1)
    ]
    answer = Answer(
        answer_id=f"a{n:02d}",
        question=question,
        standalone_query=question,
        answer="...",
        citations=citations,
        lens=lens,
        mode="extractive",
        conversation_id=new_conversation(store),
        refused=options.get("refused", False),
        confidence=confidence,
    )
    record_answer(store, answer, options.get("channel", "api"))
    if "days_ago" in options:
        with store.session() as session, session.begin():
            when = NOW - timedelta(days=options["days_ago"])
            session.execute(
                update(AnswerRecord)
                .where(AnswerRecord.id == answer.answer_id)
                .values(created_at=when)
            )
    return answer.answer_id


@pytest.fixture
def seeded(tmp_path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'log.db'}")
    # Refused: one topic asked three times in two phrasings, and a near neighbour.
    record(store, 1, "How do I get a mortgage?", 0.05, refused=True, channel="slack")
    record(store, 2, "How do I get a mortgage?", 0.06, refused=True)
    record(store, 3, "How can I get a mortgage?", 0.04, refused=True)
    record(store, 4, "What do I need to apply for a home loan?", 0.08, refused=True)
    # Answered, but weakly: the corpus is thin here.
    weak = record(
        store, 5, "What does HLS say about school exclusions?", 0.36, principles=["human"]
    )
    record(store, 6, "What does HLS say about excluding pupils from school?", 0.38)
    # Answered well.
    good = record(
        store,
        7,
        "Which KPIs should providers hit?",
        0.71,
        principles=["learning", "systems"],
        flags=["target_setting"],
        documents=["gaming-and-targets", "plymouth"],
    )
    record(store, 8, "What is a learning cycle?", 0.74, principles=["learning"], documents=["lc"])
    # Left out by default or by --since: a batch FAQ run, and an old refusal.
    record(store, 9, "How do I bake bread?", 0.02, refused=True, channel="faq")
    old = record(store, 10, "What is the capital of France?", 0.01, refused=True, days_ago=30)
    add_feedback(store, good, -1, "Told me targets are bad but not what to do instead")
    add_feedback(store, good, -1, "  ")
    add_feedback(store, good, 1, None)
    add_feedback(store, weak, -1, "Nothing about exclusions at all")
    add_feedback(store, old, -1, "old complaint")
    with store.session() as session, session.begin():
        session.execute(
            update(Feedback)
            .where(Feedback.answer_id == old)
            .values(created_at=NOW - timedelta(days=30))
        )
    return store


def documents():
    return {
        "gaming-and-targets": {"topics": ["targets", "gaming"]},
        "plymouth": {"topics": ["alliances", "targets"]},
        "lc": {"topics": ["learning-cycles"]},
    }


def test_gaps_are_grouped_by_similarity(seeded, real_embedder):
    report = build_report(seeded, real_embedder, since=NOW - timedelta(days=7))
    assert (report.answers, report.refused, report.low_confidence) == (8, 4, 2)
    groups = [(g.question, g.asked, g.refused) for g in report.gaps]
    assert groups == [
        ("How do I get a mortgage?", 3, 3),
        ("What does HLS say about excluding pupils from school?", 2, 0),
        ("What do I need to apply for a home loan?", 1, 1),
    ]
    mortgage = report.gaps[0]
    assert [(a.question, a.count) for a in mortgage.asked_as] == [
        ("How do I get a mortgage?", 2),
        ("How can I get a mortgage?", 1),
    ]
    assert mortgage.channels == ["api", "slack"]
    assert report.gaps[1].mean_confidence == 0.37
    # A looser threshold merges the home-loan question into the mortgage group.
    looser = build_report(seeded, real_embedder, since=NOW - timedelta(days=7), similarity=0.65)
    assert [g.asked for g in looser.gaps] == [4, 2]


def test_down_votes_and_topics(seeded, real_embedder):
    report = build_report(
        seeded, real_embedder, since=NOW - timedelta(days=7), documents=documents()
    )
    assert (report.votes_up, report.votes_down) == (1, 3)
    assert [(d.question, d.down, d.up) for d in report.down_voted] == [
        ("Which KPIs should providers hit?", 2, 1),
        ("What does HLS say about school exclusions?", 1, 0),
    ]
    assert report.down_voted[0].comments == ["Told me targets are bad but not what to do instead"]
    topics = {(t.kind, t.name): t.count for t in report.topics}
    assert topics[("principle", "learning")] == 2
    assert topics[("principle", "human")] == 1
    assert topics[("framing", "target setting")] == 1
    assert topics[("topic", "targets")] == 1  # once per answer, though two cited documents have it
    assert topics[("topic", "learning-cycles")] == 1


def test_all_time_and_batch_runs(seeded, real_embedder):
    everything = build_report(seeded, real_embedder)
    assert everything.answers == 9  # the old refusal counts; the batch run does not
    assert "What is the capital of France?" in [g.question for g in everything.gaps]
    assert everything.topics_note == "no index: document topics left out"
    with_faq = build_report(seeded, real_embedder, exclude_channels=())
    assert with_faq.answers == 10


def test_markdown_and_csv(seeded, real_embedder):
    report = build_report(
        seeded, real_embedder, since=NOW - timedelta(days=7), documents=documents()
    )
    text = render_markdown(report)
    assert text.startswith("# What the guide answers poorly\n")
    assert "| 1 | How do I get a mortgage? | 3 | 3 | 0.05 | How can I get a mortgage? (1) |" in text
    assert "- **Which KPIs should providers hit?**: 2 down, 1 up" in text
    assert "  - “Told me targets are bad but not what to do instead”" in text
    assert "### HLS principles the questions touch\n\n- learning: 2" in text
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert [r["section"] for r in rows[:5]] == ["gap", "gap", "gap", "down-voted", "down-voted"]
    assert rows[0]["item"] == "How do I get a mortgage?"
    assert rows[0]["count"] == "3"
    assert rows[3]["detail"] == "Told me targets are bad but not what to do instead"
    assert {r["section"] for r in rows[5:]} == {"topic:principle", "topic:framing", "topic:topic"}


def test_parse_since():
    now = datetime(2025, 3, 10, 12, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2025, 3, 3, 12, tzinfo=UTC)
    assert parse_since("24h", now) == datetime(2025, 3, 9, 12, tzinfo=UTC)
    assert parse_since("2w", now) == datetime(2025, 2, 24, 12, tzinfo=UTC)
    assert parse_since("2025-01-31") == datetime(2025, 1, 31, tzinfo=UTC)
    with pytest.raises(ValueError, match="neither a span like 7d"):
        parse_since("last tuesday")


@pytest.mark.model  # the command loads the model in this process to group questions
def test_insights_command(seeded, tmp_path, monkeypatch):
    monkeypatch.setenv("HLSGUIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HLSGUIDE_DATABASE_URL", str(seeded.engine.url))
    runner = CliRunner()
    result = runner.invoke(cli, ["insights", "--since", "7d"])
    assert result.exit_code == 0, result.output
    assert "| 1 | How do I get a mortgage? | 3 | 3 |" in result.stdout
    assert "no index: document topics left out" in result.stdout
    out = tmp_path / "gaps.csv"
    result = runner.invoke(cli, ["insights", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("section,rank,item,count")
    for args, message in [
        (["--format", "pdf"], "--format must be 'md' or 'csv'"),
        (["--since", "soon"], "--since 'soon' is neither"),
        (["--below", "2"], "Invalid value for '--below'"),
    ]:
        result = runner.invoke(cli, ["insights", *args])
        assert result.exit_code == 2
        assert message in result.output


def test_user_text_cannot_add_markup_to_the_report(tmp_path, real_embedder):
    from markdown_it import MarkdownIt

    store = Store(f"sqlite:///{tmp_path / 'log.db'}")
    hostile = (
        "![x](https://evil.example/p.png?q=1) <img src=x onerror=alert(1)> "
        "[click](javascript:alert(1)) <https://evil.example> **bold** | cell &amp;"
    )
    answer_id = record(store, 1, hostile, 0.05, refused=True)
    add_feedback(store, answer_id, -1, "<script>alert(1)</script> [a](https://evil.example)")
    report = build_report(store, real_embedder, since=NOW - timedelta(days=7), documents={})
    html = MarkdownIt("commonmark").enable("table").render(render_markdown(report))
    for markup in ("<img", "<script", "<a ", "<strong>b", "onerror=alert(1)>"):
        assert markup not in html, markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown as the text typed
    assert "![x](https://evil.example/p.png?q=1)" in html
