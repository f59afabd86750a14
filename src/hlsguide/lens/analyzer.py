"""Question analysis driven by ``lexicon.yaml``: transparent patterns plus prototype similarity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hlsguide.lens.lexicon import compile_patterns, load_lexicon
from hlsguide.retrieval.embeddings import Embedder
from hlsguide.types import Lens, LensMatch


@dataclass(frozen=True)
class _Rule:
    name: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    also_retrieve: tuple[str, ...] = ()

    def evidence(self, text: str) -> list[str]:
        return list(
            dict.fromkeys(m.group(0).strip() for p in self.patterns for m in p.finditer(text))
        )


def _rules(section: dict) -> list[_Rule]:
    return [
        _Rule(
            name=name,
            label=spec.get("label", name),
            patterns=compile_patterns(spec.get("patterns", [])),
            also_retrieve=tuple(spec.get("also_retrieve", [])),
        )
        for name, spec in section.items()
    ]


class ComplexityLens:
    """Analyses questions; the lexicon (a data file) holds every pattern and prototype."""

    def __init__(self, embedder: Embedder, lexicon_path: Path | None = None) -> None:
        lexicon = load_lexicon("lexicon.yaml", lexicon_path)
        self._embedder = embedder
        self._principles = {
            name: _Rule(name, name, compile_patterns(spec["patterns"]))
            for name, spec in lexicon["principles"].items()
        }
        self._principle_threshold = float(lexicon["principle_threshold"])
        self._pattern_weight = float(lexicon["pattern_weight"])
        self._framings = _rules(lexicon["framings"])
        self._injection = next(r for r in self._framings if r.name == "injection")
        self._decline = next(r for r in self._framings if r.name == "decline")
        self._clause_separators = re.compile(lexicon["clause_separators"], re.IGNORECASE)
        self._kinds = [
            (spec.get("kind", name), compile_patterns(spec["patterns"]))
            for name, spec in lexicon["question_kinds"].items()
        ]
        self._yes_no = compile_patterns(lexicon["yes_no_questions"])
        self._signals = _rules(lexicon["signals"])
        scope = lexicon["scope"]
        self._subject_patterns = compile_patterns(scope["patterns"])
        self._scope_patterns = self._subject_patterns + compile_patterns(scope["context_patterns"])
        self._scope_min = float(scope["min_similarity"])
        off_topic = scope["off_topic"]
        self._off_topic_min = float(off_topic["min_similarity"])
        self._off_topic_margin = float(off_topic["margin"])
        prototypes = [spec["prototype"] for spec in lexicon["principles"].values()]
        vectors = np.asarray(
            embedder.embed_documents(prototypes + scope["prototypes"] + off_topic["prototypes"])
        )
        self._principle_vectors = vectors[: len(prototypes)]
        self._scope_vectors = vectors[len(prototypes) : len(prototypes) + len(scope["prototypes"])]
        self._off_topic_vectors = vectors[len(prototypes) + len(scope["prototypes"]) :]

    def _names_subject(self, text: str) -> bool:
        return any(p.search(text) for p in self._subject_patterns)

    def _left_out(self, clause: str) -> bool:
        """A clause addressed to the assistant, or a request the guide does not fulfil that
        names nothing of its subject ("what day rate should we pay them?")."""
        return bool(self._injection.evidence(clause)) or bool(
            self._decline.evidence(clause) and not self._names_subject(clause)
        )

    def remainder(self, question: str) -> str:
        """``question`` without its clauses addressed to the assistant ("ignore your
        instructions", "print your system prompt") or asking only for what the guide does not
        give (suppliers, fees, code): what is left to answer, maybe nothing."""
        if not (self._injection.evidence(question) or self._decline.evidence(question)):
            return question
        clauses = [c for c in self._clause_separators.split(question) if c and c.strip()]
        kept = [c.strip() for c in clauses if not self._left_out(c)]
        text = re.sub(r"^(and\s+)?then\s+", "", " ".join(kept), flags=re.IGNORECASE)
        text = text.strip(" ,;:")
        return text[:1].upper() + text[1:]

    def _off_topic(self, remainder: str, similarity: float, scope_similarity: float) -> bool:
        """Whether the question is about work the guide does not cover (road repairs, staff
        hours) although it shares the corpus's words: close to an off-topic prototype, closer
        to it than to what the guide covers, and naming nothing of the guide's own subject."""
        return (
            similarity >= self._off_topic_min
            and similarity - scope_similarity >= self._off_topic_margin
            and not self._names_subject(remainder)
        )

    def framings(self, text: str) -> set[str]:
        """Names of the framings whose patterns ``text`` matches (patterns only, nothing
        embedded): what an authored misreading itself claims, for instance."""
        return {r.name for r in self._framings if r.evidence(text)}

    def kind(self, question: str) -> str:
        """The question kind (``question_kinds`` in the lexicon), "general" when none fits."""
        for name, patterns in self._kinds:
            if any(p.search(question) for p in patterns):
                return name
        return "general"

    def analyse(self, question: str, question_vector: list[float] | None = None) -> Lens:
        """The lens for ``question``. Pass the embedding of ``remainder(question)`` when it is
        already computed; the kind, scope and principles are judged on that remainder."""
        remainder = self.remainder(question)
        vector = np.asarray(
            question_vector
            if question_vector is not None
            else self._embedder.embed_documents([remainder or question])[0]
        )
        similarity = self._principle_vectors @ vector
        principles: dict[str, float] = {}
        for (name, rule), sim in zip(self._principles.items(), similarity, strict=True):
            hits = len(rule.evidence(remainder))
            principles[name] = round(
                min(1.0, max(0.0, float(sim)) + self._pattern_weight * hits), 3
            )
        flags = [
            LensMatch(name=r.name, label=r.label, evidence=ev)
            for r in self._framings
            if (ev := r.evidence(question))
        ]
        signals = [
            LensMatch(name=r.name, label=r.label, evidence=ev)
            for r in self._signals
            if (ev := r.evidence(question))
        ]
        scope_similarity = float(max(self._scope_vectors @ vector))
        off_topic_similarity = float(max(self._off_topic_vectors @ vector))
        in_scope_words = any(p.search(remainder) for p in self._scope_patterns)
        out_of_scope = (
            not remainder
            or (not in_scope_words and scope_similarity < self._scope_min)
            or self._off_topic(remainder, off_topic_similarity, scope_similarity)
        )
        also = [
            d
            for r in self._framings
            for d in r.also_retrieve
            if any(f.name == r.name for f in flags)
        ]
        kind = self.kind(remainder) if remainder else "general"
        return Lens(
            principles=principles,
            touched_principles=[n for n, s in principles.items() if s >= self._principle_threshold],
            flags=flags,
            signals=signals,
            out_of_scope=out_of_scope,
            scope_similarity=round(scope_similarity, 3),
            off_topic_similarity=round(off_topic_similarity, 3),
            also_retrieve=list(dict.fromkeys(also)),
            kind=kind,
            yes_no=kind == "claim_check" or any(p.search(remainder) for p in self._yes_no),
            remainder=remainder,
        )
