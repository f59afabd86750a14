"""The default generator: offline and deterministic, composed from units (see retrieval.units).

The answer leads with the direct answer: an authored answer to a closely matching question, for
a claim check the correction of the matching misreading, else the best key point (a
definition first for a definition question). Sections follow only when units of their own kind
exist: "What this means in a complex system" when the lens flagged a framing, "What others did"
from case documents, "What to try next" from imperative steps; the places those two leave
empty go to "Key points", so an answer holds about as many bullets whichever sections it has.
Support is chosen by closeness to the question (raised, in the best-retrieved documents, by how
central a unit is to its document, and by the unit ranker learned from questions with their key
facts), less closeness to what is already said and to sources already used (maximal marginal
relevance). Units come whole (a bound sentence pair stays a pair), near-duplicates are dropped,
and every sentence is cited to the passage holding it; a unit found outside the retrieved
passages brings its chunk as a passage.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hlsguide.answer.citations import Draft
from hlsguide.answer.generators.base import Candidate, GenerationRequest
from hlsguide.answer.ranker import UnitRanker
from hlsguide.corpus.markup import (
    CITATION_GROUP,
    display_text,
    plain_words,
    without_cross_references,
)
from hlsguide.corpus.units import (
    announces,
    leans_back,
    opens_imperative,
    run_in_title_end,
    said_spans,
    verdict_cut,
)
from hlsguide.retrieval.embeddings import Embedder
from hlsguide.retrieval.injection import InjectionDetector, directs_the_answer, load_detector
from hlsguide.types import Chunk, Hit, Lens

# An authored question this close to the asked one is answered by its authored answer.
QUESTION_MATCH = 0.8
# A claim check leads with an authored verdict ("No: ...") scoring at least this (claim_score).
CLAIM_MATCH = 0.5
# Else with the authored answer to a question at least this close, in a best-retrieved document.
CLAIM_QUESTION_MATCH = 0.55
# Weight of the share of the question's words found in a unit (names such as "Wigan" matter).
OVERLAP_WEIGHT = 0.2
# Units less similar to the question than this are not used, unless none is more similar:
# then those within FALLBACK_MARGIN of the best are.
MIN_SIMILARITY = 0.3
FALLBACK_MARGIN = 0.1
# Each step down the document ranking discounts a unit's relevance.
RANK_DECAY = 0.08
# The key points of this many best-retrieved documents are candidates whatever the wording
# of the question, with a bonus: they are what their author says a reader most needs. The
# bonus shrinks down the ranking (the second document's key points get half), so that the
# best document's points come before a neighbour's on a different subject.
TOP_DOCUMENTS = 2
TOP_POINT_BONUS = 0.2
# A unit of one of the CENTRAL_DOCUMENTS best-retrieved documents that states what its
# document is mainly about (close to the mean of the document's units) is what a reader of
# that document most needs, even when its wording is far from the question's ("Public service
# exists to support people's freedom and flourishing" for "What's the Human bit about?"): its
# centrality counts towards its closeness to the question with this weight.
CENTRAL_DOCUMENTS = 2
CENTRALITY = 0.2
# Diversity (maximal marginal relevance): a unit loses DIVERSITY times its greatest cosine
# with what the answer already says, and SAME_SOURCE for each unit already taken from its
# document, so support comes from several sources rather than one.
DIVERSITY = 0.3
SAME_SOURCE = 0.03
# The short answer keeps to the lead's document where it can: units from there gain this much.
HOME_BONUS = 0.1
# Authored units (written to be lifted) are preferred over mined sentences.
AUTHORED_BONUS = {"key_point": 0.06, "question": 0.04, "misreading": 0.02, "step": 0.03}
# Two units this similar (cosine), or sharing this share of content words (names and topics,
# not "the" or "and"), say the same thing.
DUPLICATE_COSINE = 0.82
DUPLICATE_WORDS = 0.6
MIN_WORDS = 6
# Supporting units listed under "Key points" after the short answer, plus the places of
# SHARED_PLACES left empty: an answer holds about as many bullets whichever sections it has
# (a framing flagged adds its own section).
SUPPORT_UNITS = 6
SHARED_PLACES = ("case", "steps")
# "In short" stops taking supporting units once it holds this many sentences.
SHORT_SENTENCES = 3
# A claim or a question about evidence is answered with a verdict first.
VERDICT_KINDS = ("claim_check", "evidence")
# A question resting on a framing the sources dispute (a claimed saving or effect, a demand for
# proof, dropping safeguards in the name of trust, learning turned into a ranking) is answered
# with a correction first, never "Yes": a "Yes" verdict answers some other question.
CORRECTION_FLAGS = ("rct_proof", "cost_saving", "overclaim", "dropping_safeguards", "ranking")
SECTION_UNITS = {"reframe": 3, "case": 2, "steps": 3}
SECTION_HEADINGS = {
    "reframe": "What this means in a complex system",
    "case": "What others did",
    "steps": "What to try next",
}
# Verdicts on this many units are remembered (a corpus and its uploads hold far fewer).
MAX_JUDGED_UNITS = 200_000
# A question asking for a list gets the items of at most this many.
LIST_ITEMS = 8
# An item is its titled unit and what follows it in its paragraph, this many units at most.
ITEM_UNITS = 3
_NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_COUNT = re.compile(rf"\b({'|'.join(_NUMBER_WORDS)}|\d+)\b", re.IGNORECASE)
# A unit naming at least this share of a definition question's subject before its verb of
# definition may define it, when no unit names all of it; with at most OTHER_SUBJECT_WORDS
# words of meaning between the subject and that verb ("Human Learning Systems (HLS) is ..."),
# or the verb is not the subject's ("The Human principle assumes staff are motivated").
HALF_DEFINED = 0.5
OTHER_SUBJECT_WORDS = 1
# A lead-in of at most this many words before ": " is an item's title ("Devolve decisions: ...").
TITLE_WORDS = 5
_DEFINITION = re.compile(r"\b(is|are|means|refers to|describes)\b", re.IGNORECASE)
_VERDICT = re.compile(r"^(no|yes|not|partly|only|it depends)\b", re.IGNORECASE)
_CORRECTION = re.compile(r"^(no|not quite|not yet|not reliably)\b", re.IGNORECASE)
_BARE_VERDICT = re.compile(r"^(?:no|yes|partly|it depends)\b\s*[,;:]", re.I)
_CROSS_REFERENCE = re.compile(r"^see\b", re.IGNORECASE)
_ENUMERATOR = re.compile(r"^\s*\d+[.)]\s+")
# What a definition question asks about: "What is X?", "What are Xs?", "What does X mean?";
# a second question joined on ("What is X and what has it found?") is not part of X.
_SUBJECT = re.compile(
    r"\bwhat (?:is|are|was|were) (?:meant by )?(?:an? |the )?([^?]+?)"
    r"(?:,?\s+(?:and|or|but)\s+(?:what|how|why|who|where|when|which|is|are|does|do|did|has|have"
    r"|can|should)\b[^?]*)?\s*\??\s*$|"
    r"\bwhat (?:does|do) ([^?]+?) mean\b|\bdefin(?:e|ition of) ([^?]+)",
    re.IGNORECASE,
)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "isn't",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "didn't",
        "aren't",
        "don't",
        "doesn't",
        "just",
        "really",
        "basically",
    ]
)


Opening = Callable[[str], str | None]


def without_verdict(text: str) -> str | None:
    """A supporting unit's first sentence without the verdict that answered its own question
    ("Yes, as prompts: ask ..." -> "Ask ..."), which reads oddly without that question;
    None when the verdict cannot be cut cleanly."""
    rest = verdict_cut(text)
    if rest is None:
        return None if _BARE_VERDICT.match(text) else text
    return rest if len(rest.split()) >= MIN_WORDS else None


def imperative(text: str) -> str | None:
    """The sentence when it tells the reader what to do, else None. A titled item whose text
    describes rather than directs is not an action: "Give permission: tell staff ..." is one,
    "Clear boundaries: it is clear who belongs ..." (a list of principles) is not."""
    title, colon, rest = text.partition(": ")
    if colon and len(title.split()) <= TITLE_WORDS and leans_back(rest):
        return None
    return text if opens_imperative(text) and not _CROSS_REFERENCE.match(text) else None


def usable(candidate: Candidate) -> bool:
    """Whether a unit may be said at all: the one place candidate units are filtered."""
    return bool(display_text(candidate.unit.text))


def with_centrality(candidates: list[Candidate]) -> list[Candidate]:
    """The candidates, those of the CENTRAL_DOCUMENTS best-ranked documents with their
    ``centrality``: cosine with the normalised mean of their document's unit vectors."""
    rows: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        if c.document_rank < CENTRAL_DOCUMENTS:
            rows.setdefault(c.unit.document_id, []).append(i)
    scored = list(candidates)
    for members in rows.values():
        vectors = np.asarray([candidates[i].vector for i in members])
        mean = vectors.mean(axis=0)
        norm = float(np.linalg.norm(mean))
        if norm == 0.0:
            continue
        for i, score in zip(members, vectors @ (mean / norm), strict=True):
            scored[i] = dataclasses.replace(candidates[i], centrality=float(score))
    return scored


