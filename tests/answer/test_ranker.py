"""The unit ranker: the shipped weights load only for their model and hold the anchor's map,
training learns a hidden question-to-fact map with every writer weighing the same, the composer
adds the learned term to a unit's relevance, and the cross-validation scores composed answers."""

from __future__ import annotations

import numpy as np

from hlsguide.answer.generators.base import Candidate
from hlsguide.answer.generators.extractive import relevance, with_learned
from hlsguide.answer.ranker import WEIGHTS, UnitRanker, load_ranker
from hlsguide.answer.ranker_train import ANCHOR, Example, balanced, composed_coverage, mean_of
from hlsguide.config import BUNDLED_EMBEDDING_MODEL
from hlsguide.retrieval.evaluation import EvalQuestion
from hlsguide.types import Unit


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("the ranker embeds nothing")


def test_the_shipped_ranker_serves_only_the_model_it_was_trained_on(tmp_path):
    ranker = load_ranker(_Named(BUNDLED_EMBEDDING_MODEL))
    assert ranker is not None
    assert ranker.model == BUNDLED_EMBEDDING_MODEL
    dimensions = ranker.down.shape[0]
    assert ranker.up.shape == (ranker.down.shape[1], dimensions)
    assert np.isfinite(ranker.down).all()
    assert np.isfinite(ranker.up).all()
    assert load_ranker(_Named("another-model")) is None
    assert load_ranker(_Named(BUNDLED_EMBEDDING_MODEL), tmp_path / "missing.npz") is None
    assert WEIGHTS.exists()


def test_the_shipped_ranker_is_the_mean_of_the_anchor_and_a_map_fitted_on_every_writer():
    named = _Named(BUNDLED_EMBEDDING_MODEL)
    shipped, anchor = load_ranker(named), load_ranker(named, ANCHOR)
    assert shipped is not None
    assert anchor is not None
    rank = anchor.down.shape[1]
    assert shipped.down.shape[1] == 2 * rank
    assert np.allclose(shipped.down[:, :rank], anchor.down)
    assert np.allclose(shipped.up[:rank], anchor.up / (2 * anchor.scale), atol=1e-6)
    assert not np.allclose(shipped.down[:, rank:], anchor.down)  # the other half is new


def test_a_mean_of_rankers_scores_as_the_mean_of_their_scores():
    rng = np.random.default_rng(2)
    rankers = [
        UnitRanker("m", rng.normal(size=(6, r)), rng.normal(size=(r, 6)), scale)
        for r, scale in ((2, 1.0), (3, 0.5))
    ]
    question = rng.normal(size=6)
    mean = mean_of(rankers)
    expected = (rankers[0].direction(question) + rankers[1].direction(question)) / 2
    assert mean.down.shape == (6, 5)
    assert np.allclose(mean.direction(question), expected)


def test_a_writer_with_more_questions_than_the_median_is_sampled_down_to_it():
    writers = [[f"w{w}-{i}" for i in range(size)] for w, size in enumerate((4, 5, 6, 15))]
    kept = balanced(writers)
    counts = [sum(e.startswith(f"w{w}-") for e in kept) for w in range(4)]
    assert counts == [4, 5, 5, 5]  # the median writer's 5.5, rounded down
    assert set(kept) <= {e for w in writers for e in w}
    assert len(set(kept)) == len(kept)
    assert balanced(writers) == kept  # the same sample every time


def test_saved_weights_load_with_the_same_direction(tmp_path):
    rng = np.random.default_rng(0)
    ranker = UnitRanker("m", rng.normal(size=(8, 3)), rng.normal(size=(3, 8)), 2.0)
    path = tmp_path / "ranker.npz"
    ranker.save(path)
    loaded = load_ranker(_Named("m"), path)
    assert loaded is not None
    assert loaded.scale == 2.0
    question = rng.normal(size=8)
    assert np.allclose(loaded.direction(question), ranker.direction(question), atol=1e-5)


