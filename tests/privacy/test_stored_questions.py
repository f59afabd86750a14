"""What is stored (and logged) of a question with personal data in it, asked over real HTTP."""

import logging

import httpx
from sqlalchemy import select
from support.services import serving

from hlsguide.api.app import create_app
from hlsguide.storage.models import AnswerRecord, Feedback

QUESTION = (
    "My client John Smith (john.smith@example.org, 07700 900123, NI JK 12 34 56 C, "
    "SW1A 1AA) faces target gaming in his housing review: how do learning reviews help?"
)
STORED = (
    "My client [name] ([email], [phone], NI [NI number], [postcode]) faces target gaming "
    "in his housing review: how do learning reviews help?"
)


def _app(built, **overrides):
    settings = built.settings.model_copy(update=overrides)
    # create_app builds the answer service on the store the composition root opens.
    return create_app(settings, built)


def test_questions_and_comments_are_redacted_before_storage(built):
    app = _app(built)
    with serving(app) as url:
        answer = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=60).json()
        assert answer["question"] == QUESTION  # the asker sees what they typed
        feedback = httpx.post(
            f"{url}/v1/feedback",
            json={
                "answer_id": answer["answer_id"],
                "rating": -1,
                "comment": "Ring me on 020 7946 0958",
                "conversation_secret": answer["conversation_secret"],
            },
        )
        assert feedback.status_code in (200, 201), feedback.text
    store = app.state.services.store
    with store.session() as session:
        record = session.scalars(select(AnswerRecord)).one()
        comment = session.scalars(select(Feedback.comment)).one()
    assert record.question == STORED
    assert "John" not in record.standalone_query
    assert comment == "Ring me on [phone]"


def test_redaction_can_be_switched_off(built):
    app = _app(built, redact_personal_data=False)
    with serving(app) as url:
        httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=60)
    with app.state.services.store.session() as session:
        assert session.scalars(select(AnswerRecord.question)).one() == QUESTION


def test_personal_data_never_reaches_the_logs(built, caplog):
    caplog.set_level(logging.DEBUG, logger="hlsguide")
    caplog.set_level(logging.INFO)
    with serving(_app(built)) as url:
        answer = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=60).json()
        httpx.post(
            f"{url}/v1/feedback",
            json={
                "answer_id": answer["answer_id"],
                "rating": -1,
                "comment": "Ring me on 020 7946 0958",
                "conversation_secret": answer["conversation_secret"],
            },
        )
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert any(r.getMessage() == "answer" for r in caplog.records)  # the answer was logged
    for personal in ("John Smith", "john.smith@example.org", "07700 900123", "020 7946 0958"):
        assert personal not in logged
    assert answer["conversation_secret"] not in logged