def with_learned(
    candidates: list[Candidate], ranker: UnitRanker | None, question: np.ndarray | None
) -> list[Candidate]:
    """The candidates with the unit ranker's term (none without a ranker or question vector)."""
    if ranker is None or question is None or not candidates:
        return candidates
    scores = np.asarray([c.vector for c in candidates]) @ ranker.direction(question)
    return [
        dataclasses.replace(c, learned=float(s)) for c, s in zip(candidates, scores, strict=True)
    ]


def closeness(candidate: Candidate) -> float:
    """The unit's text against the question, raised by its centrality in its document."""
    return candidate.similarity + CENTRALITY * candidate.centrality


def candidate_pool(candidates: list[Candidate]) -> list[Candidate]:
    """The units an answer may draw on: those relevant enough to the question, plus the key
    points of the best-retrieved document (what its author says a reader most needs, however
    the question is worded). When no unit reaches MIN_SIMILARITY (retrieval passed the
    passages, but no single unit is close), the best few within FALLBACK_MARGIN of the best
    are used, so a question that is answered is never empty."""
    usable_ones = [c for c in candidates if usable(c)]
    scores = [max(closeness(c), c.prompt_similarity) for c in usable_ones]
    floor = min(MIN_SIMILARITY, max(scores, default=0.0) - FALLBACK_MARGIN)
    return [
        c
        for c, score in zip(usable_ones, scores, strict=True)
        if score >= floor or (c.unit.kind == "key_point" and c.document_rank < TOP_DOCUMENTS)
    ]