def _unit(i: int) -> Unit:
    return Unit(
        id=f"u{i}",
        document_id="d",
        kind="sentence",
        text=f"Sentence {i} of the document says something.",
        start=10 * i,
        end=10 * i + 9,
        title="D",
        doc_kind="concept",
    )


def test_the_learned_term_is_added_to_relevance():
    ranker = UnitRanker("m", np.eye(2), np.eye(2), 1.0)  # direction = the question itself
    vectors = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]
    candidates = [Candidate(_unit(i), v, similarity=0.4) for i, v in enumerate(vectors)]
    assert relevance(candidates[0]) == relevance(candidates[1])
    scored = with_learned(candidates, ranker, np.array([0.0, 1.0]))
    assert [c.learned for c in scored] == [0.0, 1.0]
    assert relevance(scored[1]) == relevance(candidates[1]) + 1.0
    assert with_learned(candidates, None, np.array([0.0, 1.0])) == candidates
    assert with_learned(candidates, ranker, None) == candidates


def _synthetic(rng: np.random.Generator, rotation: np.ndarray, n: int) -> list[Example]:
    """Questions whose fact-bearing unit lies along a hidden rotation of the question, among
    distractors that hand-set relevance (noise) cannot tell apart."""
    examples = []
    dimensions = rotation.shape[0]
    for _ in range(n):
        drawn = rng.normal(size=dimensions)
        question = np.asarray(drawn / np.linalg.norm(drawn))
        units = rng.normal(size=(20, dimensions))
        units[0] = rotation @ question + 0.1 * rng.normal(size=dimensions)
        units /= np.linalg.norm(units, axis=1, keepdims=True)
        covers = np.zeros((20, 1), dtype=bool)
        covers[0, 0] = True
        examples.append(
            Example(
                question=question,
                units=units,
                relevance=rng.normal(scale=0.05, size=20),
                usable=np.ones(20, dtype=bool),
                covers=covers,
            )
        )
    return examples


def _found_first(ranker: UnitRanker | None, examples: list[Example]) -> float:
    """Share of the examples whose fact-bearing unit (the first) scores highest."""
    found = []
    for e in examples:
        scores = e.relevance.copy()
        if ranker is not None:
            scores += e.units @ ranker.direction(e.question)
        found.append(int(np.argmax(scores)) == 0)
    return float(np.mean(found))


def test_training_learns_a_hidden_question_to_fact_map(monkeypatch):
    import hlsguide.answer.ranker_train as train

    # Small enough to fit in seconds; the shape of the problem is the real one.
    monkeypatch.setattr(train, "SEEDS", 1)
    monkeypatch.setattr(train, "EPOCHS", 30)
    rng = np.random.default_rng(1)
    rotation, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    fitted_on, held_out = _synthetic(rng, rotation, 80), _synthetic(rng, rotation, 40)
    ranker = train.fit(fitted_on, "m")
    assert _found_first(None, held_out) < 0.2  # one fact-bearing unit among 20, by chance
    assert _found_first(ranker, held_out) > 0.8


def test_cross_validation_scores_composed_answers_and_puts_the_ranker_back(answers):
    own = answers.extractive.ranker
    question = EvalQuestion(
        id="q",
        question="What did Bevan and Hood find about A&E waiting-time targets?",
        key_facts=[
            "Official figures showed 96% of patients seen within four hours in 2004/05, "
            "against 77% in the patient survey."
        ],
    )
    with_ranker = composed_coverage(answers, own, [question])
    without = composed_coverage(answers, None, [question])
    assert answers.extractive.ranker is own  # put back after scoring without it
    assert with_ranker.questions == without.questions == 1
    assert with_ranker.mean_key_fact_coverage == 1.0


def test_the_answer_service_composes_with_the_ranker_unless_switched_off(answers):
    assert answers.extractive.ranker is not None
    settings = answers.settings.model_copy(update={"unit_ranker": False})
    off = type(answers)(settings, answers.retrieval)
    assert off.extractive.ranker is None
