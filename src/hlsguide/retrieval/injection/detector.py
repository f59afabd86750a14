"""The injection detector: a sentence is flagged when a pattern of ``lens/lexicon.yaml`` matches
it or when the classifier says it addresses a model. The classifier mixes the logits of a
logistic regression over its bundled-model embedding, its words and its character n-grams, and
of a fine-tuned reader (``finetuned.py``).

The weights (``weights.json``: embedding coefficients, idf and coefficient per word or word
pair and per character n-gram, the mix and the threshold) are trained by
``python -m hlsguide.retrieval.injection.train``, the reader's adapter by ``... .finetune``, on
the labelled sets in ``tests/fixtures/injection/``; nothing is trained at run time.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from hlsguide.config import BUNDLED_EMBEDDING_MODEL
from hlsguide.corpus.markup import CITATION_GROUP
from hlsguide.corpus.sanitize import Findings, instruction_patterns
from hlsguide.retrieval.embeddings import Embedder, SentenceTransformerEmbedder
from hlsguide.retrieval.injection.finetuned import FineTunedScorer, bundled_scorer
from hlsguide.types import SourceDocument

# A unit: a sentence within a line, or a whole line without a sentence end.
_LINE_UNIT = re.compile(r"[^\n]+?(?:[.!?](?=\s)|$)", re.M)
_FLAT_END = re.compile(r"[.!?](?=\s|$)")
# An aside in brackets, or code in backticks, is judged on its own too: inside a sentence it is
# diluted by the rest (a DOCX paragraph runs a code line into the next sentence).
_ASIDE = re.compile(r"\([^()\n]{12,}\)|\[[^\[\]\n]{12,}\]|\{[^{}\n]{12,}\}|`[^`\n]{12,}`")
# Units shorter than this say nothing a model could act on ("## Notes", "1.").
_MIN_CHARS = 12
# A sentence written across lines is also judged whole, up to this length.
_MAX_FLAT_CHARS = 600
# Directives about what an answer must contain: never lifted into an answer, whoever wrote them.
_ANSWER_DIRECTIVE = re.compile(
    r"\b(your|the|every|each|all|any)\s+(answers?|repl(y|ies)|responses?|summar(y|ies)|output)\b"
    r"[^.!?\n]{0,80}\b(must|should|shall|needs? to|has to|have to|is to|are to|will)\b"
    r"|\b(in|to|into|at the (end|start) of)\s+(your|every|each|all|any)\s+"
    r"(answers?|repl(y|ies)|responses?|summar(y|ies)|output)\b",
    re.IGNORECASE,
)


def directs_the_answer(sentence: str) -> bool:
    """True for a sentence that tells whoever answers what "your answer" or "every response"
    must do; such a sentence is never quoted in an answer."""
    return bool(_ANSWER_DIRECTIVE.search(" ".join(sentence.split())))


def units(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` to judge: each sentence of each line, each aside in brackets, and each
    sentence that runs across lines judged whole (so a payload split over lines is seen as
    one)."""
    # A bracket holding only citation keys ("[@a; @b]") is markup, not an aside.
    spans = [m.span() for m in _ASIDE.finditer(text) if not CITATION_GROUP.fullmatch(m.group(0))]
    for match in _LINE_UNIT.finditer(text):
        start, end = match.span()
        piece = text[start:end]
        start += len(piece) - len(piece.lstrip())
        end -= len(piece) - len(piece.rstrip())
        if end - start >= _MIN_CHARS:
            spans.append((start, end))
    flat = text.replace("\n", " ")
    start = 0
    ends: list[re.Match[str] | None] = [*_FLAT_END.finditer(flat), None]
    for end_match in ends:
        end = end_match.end() if end_match else len(flat)
        piece = flat[start:end]
        s = start + len(piece) - len(piece.lstrip())
        e = end - (len(piece) - len(piece.rstrip()))
        if "\n" in text[s:e] and _MIN_CHARS <= e - s <= _MAX_FLAT_CHARS:
            spans.append((s, e))
        start = end
    return spans


# Cyrillic and Greek letters drawn like Latin ones. They are folded only inside a word that also
# holds Latin letters ("іgnоrе" with Cyrillic і, о and е, written to slip past words and
# n-grams); a word wholly in another script is a word of that language and stays.
_LOOKALIKE_PAIRS = (
    "аa еe оo рp сc уy хx іi јj ѕs һh ԁd ԛq ԝw ӏl "
    "АA ВB ЕE КK МM НH ОO РP СC ТT ХX ІI ЈJ ЅS "
    "ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX οo ιi νv"
)
_LOOKALIKES = str.maketrans({pair[0]: pair[1] for pair in _LOOKALIKE_PAIRS.split()})
_WORD_CHARS = re.compile(r"\w+")
_LATIN = re.compile(r"[A-Za-z]")
# Digits standing for letters ("D1sr3g4rd", "5umm4r1s3"): folded in a word where one sits
# between letters or two or more sit beside letters, unless the word is a short code in capitals
# ("SW1A", "H1N1") or a name with a number after it ("ACME10"); "Q2", "10am" and "1990s" stay.
_LEET = str.maketrans("013457", "oieast")
_LEET_WORD = re.compile(
    r"\b(?=[A-Za-z013457]*[A-Za-z][013457]+[A-Za-z]|(?:[A-Za-z]*[013457]){2})"
    r"(?=\d*[A-Za-z]+[013457])[A-Za-z013457]+\b"
)