@dataclass
class _Composer:
    request: GenerationRequest
    passages: list[Hit]
    quotes: dict[int, str] = field(default_factory=dict)
    said: list[np.ndarray] = field(default_factory=list)
    said_words: list[set[str]] = field(default_factory=list)
    # The sentences said of units of several (their units' vectors are in ``said``).
    said_sentences: list[np.ndarray] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    sources: dict[str, int] = field(default_factory=dict)

    def passage_number(self, chunk: Chunk) -> int:
        for n, hit in enumerate(self.passages, start=1):
            if hit.chunk.id == chunk.id:
                return n
        self.passages.append(Hit(chunk=chunk, score=0.0))
        return len(self.passages)

    def _chunk_for(self, candidate: Candidate, start: int, end: int) -> Chunk | None:
        locate = self.request.locate
        if locate is None:
            return None
        home = locate(candidate.unit.document_id, candidate.unit.start)
        if home is not None and home.start <= start and end <= home.end:
            return home
        return locate(candidate.unit.document_id, start)

    def duplicate(self, words: set[str], vector: np.ndarray | None = None) -> bool:
        """Whether a unit or sentence (its content words, its vector when known) says again
        what a unit or sentence already said says."""
        if vector is not None and any(
            float(vector @ v) >= DUPLICATE_COSINE for v in [*self.said, *self.said_sentences]
        ):
            return True
        return any(
            len(words & w) / max(1, min(len(words), len(w))) >= DUPLICATE_WORDS
            for w in self.said_words
        )

    def pick(
        self,
        candidates: list[Candidate],
        limit: int,
        ranked: bool = True,
        opening: Opening | None = None,
        home: str | None = None,
    ) -> list[list[str]]:
        """Up to ``limit`` units rendered (the sentences of each), chosen by relevance less
        their closeness to what the answer already says and the units already taken from
        their document (maximal marginal relevance); ``ranked=False`` keeps the given order."""
        remaining = [c for c in candidates if c.unit.id not in self.used]
        if not remaining:
            return []
        vectors = np.asarray([c.vector for c in remaining])
        scores = (
            np.asarray(
                [relevance(c) + HOME_BONUS * (c.unit.document_id == home) for c in remaining]
            )
            if ranked
            else None
        )
        closest = np.zeros(len(remaining))
        if self.said:
            closest = np.maximum(0.0, (vectors @ np.asarray(self.said).T).max(axis=1))
        open_ = np.ones(len(remaining), dtype=bool)
        picked: list[list[str]] = []
        while open_.any() and len(picked) < limit:
            if scores is None:
                i = int(np.argmax(open_))
            else:
                taken = np.asarray(
                    [self.sources.get(c.unit.document_id, 0) for c in remaining], dtype=float
                )
                marginal = scores - DIVERSITY * closest - SAME_SOURCE * taken
                i = int(np.argmax(np.where(open_, marginal, -np.inf)))
            open_[i] = False
            if lines := self.render(remaining[i], opening):
                picked.append(lines)
                closest = np.maximum(closest, vectors @ remaining[i].vector)
        return picked

    def render(self, candidate: Candidate, opening: Opening | None = None) -> list[str]:
        """The unit's sentences, each cited ``[n]`` to the passage that holds it; a sentence
        leaning on one that was left out ends the unit. ``opening`` rewrites the first
        sentence said, or rejects the unit (None). Empty when nothing new is said."""
        if candidate.unit.id in self.used or self.duplicate(set(), candidate.vector):
            return []
        unit = candidate.unit
        # Each sentence to say, with the chunk and exact text it is cited to.
        lines: list[tuple[str, Chunk, str]] = []
        said: list[int] = []  # which of the spans ``lines`` holds
        words_of_unit: list[set[str]] = []
        vectors_of_unit: list[np.ndarray] = []
        # A run-in title ("**1. Invest in relationships.** Fund ...") heads the sentence after
        # it: "Invest in relationships: Fund ...".
        spans = said_spans(unit.text)
        title_end = run_in_title_end(unit.text)
        sentence_vectors = candidate.sentence_vectors
        if sentence_vectors is None or len(sentence_vectors) != len(spans):
            sentence_vectors = None
        for k, (start, end) in enumerate(spans):
            vector = sentence_vectors[k] if sentence_vectors is not None else None
            raw = unit.text[start:end]
            text = display_text(without_cross_references(raw))
            if title_end and start == 0:
                heading = _ENUMERATOR.sub("", display_text(unit.text[:title_end]))
                rest = display_text(without_cross_references(unit.text[title_end:end]))
                text = f"{heading.rstrip(' .!?:')}: {rest.strip()}"
            if len(text.split()) < MIN_WORDS or directs_the_answer(text):
                continue
            if not lines and opening is not None:
                cut = opening(text)
                if cut is None:
                    break
                text = cut
            # A repeat is judged on the sentence as said: a verdict cut off ("Not easily: ...")
            # is no part of it.
            words = content_words(text)
            if self.duplicate(words, vector):
                continue
            # A sentence after one left out is said only if it does not lean on it.
            if (not said or said[-1] != k - 1) and leans_back(text):
                break
            chunk = self._chunk_for(candidate, unit.start + start, unit.start + end)
            if chunk is None:
                break
            marker = CITATION_GROUP.search(raw)
            quote = raw[: marker.start()].rstrip() if marker else raw
            if quote not in chunk.text:
                break  # a quote must be exact, or the sentence is not said
            lines.append((text, chunk, quote))
            said.append(k)
            words_of_unit.append(words)
            if vector is not None:
                vectors_of_unit.append(vector)
        if said == [0] and len(spans) > 1 and not title_end and announces(unit.text[: spans[0][1]]):
            return []  # an announcement without what it announced says nothing
        if lines:
            self.used.add(unit.id)
            self.sources[unit.document_id] = self.sources.get(unit.document_id, 0) + 1
            self.said.append(candidate.vector)
            self.said_words.extend(words_of_unit)
            self.said_sentences.extend(vectors_of_unit)
        return [self.cite(text, chunk, quote) for text, chunk, quote in lines]

    def render_item(self, units: list[Candidate]) -> list[str]:
        """A list item's sentences (``list_items``), its title first; empty when its titled
        unit is not said."""
        lines: list[str] = []
        for k, unit in enumerate(units):
            said = self.render(unit, without_verdict)
            if not said or (k == 0 and run_in_title_end(unit.unit.text) == 0):
                break
            lines += said
        return lines

    def cite(self, text: str, chunk: Chunk, quote: str) -> str:
        """``text`` as said, ending with the marker of the passage holding ``quote``."""
        n = self.passage_number(chunk)
        self.quotes.setdefault(n, quote)
        if text[-1] not in ".!?":
            text += "."
        return f"{text[:-1]} [{n}]{text[-1]}"


