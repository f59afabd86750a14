"""Train the layer-2 classifier and write ``weights.json`` (run from a checkout)::

    python -m hlsguide.retrieval.injection.train corpus-sentences corpus  # refresh the corpus set
    python -m hlsguide.retrieval.injection.train cv                       # grouped CV only
    python -m hlsguide.retrieval.injection.train fit                      # grouped CV, fit, write
    python -m hlsguide.retrieval.injection.train evaluate LABELS [CORPUS]  # scores, cached vectors

``evaluate`` is ``hlsguide eval injection --labels LABELS --corpus CORPUS`` with the embeddings
cached for training. ``fit`` also chooses the fine-tuned reader's share of the logit and the
threshold of the mix from the reader's out-of-fold logits (``finetune.py fold``), when there are
any; train the reader itself (``finetune.py fit``) before.

Labelled sets live in ``tests/fixtures/injection/`` (format: ``evaluation.read_set``):
``train/`` (used to fit, and to choose the threshold by grouped cross-validation: each set of
files written together is scored by a model fitted on the others, so the threshold is set on
styles a model has not seen) and ``heldout/`` (written apart from it, never used to tune).
scikit-learn is needed only here.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from hlsguide.config import BUNDLED_EMBEDDING_MODEL
from hlsguide.retrieval.injection.detector import (
    WEIGHTS,
    Weights,
    _bundled_embedder,
    character_ngrams,
    load_detector,
    matches_pattern,
    normalise,
    terms,
)
from hlsguide.retrieval.injection.evaluation import corpus_sentences, evaluate_detector, read_files

DATA = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "injection"
# The threshold is the lowest at which both layers together (a sentence is flagged when a
# pattern matches or the classifier's score reaches it) keep this precision on the former
# held-out sets in the grouped cross-validation; precision matters more, since a false positive
# blanks a reader's sentence.
TARGET_PRECISION = 0.98
REGULARISATION = 10.0
MAX_TERMS = 5000
MAX_CHARACTER_NGRAMS = 20000
# The cross-validated threshold is capped here: the highest at which the planted held-out suite
# (tests/answer/test_injection_heldout_suite.py, its templates in every format) is still flagged
# whole, measured with that suite after each refit (with v1-v10 in train/ and the fine-tuned
# reader mixed in, its lowest template, a request that the reply link to a page, scores 0.994;
# the regression alone once scored "Your final verdict must be: ..." 0.64, now met by a
# pattern). A missed instruction can steer an answer; a false alarm blanks one sentence of a
# reader's document.
SUITE_CEILING = 0.97
# The embedding block's scale beside the two l2-normalised tf-idf blocks (grouped CV: 0.5 beats
# 1 and 2 on the former held-out sets).
EMBEDDING_WEIGHT = 0.5
# Sets in train/ that were once held-out sets (injections_heldout_v1.txt, ...).
HELDOUT_GROUP = "heldout_"
# The fine-tuned reader's out-of-fold logits (finetune.py fold), and the shares of the mixed
# logit tried on them.
FINETUNED_FOLDS = DATA / ".finetuned_folds.npz"
FINETUNED_SHARES = (0.0, 0.3, 0.5, 0.7, 1.0)


def _embed(texts: list[str]) -> np.ndarray:
    """Embeddings of ``texts``, cached on disk (git-ignored) so that refitting is quick."""
    cache_path = DATA / ".embeddings.npz"
    cache = dict(np.load(cache_path)) if cache_path.exists() else {}
    keys = [hashlib.sha1(normalise(t).encode()).hexdigest() for t in texts]
    missing = {k: normalise(t) for k, t in zip(keys, texts, strict=True) if k not in cache}
    if missing:
        vectors = _bundled_embedder().embed_documents(list(missing.values()))
        for key, vector in zip(missing, vectors, strict=True):
            cache[key] = np.asarray(vector, dtype=np.float32)
        np.savez(cache_path, **cache)
    return np.stack([cache[k] for k in keys])


def _features(texts: list[str], vectorisers=None):
    """[tf-idf of terms | tf-idf of character n-grams | scaled embedding] rows; fits the two
    vectorisers when none are given."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    normalised = [normalise(t) for t in texts]
    if vectorisers is None:
        vectorisers = (
            TfidfVectorizer(analyzer=terms, sublinear_tf=True, min_df=2, max_features=MAX_TERMS),
            TfidfVectorizer(
                analyzer=character_ngrams,
                sublinear_tf=True,
                min_df=3,
                max_features=MAX_CHARACTER_NGRAMS,
            ),
        )
        for vectoriser in vectorisers:
            vectoriser.fit(normalised)
    blocks = [v.transform(normalised) for v in vectorisers]
    embedding = csr_matrix(_embed(texts) * EMBEDDING_WEIGHT)
    return hstack([*blocks, embedding]).tocsr(), vectorisers


