"""Bad input in the console's forms gets the page again with a precise error and the right
status, and changes nothing."""

from __future__ import annotations

import pytest

from hlsguide.api.app import create_app
from hlsguide.storage.api_keys import create_api_key, list_api_keys
from hlsguide.storage.faq_reviews import recent_faq_jobs

from .test_security import HTML, client, csrf_of, sign_in


@pytest.fixture
async def http(settings):
    app = create_app(settings.model_copy(update={"build_index_on_start": False}))
    key = create_api_key(app.state.services.store, "curator", ["admin"])[0]
    async with client(app) as http:
        await sign_in(http, key)
        http.app = app
        yield http


async def submit(http, path: str, token: str, data: dict | None = None, file=None):
    """Post a console form as the browser does: with its CSRF token, and ``file`` (name,
    bytes) as the form's file field."""
    files = {"file": file} if file else None
    return await http.post(
        path, data={**(data or {}), "csrf_token": token}, files=files, headers=HTML
    )


async def test_bad_questions_are_each_named_and_no_job_starts(http):
    token = await csrf_of(http)
    store = http.app.state.services.store
    pasted = "What is a learning cycle?\nWhat is \x07 this?\n" + "word " * 400
    refused = await submit(http, "/admin/faq", token, {"questions": pasted})
    assert refused.status_code == 422
    expected = "Question 2 (q002): the question contains 1 control character(s), e.g. U+0007"
    assert expected in refused.text
    assert "Question 3 (q003): the question is" in refused.text
    assert "Question 1" not in refused.text
    assert "What is a learning cycle?" in refused.text  # the pasted text is kept in the form
    empty = await submit(http, "/admin/faq", token, {"questions": " "})
    assert empty.status_code == 422
    assert "Paste some questions" in empty.text
    csv = "question,group\nWhat is HLS?,Basics\n,\nWhy learn?,\n"
    no_index = await submit(http, "/admin/faq", token, {"questions": csv})
    assert no_index.status_code == 503  # read as CSV and valid; the index is not built yet
    bad_file = await submit(http, "/admin/faq", token, file=("questions.txt", b"\xff\xfe\x00bad"))
    assert bad_file.status_code == 422
    assert "not UTF-8" in bad_file.text
    assert recent_faq_jobs(store) == []


async def test_a_refused_upload_or_key_changes_nothing(http):
    token = await csrf_of(http)
    empty = await submit(http, "/admin/documents", token, file=("empty.pdf", b"   "))
    assert empty.status_code == 422
    assert "the file is empty" in empty.text
    assert not http.app.state.services.settings.resolved_documents_dir.exists()
    store = http.app.state.services.store
    before = len(list_api_keys(store))
    for data, problem in (
        ({"name": " ", "scope": "ask"}, "Give the key a name"),
        ({"name": "x"}, "Choose at least one scope"),
        ({"name": "x", "scope": "root"}, "Choose at least one scope"),
    ):
        refused = await submit(http, "/admin/keys", token, data)
        assert refused.status_code == 422
        assert problem in refused.text
    assert len(list_api_keys(store)) == before
    gone = await submit(http, "/admin/keys/nope/revoke", token)
    assert gone.status_code == 404
