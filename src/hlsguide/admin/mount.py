"""``mount_admin``: what ``create_app`` calls to add the console under ``/admin``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from hlsguide.admin import static
from hlsguide.admin.auth import CsrfRefused, NotSignedIn, wants_html
from hlsguide.admin.pages import auth, documents, faq, home, insights, keys
from hlsguide.admin.security import HEADERS
from hlsguide.admin.templating import page


async def _not_signed_in(request: Request, _: NotSignedIn):
    if wants_html(request):
        return RedirectResponse("/admin/login", status_code=303, headers=HEADERS)
    return JSONResponse(
        {"detail": "sign in to the console first (POST /admin/login)"},
        status_code=401,
        headers=HEADERS,
    )


async def _csrf_refused(request: Request, _: CsrfRefused):
    message = "The form was missing its security token or it was wrong. Go back and try again."
    if wants_html(request):
        return page(
            request, "error.html", 403, heading="That form cannot be accepted", message=message
        )
    return JSONResponse({"detail": message}, status_code=403, headers=HEADERS)


ROUTERS = tuple(m.router for m in (static, auth, home, documents, faq, insights, keys))


def mount_admin(app: FastAPI) -> None:
    """Serve the console pages, their static files and their refusals."""
    app.add_exception_handler(NotSignedIn, _not_signed_in)  # type: ignore[arg-type]
    app.add_exception_handler(CsrfRefused, _csrf_refused)  # type: ignore[arg-type]
    for router in ROUTERS:
        app.include_router(router)
