"""``/admin/``: where the console starts, with the state of the index and recent work."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from hlsguide.admin.auth import SignedInDep, store_of
from hlsguide.admin.templating import page
from hlsguide.bootstrap.deps import get_services
from hlsguide.retrieval.index import index_busy
from hlsguide.storage.faq_reviews import recent_faq_jobs

router = APIRouter(prefix="/admin")


def index_state(request: Request) -> dict:
    """The live index (version, documents, chunks) and whether a run is writing a new one."""
    retrieval = get_services(request).retrieval
    state: dict[str, object] = {
        "busy": index_busy(retrieval.settings.index_dir),
        "ready": retrieval.is_ready(),
    }
    if state["ready"]:
        snapshot = retrieval.snapshot()
        state |= {
            "version": snapshot.generation,
            "documents": len(snapshot.documents),
            "chunks": len(snapshot.chunks),
        }
    return state


@router.get("", include_in_schema=False)
def no_slash(_: SignedInDep):
    return RedirectResponse("/admin/", status_code=303)


@router.get("/", include_in_schema=False)
async def home(request: Request, _: SignedInDep):
    """What the console holds and what changed lately."""
    jobs = await run_in_threadpool(recent_faq_jobs, store_of(request), 5)
    return page(
        request, "home.html", index=await run_in_threadpool(index_state, request), jobs=jobs
    )