def relevance(candidate: Candidate) -> float:
    """Similarity to the question, the authored question counting when closer, with a small
    preference for authored units (most for the best document's key points) and for
    documents retrieved first, plus the unit ranker's learned term."""
    unit = candidate.unit
    score = max(closeness(candidate), candidate.prompt_similarity)
    score += AUTHORED_BONUS.get(unit.kind, 0.0)
    if unit.kind == "key_point" and candidate.document_rank < TOP_DOCUMENTS:
        score += TOP_POINT_BONUS * (1 - candidate.document_rank / TOP_DOCUMENTS)
    return score / (1 + RANK_DECAY * candidate.document_rank) + candidate.learned


def content_words(text: str) -> set[str]:
    """Lower-case words of ``text`` that carry meaning (names, topics), markup removed."""
    return set(meaningful_words(text))


def meaningful_words(text: str) -> list[str]:
    """``content_words`` in their order in ``text``, repeats kept."""
    return [w for w in plain_words(text) if w not in _STOPWORDS and len(w) > 2]


def claim_score(candidate: Candidate, question_words: set[str]) -> float:
    """How well an authored verdict answers the claim: its prompt and its text against the
    question, the question's own words found in it, its document's retrieval rank."""
    unit = candidate.unit
    found = content_words(f"{unit.prompt or ''} {unit.text}")
    overlap = len(question_words & found) / max(1, len(question_words))
    score = (candidate.prompt_similarity + closeness(candidate)) / 2 + OVERLAP_WEIGHT * overlap
    return score / (1 + RANK_DECAY * candidate.document_rank)