# Letters spelled apart ("d-o", "a_p_p_e_n_d", "I G N O R E"): joined again.
_SPELLED_APART = re.compile(r"\b[A-Za-z](?:[-_][A-Za-z])+\b|\b[A-Za-z](?: [A-Za-z]){2,}\b")
_SEPARATORS = str.maketrans("", "", "-_ ")


def _unleet(match: re.Match[str]) -> str:
    word = match.group(0)
    short_code = len(word) <= 5 and word == word.upper()
    numbered_name = word[-1].isdigit() and word.rstrip("0123456789").isalpha()
    return word if short_code or numbered_name else word.translate(_LEET)


def _unlookalike(match: re.Match[str]) -> str:
    word = match.group(0)
    return word.translate(_LOOKALIKES) if _LATIN.search(word) else word


def _deobfuscate(text: str) -> str:
    """``text`` with look-alike letters, digits for letters and spelled-apart words read as the
    words they disguise."""
    if not text.isascii():  # look-alikes are never ASCII; most text skips the word scan
        text = _WORD_CHARS.sub(_unlookalike, text)
    text = _LEET_WORD.sub(_unleet, text)
    return _SPELLED_APART.sub(lambda m: m.group(0).translate(_SEPARATORS), text)


def normalise(text: str) -> str:
    """The form a unit is embedded and matched in: compatibility forms folded (fullwidth
    "ＩＧＮＯＲＥ" reads as "IGNORE"), disguised spellings read as words ("1gn0re",
    "i-g-n-o-r-e", Cyrillic look-alikes), whitespace collapsed."""
    return " ".join(_deobfuscate(unicodedata.normalize("NFKC", text)).split())


_WORD = re.compile(r"(?u)\b\w\w+\b")


def terms(text: str) -> list[str]:
    """The lexical features of a unit: lower-cased words and word pairs."""
    words = _WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


# Character n-grams within words see what words miss: other languages' word forms ("Anwybyddwch",
# "Ignoriere"), spaced or disguised spellings, role tokens such as "[INST]".
CHARACTER_NGRAMS = (3, 5)
# The shipped classifier: written by train.py, read here.
WEIGHTS = Path(str(resources.files("hlsguide.retrieval.injection").joinpath("weights.json")))


def character_ngrams(text: str) -> list[str]:
    """The character n-grams of each lower-cased word padded with a space at each end (as
    scikit-learn's ``char_wb`` analyser makes them)."""
    low, high = CHARACTER_NGRAMS
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(max(len(padded) - n + 1, 1)))
            if len(padded) <= n:
                break
    return grams


def _tfidf_logit(grams: list[str], table: dict[str, tuple[float, float]]) -> float:
    """The logit of an l2-normalised sublinear tf-idf vector of ``grams`` under ``table``
    (gram -> (idf, coefficient)), exactly as scikit-learn's TfidfVectorizer computes it."""
    counts: dict[str, int] = {}
    for gram in grams:
        if gram in table:
            counts[gram] = counts.get(gram, 0) + 1
    if not counts:
        return 0.0
    values = {g: (1.0 + math.log(n)) * table[g][0] for g, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values()))
    return sum(v * table[g][1] for g, v in values.items()) / norm


@dataclass(frozen=True)
class Weights:
    """A logistic regression over [tf-idf of ``terms`` | tf-idf of ``character_ngrams`` |
    unit-length embedding], its share of the logit beside the fine-tuned reader's, and the
    threshold chosen in training (see ``train.py``)."""

    model: str
    threshold: float
    intercept: float
    embedding: np.ndarray
    # gram -> (idf, coefficient) of each tf-idf block (sublinear tf, l2-normalised).
    vocabulary: dict[str, tuple[float, float]]
    characters: dict[str, tuple[float, float]]
    # The fine-tuned reader's share of the mixed logit (0: the regression alone), and the
    # regression's own threshold for a check without the reader's forward pass.
    finetuned_share: float = 0.0
    regression_threshold: float | None = None

    @classmethod
    @cache
    def bundled(cls) -> Weights:
        data = json.loads(WEIGHTS.read_text())
        return cls(
            model=data["model"],
            threshold=float(data["threshold"]),
            intercept=float(data["intercept"]),
            embedding=np.asarray(data["embedding"], dtype=np.float32),
            vocabulary={t: (float(i), float(c)) for t, (i, c) in data["vocabulary"].items()},
            characters={g: (float(i), float(c)) for g, (i, c) in data["characters"].items()},
            finetuned_share=float(data.get("finetuned_share", 0.0)),
            regression_threshold=float(data.get("regression_threshold", data["threshold"])),
        )

    def lexical(self, text: str) -> float:
        """The tf-idf part of the logit for ``text`` (words, then character n-grams)."""
        return _tfidf_logit(terms(text), self.vocabulary) + _tfidf_logit(
            character_ngrams(text), self.characters
        )