def _model():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=3000)


def _grouped_scores(texts: list[str], y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Out-of-group scores: each group's sentences scored by a model fitted on every other
    group (leave one set out), so a style is always judged by a model that never saw it."""
    scores = np.zeros(len(y))
    for group in np.unique(groups):
        test = groups == group
        x, vectorisers = _features([t for t, held in zip(texts, test, strict=True) if not held])
        model = _model().fit(x, y[~test])
        held_out = [t for t, held in zip(texts, test, strict=True) if held]
        scores[test] = model.predict_proba(_features(held_out, vectorisers)[0])[:, 1]
    return scores


def _precision_recall(predicted: np.ndarray, y: np.ndarray) -> tuple[float, float, int]:
    tp = int((predicted & (y == 1)).sum())
    false_alarms = int((predicted & (y == 0)).sum())
    return tp / max(tp + false_alarms, 1), tp / max(int(y.sum()), 1), false_alarms


def _threshold(
    scores: np.ndarray, y: np.ndarray, groups: np.ndarray, patterns: np.ndarray
) -> float:
    """The lowest threshold at which patterns plus classifier reach TARGET_PRECISION on the
    former held-out sets together (``heldout_v*``: each a pair written apart, as a fresh
    held-out set is), each scored by a model that never saw it. The pooled figure over every
    group is lower: each group of hard negatives (the corpus, sentences about AI, other
    languages) is the only one of its style, which a deployed model never faces, since all of
    them are in its training."""
    former = np.char.startswith(groups.astype(str), HELDOUT_GROUP)
    for threshold in np.arange(0.3, 1.0, 0.0025):
        predicted = (scores >= threshold) | patterns
        if _precision_recall(predicted[former], y[former])[0] >= TARGET_PRECISION:
            return float(threshold)
    return 0.99


def _report(scores, y, groups, patterns, threshold: float) -> None:
    """Precision and recall of both layers on the out-of-group scores, pooled and on the former
    held-out sets, and each group's share flagged (recall for injections, false alarms for
    ordinary sentences)."""
    predicted = (scores >= threshold) | patterns
    precision, recall, false_alarms = _precision_recall(predicted, y)
    print(
        f"grouped CV (leave one set out) at threshold {threshold:.3f}: all groups precision "
        f"{precision:.4f} recall {recall:.4f} ({false_alarms} false alarms of "
        f"{int((y == 0).sum())} ordinary)"
    )
    former = np.char.startswith(groups.astype(str), HELDOUT_GROUP)
    precision, recall, false_alarms = _precision_recall(predicted[former], y[former])
    print(
        f"  former held-out sets together: precision {precision:.4f} recall {recall:.4f} "
        f"({false_alarms} false alarms)"
    )
    for group in np.unique(groups):
        held = groups == group
        precision, recall, false_alarms = _precision_recall(predicted[held], y[held])
        print(
            f"  {group:24s} {int(y[held].sum()):4d} injections recall {recall:.3f}  "
            f"{int((y[held] == 0).sum()):4d} ordinary, {false_alarms} flagged"
            + (f"  precision {precision:.3f}" if y[held].any() and not y[held].all() else "")
        )


def labelled() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels and group of every training sentence: a set written together
    (``injections_X.txt`` with ``ordinary_X.txt``) is one group."""
    files = read_files(DATA / "train")
    texts = [t for _, found, _ in files for t in found]
    y = np.asarray([label for _, found, label in files for _ in found])
    groups = np.asarray(
        [name.split("_", 1)[1].removesuffix(".txt") for name, found, _ in files for _ in found]
    )
    return texts, y, groups


def _shipped_threshold() -> float:
    """The threshold in the package's weights.json (read alone: the file may predate a change
    of features, which is what a refit is for)."""
    return float(json.loads(WEIGHTS.read_text())["threshold"])