def subject(question: str) -> set[str]:
    """The content words of what a definition question asks about ("What is the relational
    state?" -> {"relational", "state"}); empty when the question names none."""
    match = _SUBJECT.search(question)
    return content_words(next(g for g in match.groups() if g)) if match else set()


def definition_share(candidate: Candidate, words: set[str]) -> float:
    """How far the unit defines what a definition question asks about: 0 unless its first
    clause (up to a comma or the end of its first sentence) has a verb of definition, else the
    share of the subject's ``words`` before that verb (1 when the question names none)."""
    text = display_text(candidate.unit.text)
    if candidate.unit.kind not in ("key_point", "question", "sentence") or _VERDICT.match(text):
        return 0.0
    clause = re.split(r",|(?<=[.!?])\s", text, maxsplit=1)[0]
    head = _DEFINITION.search(clause)
    if head is None:
        return 0.0
    if not words:
        return 1.0
    before = meaningful_words(text[: head.start()])
    named = [i for i, w in enumerate(before) if w in words]
    if not named or len(before) - 1 - named[-1] > OTHER_SUBJECT_WORDS:
        return 0.0  # the verb belongs to a later clause ("X assumes staff are ...")
    return len(words & set(before)) / len(words)


def lead(request: GenerationRequest, pool: list[Candidate]) -> Candidate | None:
    """The direct answer. A claim check: the best authored verdict ("No: ...", "Not quite:
    ..."; only a correction when the lens flagged a disputed framing), else the authored answer
    to a close question in a best-retrieved document. A definition question: the definition of its
    subject. Otherwise the authored answer to a question close to the one asked, else the best
    key point, else the most relevant unit."""
    kind = request.lens.kind
    question_words = content_words(request.question)
    flagged = [f for f in CORRECTION_FLAGS if request.lens.has(f)]
    if kind in VERDICT_KINDS or flagged:
        verdicts = [
            c
            for c in pool
            if c.unit.kind in ("question", "misreading")
            and (_CORRECTION if flagged else _VERDICT).match(c.unit.text)
        ]
        if verdicts:
            best = max(verdicts, key=lambda c: claim_score(c, question_words))
            if claim_score(best, question_words) >= CLAIM_MATCH:
                return best
        # A flagged overclaim or demand for proof that no verdict answers closely is met by
        # the best correction in the documents its framing calls for (what the evidence shows).
        corrections = [c for c in verdicts if c.unit.document_id in request.lens.also_retrieve]
        if flagged and corrections:
            # A misreading that itself makes a disputed claim ("HLS has been proven to cut
            # costs") answers a flagged claim ("HLS halves waiting times") better than one
            # about something else ("HLS is a ready-made model") that happens to score higher.
            if request.framings is not None:
                corrections = [
                    c
                    for c in corrections
                    if request.framings(c.unit.prompt or "") & set(CORRECTION_FLAGS)
                ] or corrections
            return max(corrections, key=lambda c: claim_score(c, question_words))
        # No verdict fits: an authored answer to a question on the same claim, in one of the
        # best-retrieved documents, says what is known ("The evidence is self-reported ...").
        answers = [
            c
            for c in pool
            if c.unit.kind == "question"
            and c.document_rank < TOP_DOCUMENTS
            and c.prompt_similarity >= CLAIM_QUESTION_MATCH
        ]
        if answers:
            return max(answers, key=lambda c: c.prompt_similarity)
    if kind == "definition":
        named = subject(request.question)
        shares = [definition_share(c, named) for c in pool]
        defining = [c for c, share in zip(pool, shares, strict=True) if share == 1.0]
        if defining:
            return max(defining, key=relevance)
        # A subject one of the best-retrieved documents is about ("What is the Plymouth
        # Alliance?") is introduced by that document's first key point (its author's opening
        # statement) rather than by a definition of part of its name ("In an alliance ...").
        about = [
            c
            for c in pool
            if named
            and c.unit.kind == "key_point"
            and c.document_rank < TOP_DOCUMENTS
            and named <= content_words(c.unit.title)
        ]
        if about:
            return min(about, key=lambda c: (c.document_rank, c.unit.start))
        defining = [c for c, share in zip(pool, shares, strict=True) if share >= HALF_DEFINED]
        if defining:
            return max(defining, key=relevance)
    answers = [
        c for c in pool if c.unit.kind == "question" and c.prompt_similarity >= QUESTION_MATCH
    ]
    if answers:
        return max(answers, key=lambda c: c.prompt_similarity)
    points = [c for c in pool if c.unit.kind == "key_point"]
    if points:
        return max(points, key=relevance)
    return max(pool, key=relevance) if pool else None


