"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hlsguide.bootstrap.deps import RetrievalDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request, retrieval: RetrievalDep) -> JSONResponse:
    """Ready when an index is loaded; 503 while the first build runs or after it failed."""
    build = request.app.state.startup_build
    if not retrieval.is_ready():
        detail = {"status": "building" if build.running else "no-index", "error": build.error}
        return JSONResponse(detail, status_code=503)
    snapshot = retrieval.snapshot()
    return JSONResponse(
        {
            "status": "ready",
            "index_version": snapshot.generation,
            "documents": len(snapshot.documents),
            "chunks": len(snapshot.chunks),
        }
    )
