"""The LLM generator: a langchain chat model (OpenAI-compatible or Ollama) chosen by settings.

Passages are packed into the prompt up to a token budget counted with our offline tiktoken
encoding, inside <passages> delimiters, declared untrusted and datamarked (spotlighting, Hines et
al. 2024: every run of whitespace becomes DATAMARK, so the model can tell passage text from
instructions however the text is worded); the rule is stated in prompts/answer_system.md.
The answer still goes through citation verification; the service falls back to the extractive
answer when nothing resolves.
"""

from __future__ import annotations

import re
from html import escape

from hlsguide.answer.citations import Draft
from hlsguide.answer.generators.base import GenerationRequest, GeneratorError
from hlsguide.answer.generators.extractive import candidate_pool, lead, relevance
from hlsguide.answer.prompts import render
from hlsguide.config import Settings
from hlsguide.corpus.markup import display_text
from hlsguide.retrieval.tokens import count_tokens
from hlsguide.types import Hit


def chat_model(settings: Settings):
    """The configured langchain chat model (imported lazily: only the llm mode needs it)."""
    if settings.llm_provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_base_url or "http://127.0.0.1:11434",
            temperature=settings.llm_temperature,
            num_predict=settings.llm_max_tokens,
            client_kwargs={"timeout": settings.llm_timeout_seconds},
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unset",
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
    )


# A character that ordinary text does not use (U+02C6, as in the published method).
DATAMARK = "\u02c6"
_WHITESPACE = re.compile(r"\s+")
# Units listed before the passages: the direct answer first, then the most relevant.
CONTEXT_UNITS = 6


def datamark(text: str) -> str:
    """``text`` with each run of whitespace replaced by DATAMARK (any DATAMARK already in it
    first becomes a space, so planted text cannot fake the marking)."""
    return _WHITESPACE.sub(DATAMARK, text.replace(DATAMARK, " ").strip())


def pack_units(request: GenerationRequest, passages: list[Hit]) -> str:
    """The best units for the question, datamarked like passages, each naming the passage
    that holds it (a unit's chunk outside the retrieved passages is appended to ``passages``),
    the direct answer first."""
    pool = candidate_pool(request.candidates)
    first = lead(request, pool)
    ranked = sorted(pool, key=relevance, reverse=True)
    chosen = ([first] if first is not None else []) + [c for c in ranked if c is not first]
    blocks = []
    for candidate in chosen[:CONTEXT_UNITS]:
        unit = candidate.unit
        chunk = request.locate(unit.document_id, unit.start) if request.locate else None
        if chunk is None:
            continue
        numbers = [n for n, h in enumerate(passages, start=1) if h.chunk.id == chunk.id]
        if not numbers:
            passages.append(Hit(chunk=chunk, score=0.0))
            numbers = [len(passages)]
        prompt = f' answers="{datamark(escape(display_text(unit.prompt)))}"' if unit.prompt else ""
        blocks.append(
            f'<unit kind="{unit.kind}" passage="{numbers[0]}"{prompt}>'
            f"{datamark(escape(display_text(unit.text), quote=False))}</unit>"
        )
    return "\n".join(blocks)


def pack_passages(passages: list[Hit], budget: int) -> str:
    """Numbered, delimited passages, in rank order, until the token budget is spent."""
    blocks, used = list[str](), 0
    for n, hit in enumerate(passages, start=1):
        chunk = hit.chunk
        block = (
            f'<passage n="{n}" source="{escape(chunk.title)}" section="{escape(chunk.heading)}">\n'
            f"{datamark(escape(chunk.text, quote=False))}\n</passage>"
        )
        cost = count_tokens(block)
        if blocks and used + cost > budget:
            break
        blocks.append(block)
        used += cost
    return "\n".join(blocks)


class LLMGenerator:
    """Asks a chat model for a cited answer."""

    name = "llm"

    def __init__(self, settings: Settings, model=None) -> None:
        self.settings = settings
        self.model = model if model is not None else chat_model(settings)

    def messages(
        self, request: GenerationRequest, passages: list[Hit] | None = None
    ) -> list[tuple[str, str]]:
        """The system and user messages for ``request`` (rendered from prompts/). Units come
        first; ``passages`` (default: a copy of the request's) receives any unit's chunk."""
        passages = passages if passages is not None else list(request.passages)
        framings = ", ".join(f.label.lower() for f in request.lens.reframe_flags)
        reframe = render("reframe_note", framings=framings) if framings else ""
        flags = ", ".join(f.label.lower() for f in request.lens.flags) or "none"
        units = pack_units(request, passages)
        return [
            (
                "system",
                render(
                    "answer_system", max_words=self.settings.llm_answer_words, datamark=DATAMARK
                ),
            ),
            (
                "human",
                render(
                    "answer_user",
                    units=units or "(none)",
                    passages=pack_passages(passages, self.settings.llm_context_tokens),
                    reframe=reframe,
                    kind=request.lens.kind.replace("_", " "),
                    flags=flags,
                    question=escape(request.question, quote=False),
                ),
            ),
        ]

    def generate(self, request: GenerationRequest) -> Draft:
        passages = list(request.passages)
        try:
            reply = self.model.invoke(self.messages(request, passages))
        except Exception as exc:  # every backend failure becomes one clear error
            raise GeneratorError(f"the language model backend failed: {exc}") from exc
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        return Draft(markdown=text.strip(), passages=passages)

    def condense(self, history: str, question: str) -> str:
        """A standalone question from a follow-up and the conversation so far."""
        prompt = render("condense", history=escape(history, quote=False), question=question)
        try:
            reply = self.model.invoke([("human", prompt)])
        except Exception as exc:
            raise GeneratorError(f"the language model backend failed: {exc}") from exc
        text = str(reply.content).strip().splitlines()
        return text[0].strip() if text and text[0].strip() else question