def verdict_fits(lens: Lens) -> bool:
    """Whether a verdict ("No: ...", "Partly: ...") lifted from an authored answer may open the
    answer. It answers its own question, so only a question asking yes or no, making a claim,
    asking about evidence or resting on a disputed framing gets one: to "How was the bond set
    up?" a "Partly" answers something else. Never a legal question, where it reads as a ruling
    on the law."""
    if lens.has("legal_advice"):
        return False
    return lens.yes_no or lens.kind in VERDICT_KINDS or any(lens.has(f) for f in CORRECTION_FLAGS)


def is_action(candidate: Candidate) -> bool:
    """An imperative step or action a commissioner can take (not a cross-reference)."""
    text = display_text(candidate.unit.text)
    return (
        candidate.unit.kind == "step"
        and opens_imperative(text)
        and text[:1].isupper()
        and not _CROSS_REFERENCE.match(text)
    )


def supporting(request: GenerationRequest, pool: list[Candidate]) -> list[Candidate]:
    """Units that may back the direct answer: anything but steps (which go to "What to try
    next") and, unless examples were asked for or the case is what the question is about (its
    document retrieved first), case units (which go to "What others did")."""
    cases = request.lens.kind == "example"
    return [
        c
        for c in pool
        if c.unit.kind != "step" and (cases or c.unit.doc_kind != "case" or c.document_rank == 0)
    ]


