"""Identifiers of people reach the database only as HMACs under the server secret."""

import hashlib
import threading

from sqlalchemy import select

from hlsguide.config import Settings
from hlsguide.privacy.identifiers import SECRET_FILE, Pseudonymizer, identifier_secret
from hlsguide.storage import Store
from hlsguide.storage.channel_events import claim_event, link_thread, thread_conversation
from hlsguide.storage.conversations import new_conversation
from hlsguide.storage.models import ChannelEvent, ChannelThread, RateLimitWindow
from hlsguide.storage.rate_limits import DatabaseRateLimiter

IP = "203.0.113.7"
DM_THREAD = "T0TEAM:D0DIRECTMSG"


def test_stored_identifiers_are_hmacs(tmp_path):
    secret = Pseudonymizer(b"server secret")
    store = Store(f"sqlite:///{tmp_path / 'state.db'}", pseudonym=secret)
    conversation = new_conversation(store)
    link_thread(store, "slack", DM_THREAD, conversation)
    assert thread_conversation(store, "slack", DM_THREAD) == conversation  # lookups still work
    assert claim_event(store, "slack-feedback", "answer:U0VOTER:1")
    assert not claim_event(store, "slack-feedback", "answer:U0VOTER:1")  # and claims still dedupe
    limiter = DatabaseRateLimiter(store)
    assert limiter.hit(f"ip:{IP}", 1, 60) is None
    assert limiter.hit(f"ip:{IP}", 1, 60) is not None
    with store.session() as session:
        stored = [
            *session.scalars(select(ChannelThread.thread_key)),
            *session.scalars(select(ChannelEvent.event_id)),
            *session.scalars(select(RateLimitWindow.bucket)),
        ]
    dump = " ".join(stored)
    for identifier in (IP, "D0DIRECTMSG", "U0VOTER"):
        assert identifier not in dump
    assert secret(DM_THREAD) in stored
    # not a bare SHA-256, which anyone could recompute from a list of candidate ids
    assert hashlib.sha256(DM_THREAD.encode()).hexdigest() not in stored
    assert Pseudonymizer(b"another secret")(DM_THREAD) != secret(DM_THREAD)


def test_the_secret_is_created_once_and_shared(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    found = []
    threads = [
        threading.Thread(target=lambda: found.append(identifier_secret(settings))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1
    assert len(found[0]) == 64
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o077 == 0  # readable by the owner only
    configured = Settings(_env_file=None, data_dir=tmp_path, identifier_secret="from-env")
    assert identifier_secret(configured) == b"from-env"
