"""Units in the index: authored units placed in their chunks, candidate sentences bound to
their antecedents, vectors stored with the generation and searched without re-embedding."""

from pathlib import Path

import numpy as np
import pytest

from hlsguide.corpus.markup import display_text
from hlsguide.corpus.units import leans_back, said_sentences, said_spans, verdict_cut
from hlsguide.retrieval.embeddings import embed_query
from hlsguide.retrieval.units import SENTENCE_COUNTS, SENTENCE_VECTORS, UnitIndex

V2_DOCUMENT = (Path(__file__).parents[1] / "fixtures" / "units" / "shared-budgets.md").read_text()


@pytest.fixture
def with_units(service, corpus_dir):
    (corpus_dir / "concepts" / "shared-budgets.md").write_text(V2_DOCUMENT)
    (corpus_dir / "notes.txt").write_text(
        "Summary\n\nThe Riverside alliance pooled four contracts into one in 2019 after two "
        "years of co-design. It then met monthly to review cases together.\n\n"
        "The partners named three aims: fewer evictions, steadier tenancies and less duplication. "
        "The alliance reported progress on the first of these within a year. "
        "That raises an obvious question: what changed for tenants?\n\n"
        "**1. Open budgets.** They let partners decide together where the money goes.\n\n"
        "Complexity theory separates two kinds of difficulty. A complicated system can be "
        "analysed and controlled by experts from outside.\n\n"
        "The figures below are as the alliance itself reported them to its board.\n\n"
        "By 2021 the alliance reported:\n\n- fewer evictions than in any year before it;\n"
        "- steadier tenancies for families.\n\n"
        "Key steps:\n\n- Agree the shared purpose with every partner before any money moves.\n"
        "- Too short.\n"
    )
    report = service.build()
    assert report.generation is not None, report.failed
    return service.searcher()


def test_authored_units_sit_exactly_in_their_chunks(with_units):
    units = with_units.units.select(document_ids=["shared-budgets"])
    kinds = [u.kind for u in units]
    assert kinds.count("key_point") == 2
    assert kinds.count("question") == 1
    assert kinds.count("misreading") == 1
    question = next(u for u in units if u.kind == "question")
    assert question.prompt == "How do we start a shared budget with the NHS?"
    for unit in units:
        chunk = with_units.chunk(unit.chunk_id)
        assert chunk.document_id == "shared-budgets"
        head = unit.text.split(" [@")[0]
        assert chunk.text[unit.start - chunk.start :].startswith(head)


def test_candidate_sentences_bind_dangling_openers_and_skip_fragments(with_units):
    units = with_units.units.select(document_ids=["doc-notes"])
    texts = [" ".join(u.text.split()) for u in units]
    # The "It then met..." sentence travels with its antecedent; nothing leans back alone.
    assert any(t.startswith("The Riverside alliance pooled") and "It then met" in t for t in texts)
    assert not any(leans_back(t) for t in texts)
    # A sentence pointing back inside ("the first of these") also travels with its antecedent.
    assert any(
        t.startswith("The partners named three aims") and "first of these" in t for t in texts
    )
    # A paragraph's opening sentence that only announces the rest travels with what follows.
    assert any(
        t.startswith("Complexity theory separates") and t.endswith("from outside.") for t in texts
    )
    # A question leaning back is not a unit, nor part of one.
    assert not any("obvious question" in t for t in texts)
    # A bold run-in title is the antecedent of the sentence after it: the two are one unit.
    assert "**1. Open budgets.** They let partners decide together where the money goes." in (texts)
    # List items continuing a lead-in are one unit with it, never subjectless units alone.
    assert any(
        t.startswith("By 2021 the alliance reported:") and t.endswith("families.") for t in texts
    )
    assert not any(t[:1].islower() or t.startswith("- ") for t in texts)
    # Headings, lead-ins and fragments are never units; an imperative sentence is a step.
    assert not any(t in ("Summary", "Key steps:", "Too short.") for t in texts)
    # In an answer there is no "below": a sentence pointing at its document's layout is not said.
    assert not any("figures below" in t for t in texts)
    step = next(u for u in units if u.text.startswith("Agree the shared purpose"))
    assert step.kind == "step"
    # A run-in title opening with a verb's form ("Open") does not make its sentence a step.
    titled = next(u for u in units if u.text.startswith("**1. Open budgets.**"))
    assert titled.kind == "sentence"


def test_unit_vectors_are_stored_and_searched_without_embedding(with_units, embedder):
    vector = embed_query(embedder, "how can we begin pooling money with the health service?")
    embedder.texts.clear()
    nearest = with_units.units.nearest(vector, by="prompt", k=1)
    assert nearest[0][0].prompt == "How do we start a shared budget with the NHS?"
    hits = with_units.search("pooling money with the health service", k=3, vector=vector)
    assert embedder.texts == []  # the vector was passed in: nothing embedded at search time
    assert "shared-budgets" in {h.chunk.document_id for h in hits}
    index = with_units.snapshot.units
    row = next(i for i, u in enumerate(index.units) if u.kind == "question")
    assert np.isclose(np.linalg.norm(index.prompt_vectors[row]), 1.0, atol=1e-3)


def test_units_of_several_sentences_keep_a_vector_per_sentence_said(with_units, embedder, tmp_path):
    """A sentence rewording one already said is caught by its own vector; a unit of one
    sentence needs none beyond its text vector, unless a verdict is cut off it when said
    ("No: a shared budget ..."): its vector is the sentence's without the verdict. The vectors
    survive save and load, and a generation saved before them loads with none."""
    index = with_units.snapshot.units
    for unit, vectors in zip(index.units, index.sentence_vectors, strict=True):
        spans = said_spans(unit.text)
        verdict = verdict_cut(display_text(unit.text)) is not None
        assert len(vectors) == (len(spans) if len(spans) > 1 or verdict else 0)
    row = next(i for i, u in enumerate(index.units) if u.kind == "misreading")
    said = said_sentences(index.units[row].text)
    assert said[0].startswith("A shared budget is governed jointly")
    expected = np.asarray(embedder.embed_documents(said), dtype=np.float32)
    assert np.allclose(index.sentence_vectors[row], expected, atol=1e-4)
    several = next(i for i, v in enumerate(index.sentence_vectors) if len(v))
    assert np.allclose(np.linalg.norm(index.sentence_vectors[several], axis=1), 1.0, atol=1e-3)

    index.save(tmp_path)
    loaded = UnitIndex.load(tmp_path)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(loaded.sentence_vectors, index.sentence_vectors, strict=True)
    )
    kept = loaded.subset({index.units[several].document_id})
    assert sum(len(v) for v in kept.sentence_vectors) > 0
    assert len(UnitIndex.concat([kept, kept.subset(set())]).sentence_vectors) == len(kept.units)

    (tmp_path / SENTENCE_VECTORS).unlink()
    (tmp_path / SENTENCE_COUNTS).unlink()
    older = UnitIndex.load(tmp_path)
    assert len(older.sentence_vectors) == len(older.units)
    assert all(len(v) == 0 for v in older.sentence_vectors)