def steps(request: GenerationRequest, pool: list[Candidate]) -> tuple[list[Candidate], bool]:
    """Actions for "What to try next", and whether they are already in order: for a how-to
    question the steps of the best-ranked practice in their own order (a method is followed
    in order), else every action, to be ranked."""
    actions = [c for c in pool if is_action(c)]
    if request.lens.kind == "how_to" and actions:
        top = min(c.document_rank for c in actions)
        return sorted(
            (c for c in actions if c.document_rank == top), key=lambda c: c.unit.start
        ), True
    return actions, False


def list_items(request: GenerationRequest, candidates: list[Candidate]) -> list[list[Candidate]]:
    """For a question asking for a list ("What are the three principles?"), the items of the
    list that answers it, in their document's order: each a unit opening with a run-in title
    ("**Human.** ...") under one heading of a best-retrieved document, with the units that
    follow it on the same line or paragraph (at most ITEM_UNITS in all). Of several such
    lists, one of the size the question names, then the most relevant. Empty for any other
    question, or when no such list was retrieved."""
    if request.lens.kind != "list" or request.locate is None:
        return []
    placed = sorted(
        (c for c in candidates if c.document_rank < TOP_DOCUMENTS and usable(c)),
        key=lambda c: (c.unit.document_id, c.unit.start),
    )
    lists: dict[tuple[str, str], list[list[Candidate]]] = {}
    item: list[Candidate] = []
    for c in placed:
        chunk = request.locate(c.unit.document_id, c.unit.start)
        if chunk is None:
            item = []
        elif run_in_title_end(c.unit.text):
            item = [c]
            lists.setdefault((c.unit.document_id, chunk.heading), []).append(item)
        elif item and len(item) < ITEM_UNITS and _continues(item[-1], c, chunk):
            item.append(c)
        else:
            item = []
    found = [items for items in lists.values() if 1 < len(items) <= LIST_ITEMS]
    if not found:
        return []
    count = _COUNT.search(request.question)
    named = count.group(1).lower() if count else "0"
    size = int(named) if named.isdigit() else _NUMBER_WORDS.index(named) + 2
    return max(
        found,
        key=lambda items: (len(items) == size, sum(relevance(i[0]) for i in items) / len(items)),
    )


def _continues(before: Candidate, after: Candidate, chunk: Chunk) -> bool:
    """Whether ``after`` follows ``before`` in the same line or paragraph of ``chunk``."""
    if before.unit.document_id != after.unit.document_id or before.unit.end < chunk.start:
        return False
    between = chunk.text[before.unit.end - chunk.start : after.unit.start - chunk.start]
    return after.unit.start >= before.unit.end and "\n" not in between


