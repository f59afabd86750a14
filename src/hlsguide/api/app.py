"""``create_app``: builds the dependencies once and mounts the routers."""

from __future__ import annotations

import asyncio
import logging
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from hlsguide import __version__
from hlsguide.admin import mount_admin
from hlsguide.admission.callers import ADMIN, ASK
from hlsguide.admission.limits import OverloadedError
from hlsguide.answer.questions import QuestionError
from hlsguide.answer.service import AnswerService
from hlsguide.api.middleware import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    TimeoutMiddleware,
)
from hlsguide.api.routes import (
    ask,
    conversations,
    documents,
    feedback,
    health,
    metrics,
    review,
    search,
    sources,
)
from hlsguide.api.routes import faq as faq_routes
from hlsguide.bootstrap import Services, build_services
from hlsguide.channels import openai_compat
from hlsguide.channels.slack import slack_router
from hlsguide.channels.teams import mount_teams
from hlsguide.channels.widget import mount_widget
from hlsguide.config import Settings
from hlsguide.observability.metrics import Metrics
from hlsguide.observability.middleware import RequestObservabilityMiddleware
from hlsguide.retrieval.index import IndexLockedError
from hlsguide.retrieval.service import IndexNotReadyError, RetrievalService
from hlsguide.storage import ConversationNotFoundError, Store
from hlsguide.storage.retention import purge

log = logging.getLogger(__name__)
PURGE_INTERVAL_SECONDS = 3600
# Room for the multipart boundaries and part headers around an upload of the largest size.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


@dataclass
class StartupBuild:
    """State of the first-start index build, shown by /readyz."""

    running: bool = False
    error: str | None = None


def _build_in_background(retrieval: RetrievalService, state: StartupBuild) -> threading.Thread:
    def run() -> None:
        try:
            report = retrieval.build()
            for failure in report.failed:
                log.warning("skipped %s", failure)
            if report.generation is None:
                state.error = "nothing could be indexed from the corpus paths"
        except IndexLockedError:
            pass  # another process is building it; /readyz turns ready when it lands
        except Exception as exc:
            log.exception("first-start index build failed")
            state.error = str(exc)
        finally:
            state.running = False

    state.running = True
    thread = threading.Thread(target=run, name="hlsguide-index-build", daemon=True)
    thread.start()
    return thread


async def _purge_periodically(store: Store, days: int) -> None:
    """Purge past-retention rows now and every PURGE_INTERVAL_SECONDS. Every worker does: the
    deletes are idempotent, so overlapping purges only find less to delete."""
    if not days:
        return
    while True:
        try:
            cutoff = datetime.now(UTC) - timedelta(days=days)
            deleted = await asyncio.to_thread(purge, store, cutoff)
            if any(deleted.values()):
                log.info("purged past retention: %s", deleted)
        except Exception:
            log.exception("the retention purge failed; it is retried")
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)


def create_app(
    settings: Settings | None = None,
    retrieval: RetrievalService | None = None,
    answers: AnswerService | None = None,
    services: Services | None = None,
) -> FastAPI:
    """The hlsguide API. Tests pass their own settings and services (or a whole bundle)."""
    services = services or build_services(settings, retrieval=retrieval, answers=answers)
    services.build_all()
    settings, retrieval, answers = services.settings, services.retrieval, services.answers

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.build_index_on_start and not retrieval.is_ready():
            app.state.startup_thread = _build_in_background(retrieval, app.state.startup_build)
        purging = asyncio.create_task(_purge_periodically(services.store, settings.retention_days))
        yield
        purging.cancel()

    description = "Cited, complexity-aware guidance for commissioners (Human Learning Systems)."
    if settings.api_docs:
        # Swagger UI and ReDoc served from the fastapi-offline wheel: an intranet without
        # internet access cannot reach the CDN FastAPI's own pages load them from.
        app = FastAPIOffline(
            title="hlsguide", version=__version__, description=description, lifespan=lifespan
        )
    else:
        app = FastAPI(
            title="hlsguide",
            version=__version__,
            description=description,
            lifespan=lifespan,
            docs_url=None,
            redoc_url=None,
            openapi_url=None,
        )
    app.state.services = services
    app.state.startup_build = StartupBuild()
    app.state.metrics = Metrics(retrieval)
    answers.observers.append(app.state.metrics.observe_answer)
    app.add_middleware(TimeoutMiddleware, seconds=settings.request_timeout_seconds)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Without the offending input: echoing a hostile body back (a list of 200,000 values)
        # would cost more than refusing it, and all on the event loop.
        errors = [{k: v for k, v in e.items() if k != "input"} for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(IndexNotReadyError)
    async def _not_ready(_: Request, exc: IndexNotReadyError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "10"})

    @app.exception_handler(QuestionError)
    async def _bad_question(_: Request, exc: QuestionError) -> JSONResponse:
        detail = [{"loc": ["body", "question"], "msg": str(exc), "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(OverloadedError)
    async def _overloaded(_: Request, exc: OverloadedError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(ConversationNotFoundError)
    async def _no_conversation(_: Request, exc: ConversationNotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    app.include_router(health.router)
    app.include_router(metrics.router)
    for module in (search, ask, sources, feedback, conversations):
        app.include_router(module.router, dependencies=[ASK])
    # The route takes the ask scope itself: it reads the caller to allow index=true to admins.
    app.include_router(review.router)
    app.include_router(documents.router, dependencies=[ADMIN])
    # A job answers hundreds of questions from one request: a curator's tool, not open asking.
    app.include_router(faq_routes.router, dependencies=[ADMIN])
    app.include_router(openai_compat.router)
    mount_widget(app, settings)
    mount_admin(app)
    if settings.slack_enabled:
        app.include_router(
            slack_router(settings, answers, services.store, services.gate, services.rate_limiter)
        )
    if settings.teams_enabled:
        # Raises TeamsConfigError on unsafe settings.
        mount_teams(app, settings, answers, services.store, services.gate, services.rate_limiter)
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.max_body_bytes,
        limits={"/v1/documents": settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES},
    )
    # Added last, so outermost: preflights and widget CORS answers get headers, logs, metrics.
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestObservabilityMiddleware, metrics=app.state.metrics)
    return app