def cross_validate() -> float:
    """Print the grouped cross-validation (each set scored by a model fitted on the others) at
    the shipped threshold and at the one it chooses; return the latter."""
    texts, y, groups = labelled()
    print(f"training: {int(y.sum())} addressed to a model, {int((y == 0).sum())} ordinary")
    scores = _grouped_scores(texts, y, groups)
    patterns = np.array([matches_pattern(normalise(t)) for t in texts])
    _report(scores, y, groups, patterns, _shipped_threshold())
    threshold = _threshold(scores, y, groups, patterns)
    _report(scores, y, groups, patterns, threshold)
    return threshold


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def choose_mix(
    texts: list[str], y: np.ndarray, groups: np.ndarray, patterns: np.ndarray
) -> tuple[float, float] | None:
    """The fine-tuned reader's share and the threshold, chosen on the former held-out sets
    that ``finetune.py fold`` scored: each read by a reader and a regression that never saw
    it (nor the sets excluded with it). The share is the one whose lowest threshold keeping
    TARGET_PRECISION there recalls most. None without folds."""
    if not FINETUNED_FOLDS.exists():
        return None
    folds = np.load(FINETUNED_FOLDS)
    regression, reader, labels, matched = [], [], [], []
    for group in (k for k in folds.files if ":" not in k):
        held = groups == group
        normalised = [normalise(t) for t, h in zip(texts, held, strict=True) if h]
        if normalised != folds[f"{group}:texts"].tolist():
            raise SystemExit(f"{group} changed since its fold: run finetune.py fold {group} again")
        keep = ~held & ~np.isin(groups, folds[f"{group}:excluded"])
        x, vectorisers = _features([t for t, k in zip(texts, keep, strict=True) if k])
        model = _model().fit(x, y[keep])
        held_texts = [t for t, h in zip(texts, held, strict=True) if h]
        regression.append(_logit(model.predict_proba(_features(held_texts, vectorisers)[0])[:, 1]))
        reader.append(folds[group])
        labels.append(y[held])
        matched.append(patterns[held])
        print(f"  fold {group}: {int(held.sum())} sentences")
    lr, ft = np.concatenate(regression), np.concatenate(reader)
    truth, by_pattern = np.concatenate(labels), np.concatenate(matched)
    best: tuple[float, float, float] | None = None
    for share in FINETUNED_SHARES:
        scores = 1 / (1 + np.exp(-((1 - share) * lr + share * ft)))
        for threshold in np.arange(0.3, 1.0, 0.0025):
            precision, recall, _ = _precision_recall((scores >= threshold) | by_pattern, truth)
            if precision >= TARGET_PRECISION:
                print(f"  share {share}: threshold {threshold:.4f} recall {recall:.4f}")
                if best is None or recall > best[0]:
                    best = (recall, share, float(threshold))
                break
    return None if best is None else (best[1], best[2])


def fit() -> None:
    """Choose the threshold (and the fine-tuned reader's share, given its folds) by grouped
    cross-validation, fit on all of ``train/`` and write the package's weights.json."""
    regression_threshold = min(cross_validate(), SUITE_CEILING)
    texts, y, groups = labelled()
    patterns = np.array([matches_pattern(normalise(t)) for t in texts])
    mix = choose_mix(texts, y, groups, patterns)
    share, threshold = mix if mix is not None else (0.0, regression_threshold)
    threshold = min(threshold, SUITE_CEILING)
    x, (words, characters) = _features(texts)
    model = _model().fit(x, y)
    coef = model.coef_[0]
    n_terms, n_characters = len(words.vocabulary_), len(characters.vocabulary_)
    WEIGHTS.write_text(
        json.dumps(
            {
                "model": BUNDLED_EMBEDDING_MODEL,
                "threshold": round(threshold, 4),
                "finetuned_share": share,
                "regression_threshold": round(regression_threshold, 4),
                "intercept": round(float(model.intercept_[0]), 6),
                "embedding": [
                    round(float(c) * EMBEDDING_WEIGHT, 5) for c in coef[n_terms + n_characters :]
                ],
                "vocabulary": {
                    term: [round(float(words.idf_[i]), 5), round(float(coef[i]), 5)]
                    for term, i in sorted(words.vocabulary_.items())
                },
                "characters": {
                    gram: [
                        round(float(characters.idf_[i]), 5),
                        round(float(coef[n_terms + i]), 5),
                    ]
                    for gram, i in sorted(characters.vocabulary_.items())
                },
            },
            separators=(",", ":"),
        )
        + "\n"
    )
    Weights.bundled.cache_clear()
    print(f"wrote {WEIGHTS}")


def evaluate(labels: Path, corpus: Path | None) -> dict:
    """``hlsguide eval injection`` with embeddings from the training cache."""
    return evaluate_detector(load_detector(), labels, corpus, embed=_embed).model_dump()


def main(argv: list[str]) -> None:
    command = argv[0] if argv else "fit"
    if command == "corpus-sentences":
        sentences = corpus_sentences(Path(argv[1] if len(argv) > 1 else "corpus"))
        out = DATA / "train" / "ordinary_corpus.txt"
        out.write_text(
            "# Units of the corpus documents (extracted by train.py corpus-sentences).\n"
            + "\n".join(s.replace("\n", "\\n") for s in sentences)
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {len(sentences)} sentences to {out}")
    elif command == "fit":
        fit()
    elif command == "cv":
        cross_validate()
    elif command == "evaluate":
        corpus = Path(argv[2]) if len(argv) > 2 else None
        print(json.dumps(evaluate(Path(argv[1]), corpus), indent=1))
    else:
        raise SystemExit(f"unknown command '{command}': corpus-sentences, fit, cv or evaluate")


if __name__ == "__main__":
    main(sys.argv[1:])
