"""``/admin/keys``: create API keys (the key is shown once), list them with their last use,
revoke them. Revoking the key a session was opened with ends that session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from hlsguide.admin.auth import FormDep, SignedInDep, store_of
from hlsguide.admin.security import HEADERS
from hlsguide.admin.templating import page
from hlsguide.storage.api_keys import SCOPES, create_api_key, list_api_keys, revoke_api_key

router = APIRouter(prefix="/admin/keys")


async def _keys_page(request: Request, status_code: int = 200, **context):
    keys = await run_in_threadpool(list_api_keys, store_of(request))
    return page(request, "keys.html", status_code, keys=keys, scopes=SCOPES, **context)


@router.get("", include_in_schema=False)
async def keys(request: Request, _: SignedInDep, revoked: str | None = None):
    """Every key, live and revoked."""
    return await _keys_page(request, revoked=revoked)


@router.post("", include_in_schema=False)
async def create(
    request: Request,
    _: FormDep,
    name: Annotated[str, Form(max_length=128)] = "",
    scope: Annotated[list[str] | None, Form()] = None,
):
    """Create a key and show it, this once."""
    name = " ".join(name.split())
    if not name:
        return await _keys_page(request, 422, error="Give the key a name.", field="name")
    try:
        key, record = await run_in_threadpool(create_api_key, store_of(request), name, scope or [])
    except ValueError:
        return await _keys_page(
            request, 422, error="Choose at least one scope.", field="scope", name=name
        )
    return await _keys_page(request, 201, created=record, new_key=key)


@router.post("/{key_id}/revoke", include_in_schema=False)
async def revoke(request: Request, _: FormDep, key_id: str):
    """Revoke a key: it stops working at once, everywhere."""
    if not await run_in_threadpool(revoke_api_key, store_of(request), key_id):
        return await _keys_page(request, 404, error=f"No live key has id {key_id}.")
    return RedirectResponse(f"/admin/keys?revoked={key_id}", status_code=303, headers=HEADERS)
