"""The specification lens on the labelled paragraphs: the held-out split meets the bar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hlsguide.lens.specification import SpecificationLens
from hlsguide.review.evaluation import evaluate_detection, load_labelled

LABELS = Path(__file__).parents[2] / "eval" / "review"


@pytest.fixture(scope="module")
def lens(real_embedder) -> SpecificationLens:
    return SpecificationLens(real_embedder)


def test_heldout_precision_and_recall(lens, real_embedder):
    items = load_labelled(LABELS / "heldout.yaml", {f.name for f in lens.framings})
    train = load_labelled(LABELS / "train.yaml", {f.name for f in lens.framings})
    assert len(items) + len(train) >= 200
    assert not {i.text for i in items} & {i.text for i in train}
    report = evaluate_detection(lens, real_embedder, items)
    assert report.overall.precision >= 0.9
    assert report.overall.recall >= 0.85
    assert all(s.support >= 7 for s in report.by_framing.values())


def test_each_framing_names_the_words_that_raised_it(lens, real_embedder):
    text = (
        "Service credits will be deducted from the monthly charge where the Provider fails "
        "to meet a KPI."
    )
    vector = np.asarray(real_embedder.embed_documents([text]))[0]
    found = {m.name: m.evidence for m in lens.framings_in(text, vector)}
    assert "provider_targets" in found
    assert "KPI" in found["provider_targets"]


@pytest.mark.parametrize(
    "text",
    [
        "There will be no outcome targets; data will help partners learn, not trigger payment.",
        "Previous contracts used targets that led providers to turn away the hardest cases.",
        "The Provider shall comply with data protection law and report serious incidents.",
        "Payment: 5%",  # too short to be a paragraph of a specification
    ],
)
def test_relational_and_neutral_wording_is_not_flagged(lens, real_embedder, text):
    vector = np.asarray(real_embedder.embed_documents([text]))[0]
    assert lens.framings_in(text, vector) == []


def test_a_label_that_names_no_framing_is_an_error(lens, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("items:\n  - text: Some paragraph of a draft.\n    framings: [kpi]\n")
    with pytest.raises(ValueError, match="unknown framing"):
        load_labelled(path, {f.name for f in lens.framings})