class ExtractiveGenerator:
    """Answers with units of the retrieved documents, led by the direct answer."""

    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        detector: InjectionDetector | None = None,
        ranker: UnitRanker | None = None,
    ) -> None:
        self.embedder = embedder
        self.detector = detector or load_detector(embedder)
        self.ranker = ranker
        # Each unit's verdict, kept for the process: the same units come back ask after ask,
        # and judging them again cost most of an answer's time.
        self._liftable: dict[tuple[str, str], bool] = {}

    def liftable(self, candidates: list[Candidate]) -> list[Candidate]:
        """Candidates that may be said: none the detector flags or that directs what "your
        answer" or "every response" must do. The index already blanks what the whole detector
        flags; on the unit vectors of the index (when they come from its model) this is the
        patterns and the regression without the fine-tuned reader's forward pass, a quick second
        net for an index built before the detector and authored text read past it."""
        keys = [(c.unit.id, c.unit.text) for c in candidates]
        verdicts = {k: self._liftable.get(k) for k in keys}
        # A dict, since a unit may come twice.
        unjudged = {k: c for k, c in zip(keys, candidates, strict=True) if verdicts[k] is None}
        if unjudged:
            texts = [display_text(c.unit.text) for c in unjudged.values()]
            if self.detector.embedder.name == self.embedder.name:
                vectors = np.asarray([c.vector for c in unjudged.values()])
                flagged = self.detector.flags_from_vectors(texts, vectors, reader=False)
            else:
                flagged = self.detector.flags(texts)
            if len(self._liftable) > MAX_JUDGED_UNITS:
                self._liftable.clear()
            for key, flag, text in zip(unjudged, flagged, texts, strict=True):
                verdicts[key] = self._liftable[key] = not flag and not directs_the_answer(text)
        return [c for c, k in zip(candidates, keys, strict=True) if verdicts[k]]

    def generate(self, request: GenerationRequest) -> Draft:
        scored = with_learned(with_centrality(request.candidates), self.ranker, request.vector)
        pool = self.liftable(candidate_pool(scored))
        composer = _Composer(request, list(request.passages))
        blocks = []
        first = lead(request, pool)
        opening = None if verdict_fits(request.lens) else without_verdict
        body: list[str] = composer.render(first, opening) if first is not None else []
        # A list's items are the answer to a question asking for one: taken before anything
        # else can say one of them, listed first under "Key points".
        listed = [
            lines
            for item in list_items(request, scored)
            if (lines := composer.render_item(self.liftable(item)))
        ]
        backing = supporting(request, pool)
        home = first.unit.document_id if first is not None else None
        # The direct answer, rounded out to a short paragraph; further support as bullets.
        while len(body) < SHORT_SENTENCES and (
            more := composer.pick(backing, 1, opening=without_verdict, home=home)
        ):
            body += more[0]
        if body:
            blocks.append("### In short\n\n" + " ".join(body))
        reframe_docs = set(request.lens.also_retrieve) if request.lens.reframe_flags else set()
        actions, in_order = steps(request, pool)
        sections = {
            "reframe": (
                [c for c in pool if c.unit.document_id in reframe_docs and c.unit.kind != "step"],
                True,
            ),
            "case": (
                [c for c in pool if c.unit.doc_kind == "case" and c.unit.kind == "key_point"],
                True,
            ),
            "steps": (actions, not in_order),
        }
        # Sections are filled first, so "Key points" can take the places that "What others
        # did" and "What to try next" leave empty.
        filled = {
            key: composer.pick(
                candidates,
                SECTION_UNITS[key],
                ranked,
                imperative if key == "steps" else without_verdict,
            )
            for key, (candidates, ranked) in sections.items()
        }
        spare = sum(SECTION_UNITS[key] - len(filled[key]) for key in SHARED_PLACES)
        room = max(0, SUPPORT_UNITS + spare - len(listed))
        if points := listed + composer.pick(backing, room, opening=without_verdict):
            blocks.append("### Key points\n\n" + "\n".join(f"- {' '.join(p)}" for p in points))
        for key, items in filled.items():
            if items:
                bullets = "\n".join(f"- {' '.join(lines)}" for lines in items)
                blocks.append(f"### {SECTION_HEADINGS[key]}\n\n{bullets}")
        return Draft(
            markdown="\n\n".join(blocks), quotes=composer.quotes, passages=composer.passages
        )