class InjectionDetector:
    """Flags text addressed to a model; ``embedder`` must be the model the weights were
    trained on (see ``load_detector``); ``scorer`` is the fine-tuned reader (default: the
    shipped one, loaded on first use when the weights give it a share)."""

    def __init__(
        self,
        embedder: Embedder,
        weights: Weights | None = None,
        scorer: FineTunedScorer | None = None,
    ) -> None:
        self.embedder = embedder
        self.weights = weights or Weights.bundled()
        self._scorer = scorer

    def regression_logits(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """The logistic regression's logit for each text, given its embedding row."""
        return (
            np.asarray(vectors, dtype=np.float32) @ self.weights.embedding
            + np.array([self.weights.lexical(t) for t in texts])
            + self.weights.intercept
        )

    def probabilities(
        self, texts: Sequence[str], vectors: np.ndarray, reader: bool = True
    ) -> np.ndarray:
        """P(addressed to a model) for each text, given its embedding row; with ``reader``
        False, the regression's alone (no forward pass of the fine-tuned reader)."""
        if len(texts) == 0:
            return np.zeros(0)
        logits = self.regression_logits(texts, vectors)
        share = self.weights.finetuned_share if reader else 0.0
        if share:
            scorer = self._scorer or bundled_scorer()
            logits = (1 - share) * logits + share * scorer.logits(texts)
        return 1.0 / (1.0 + np.exp(-logits))

    def threshold(self, reader: bool = True) -> float:
        """The score from which a text is flagged, with the reader or by the regression alone."""
        if reader or self.weights.regression_threshold is None:
            return self.weights.threshold
        return self.weights.regression_threshold

    def pattern_flags(self, texts: Sequence[str]) -> list[bool]:
        """Layer 1 alone."""
        return [matches_pattern(t) for t in texts]

    def flags_from_vectors(
        self, texts: Sequence[str], vectors: np.ndarray, reader: bool = True
    ) -> list[bool]:
        """Layer 1 or layer 2 for texts whose embeddings are already at hand; ``reader`` False
        skips the fine-tuned reader (a quick second check of text the full detector passed)."""
        by_model = self.probabilities(texts, vectors, reader) >= self.threshold(reader)
        return [bool(m) or p for p, m in zip(self.pattern_flags(texts), by_model, strict=True)]

    def flags(self, texts: Sequence[str]) -> list[bool]:
        """Whether each text addresses a model."""
        texts = [normalise(t) for t in texts]
        unique = list(dict.fromkeys(texts))
        vectors = np.asarray(self.embedder.embed_documents(unique)) if unique else np.zeros((0,))
        flagged = dict(zip(unique, self.flags_from_vectors(unique, vectors), strict=True))
        return [flagged[t] for t in texts]

    def flagged_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """For each text, the spans judged to address a model (one embedding batch for all)."""
        spans = [units(text) for text in texts]
        pieces = [t[s:e] for t, found in zip(texts, spans, strict=True) for s, e in found]
        verdicts = iter(self.flags(pieces))
        return [[span for span in found if next(verdicts)] for found in spans]

    def scrub(self, text: str, findings: Findings | None = None) -> str:
        """``text`` with flagged units blanked (see ``blank``)."""
        return blank(text, self.flagged_spans([text])[0], findings)


def blank(text: str, spans: list[tuple[int, int]], findings: Findings | None = None) -> str:
    """``text`` with ``spans`` replaced by spaces (offsets stay valid, line breaks kept); each
    removal is reported to ``findings``."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        if findings is not None:
            snippet = " ".join(text[start:end].split())[:80]
            findings.add(f"removed text addressed to an AI model: '{snippet}'")
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def matches_pattern(text: str) -> bool:
    """Layer 1: a pattern of ``lens/lexicon.yaml`` matches."""
    return any(p.search(text) for p in instruction_patterns())


@cache
def _bundled_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(BUNDLED_EMBEDDING_MODEL)


def load_detector(embedder: Embedder | None = None) -> InjectionDetector:
    """A detector sharing ``embedder`` when it is the bundled model the weights were trained
    on, else with its own copy of the bundled model (vectors of another model mean nothing to
    the weights)."""
    if (
        isinstance(embedder, SentenceTransformerEmbedder)
        and embedder.name == Weights.bundled().model
    ):
        return InjectionDetector(embedder)
    return InjectionDetector(_bundled_embedder())


def screen(detector: InjectionDetector, document: SourceDocument) -> SourceDocument:
    """``document`` with every unit the detector flags blanked (offsets kept), each removal
    added to its warnings; the document itself when nothing is flagged."""
    findings = Findings()
    flagged = detector.flagged_spans([section.text for section in document.sections])
    if not any(flagged):
        return document
    sections = [
        section.model_copy(update={"text": blank(section.text, spans, findings)})
        for section, spans in zip(document.sections, flagged, strict=True)
    ]
    warnings = list(dict.fromkeys([*document.warnings, *findings.messages]))
    return document.model_copy(update={"sections": sections, "warnings": warnings})
