"""The console's storage: sessions (only a hash of the token stored; expiry, sign-out and key
revocation end them), FAQ review decisions, and when each API key was last used."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from hlsguide.storage import Store
from hlsguide.storage.admin_sessions import close_session, find_session, open_session
from hlsguide.storage.api_keys import authenticate, create_api_key, hash_key, revoke_api_key
from hlsguide.storage.faq_jobs import create_faq_job
from hlsguide.storage.faq_reviews import recent_faq_jobs, record_review, reviews_of
from hlsguide.storage.models import AdminSession, ApiKey


def store(tmp_path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'state.db'}")


def test_a_session_is_found_by_its_token_and_ends_when_it_should(tmp_path):
    db = store(tmp_path)
    key = create_api_key(db, "curator", ["admin"])[1]
    token = open_session(db, key.id, timedelta(hours=1))
    signed = find_session(db, token)
    assert (signed.key_id, signed.name) == (key.id, "curator")
    assert len(signed.csrf_token) >= 40
    with db.session() as session:
        [row] = session.scalars(select(AdminSession)).all()
    assert row.token_hash == hash_key(token)  # the token itself is never stored
    assert token not in (row.token_hash, row.csrf_token)
    assert find_session(db, token + "x") is None

    close_session(db, token)
    assert find_session(db, token) is None

    token = open_session(db, key.id, timedelta(hours=1))
    with db.session() as session, session.begin():
        session.execute(update(AdminSession).values(expires_at=datetime.now(UTC)))
    assert find_session(db, token) is None
    # The expired one is swept when the next session opens.
    fresh = open_session(db, key.id, timedelta(hours=1))
    with db.session() as session:
        assert len(session.scalars(select(AdminSession)).all()) == 1
    revoke_api_key(db, key.id)
    assert find_session(db, fresh) is None


def test_reviews_are_recorded_and_replaced(tmp_path):
    db = store(tmp_path)
    job = create_faq_job(db, "extractive", "FAQ", 1, [{"id": "q001", "question": "What?"}])
    record_review(db, job.id, "q001", "rejected", "too vague", "curator")
    record_review(db, job.id, "q001", "approved", None, "editor", "what-1234.yaml")
    [review] = reviews_of(db, job.id).values()
    assert (review.decision, review.note, review.reviewer, review.curated_file) == (
        "approved",
        None,
        "editor",
        "what-1234.yaml",
    )
    assert [j.id for j in recent_faq_jobs(db)] == [job.id]


def test_last_use_of_a_key_is_written_at_most_once_a_minute(tmp_path):
    db = store(tmp_path)
    key, record = create_api_key(db, "widget", ["ask"])
    assert record.last_used_at is None

    def last_used():
        with db.session() as session:
            return session.get(ApiKey, record.id).last_used_at

    authenticate(db, key)
    first = last_used()
    assert first is not None
    authenticate(db, key)
    assert last_used() == first  # within the minute: no write
    with db.session() as session, session.begin():
        earlier = datetime.now(UTC) - timedelta(minutes=2)
        session.execute(update(ApiKey).values(last_used_at=earlier))
    authenticate(db, key)
    assert last_used().replace(tzinfo=UTC) > earlier
