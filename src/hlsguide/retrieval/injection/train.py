"""Train the layer-2 classifier and write ``weights.json`` (run from a checkout)::

    python -m hlsguide.retrieval.injection.train corpus-sentences corpus  # refresh the corpus set
    python -m hlsguide.retrieval.injection.train fit                      # fit, write weights
    python -m hlsguide.retrieval.injection.train evaluate corpus          # held-out, corpus blanks

Labelled sets live in ``tests/fixtures/injection/``: ``train/`` (used to fit and to choose the
threshold by cross-validation) and ``heldout/`` (written apart from it, never used to tune).
Each ``*.txt`` holds one sentence a line; ``\\n`` inside a line stands for a line break; lines
starting with ``#`` are comments. Files named ``injections*`` are positives, the rest negatives.
scikit-learn is needed only here.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources
from pathlib import Path

import numpy as np

from hlsguide.config import BUNDLED_EMBEDDING_MODEL
from hlsguide.retrieval.injection.detector import (
    InjectionDetector,
    Weights,
    _bundled_embedder,
    load_detector,
    normalise,
    terms,
    units,
)

DATA = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "injection"
# The threshold is the lowest at which cross-validated precision on the training set stays at
# or above this; precision matters more, since a false positive blanks a reader's sentence.
TARGET_PRECISION = 0.98
REGULARISATION = 10.0
MAX_TERMS = 5000


def read_set(folder: Path) -> tuple[list[str], np.ndarray]:
    """Texts and labels (1 = addressed to a model) of every ``*.txt`` in ``folder``."""
    texts, labels = [], []
    for path in sorted(folder.glob("*.txt")):
        positive = path.name.startswith("injections")
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                texts.append(line.replace("\\n", "\n"))
                labels.append(int(positive))
    return texts, np.asarray(labels)


def corpus_sentences(corpus: Path) -> list[str]:
    """Every unit the detector would judge in the corpus documents, as indexing loads them."""
    from hlsguide.corpus.loaders import discover, load_document

    found: list[str] = []
    for path in discover([corpus]):
        document = load_document(path)
        for section in document.sections:
            found.extend(normalise(section.text[s:e]) for s, e in units(section.text))
    return list(dict.fromkeys(found))


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


def _features(texts: list[str], vectoriser=None):
    """[tf-idf of terms | embedding] rows; fits the vectoriser when none is given."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    if vectoriser is None:
        vectoriser = TfidfVectorizer(
            analyzer=terms, sublinear_tf=True, min_df=2, max_features=MAX_TERMS
        ).fit([normalise(t) for t in texts])
    lexical = vectoriser.transform([normalise(t) for t in texts])
    return hstack([lexical, csr_matrix(_embed(texts))]).tocsr(), vectoriser


def _model():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=3000)


def _threshold(texts: list[str], y: np.ndarray) -> float:
    """The lowest threshold whose cross-validated precision reaches TARGET_PRECISION."""
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(len(y))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=16)
    for train, test in folds.split(np.zeros(len(y)), y):
        x, vectoriser = _features([texts[i] for i in train])
        model = _model().fit(x, y[train])
        scores[test] = model.predict_proba(_features([texts[i] for i in test], vectoriser)[0])[:, 1]
    for threshold in np.arange(0.3, 1.0, 0.005):
        predicted = scores >= threshold
        precision = (predicted & (y == 1)).sum() / max(predicted.sum(), 1)
        if precision >= TARGET_PRECISION:
            recall = (predicted & (y == 1)).sum() / (y == 1).sum()
            print(
                f"cross-validated: threshold {threshold:.3f} precision {precision:.4f} "
                f"recall {recall:.4f}"
            )
            return float(threshold)
    return 0.99


def fit() -> None:
    """Fit on ``train/`` and write the package's weights.json."""
    texts, y = read_set(DATA / "train")
    print(f"training: {int(y.sum())} addressed to a model, {int((y == 0).sum())} ordinary")
    threshold = _threshold(texts, y)
    x, vectoriser = _features(texts)
    model = _model().fit(x, y)
    coef = model.coef_[0]
    n_terms = len(vectoriser.vocabulary_)
    target = resources.files("hlsguide.retrieval.injection").joinpath("weights.json")
    Path(str(target)).write_text(
        json.dumps(
            {
                "model": BUNDLED_EMBEDDING_MODEL,
                "threshold": round(threshold, 4),
                "intercept": round(float(model.intercept_[0]), 6),
                "embedding": [round(float(c), 5) for c in coef[n_terms:]],
                "vocabulary": {
                    term: [round(float(vectoriser.idf_[i]), 5), round(float(coef[i]), 5)]
                    for term, i in sorted(vectoriser.vocabulary_.items())
                },
            },
            separators=(",", ":"),
        )
        + "\n"
    )
    Weights.bundled.cache_clear()
    print(f"wrote {target}")


def evaluate(corpus: Path | None) -> dict:
    """Precision and recall on ``heldout/`` (both layers, and the classifier alone), and the
    corpus units the detector would blank."""
    detector: InjectionDetector = load_detector()
    texts, y = read_set(DATA / "heldout")
    vectors = _embed(texts)
    normalised = [normalise(t) for t in texts]
    combined = np.asarray(detector.flags_from_vectors(normalised, vectors))
    alone = detector.probabilities(normalised, vectors) >= detector.weights.threshold
    result: dict = {"heldout": {"positives": int(y.sum()), "negatives": int((y == 0).sum())}}
    for name, predicted in (("detector", combined), ("classifier_only", alone)):
        tp = int((predicted & (y == 1)).sum())
        labelled = list(zip(texts, predicted, y, strict=True))
        result["heldout"][name] = {
            "precision": round(tp / max(int(predicted.sum()), 1), 4),
            "recall": round(tp / int(y.sum()), 4),
            "missed": [t for t, p, label in labelled if label and not p],
            "false_alarms": [t for t, p, label in labelled if p and not label],
        }
    if corpus is not None:
        sentences = corpus_sentences(corpus)
        flags = detector.flags_from_vectors(sentences, _embed(sentences))
        result["corpus"] = {
            "sentences": len(sentences),
            "blanked": [s for s, f in zip(sentences, flags, strict=True) if f],
        }
    return result


def main(argv: list[str]) -> None:
    command = argv[0] if argv else "evaluate"
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
    elif command == "evaluate":
        print(json.dumps(evaluate(Path(argv[1]) if len(argv) > 1 else None), indent=1))
    else:
        raise SystemExit(f"unknown command '{command}': corpus-sentences, fit or evaluate")


if __name__ == "__main__":
    main(sys.argv[1:])
