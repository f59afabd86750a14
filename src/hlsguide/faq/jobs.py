"""FAQ jobs for the API: a batch run in the background, its status and results in the database.

Nothing about a job lives only in a worker: the job row holds its questions, status and counts,
and each finished question is stored as it finishes. Any worker answers status and download
requests. The worker running a job reports every few seconds (``heartbeat_at``); when it has
been silent for ``HLSGUIDE_FAQ_JOB_LEASE_SECONDS`` (the process died), the next worker asked
about the job takes it over and finishes only the questions not yet stored.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from hlsguide.config import Settings
from hlsguide.faq.questions import FaqQuestion
from hlsguide.faq.results import BatchReport, ItemResult
from hlsguide.faq.runner import Asker, run_batch
from hlsguide.privacy.owners import LOCAL, Owner
from hlsguide.retrieval.index import current_generation
from hlsguide.storage import Store
from hlsguide.storage.faq_jobs import (
    claim_faq_job,
    create_faq_job,
    faq_job,
    faq_job_items,
    finish_faq_job,
    heartbeat_faq_job,
    record_faq_item,
)
from hlsguide.storage.models import FaqJob

log = logging.getLogger(__name__)


class JobSink:
    """A ResultSink on the jobs tables: every stored item, answered or failed, is final."""

    def __init__(self, store: Store, job_id: str) -> None:
        self.store = store
        self.job_id = job_id

    def finished(self) -> dict[str, ItemResult]:
        items = faq_job_items(self.store, self.job_id)
        return {row.item_id: ItemResult.model_validate(row.result) for row in items}

    def record(self, result: ItemResult) -> None:
        record_faq_item(
            self.store, self.job_id, result.id, result.status, result.model_dump(mode="json")
        )


class FaqJobs:
    """Submits, runs and reports FAQ jobs; one per API process."""

    def __init__(self, settings: Settings, asker: Asker, store: Store) -> None:
        self.settings = settings
        self.asker = asker
        self.store = store
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # Only references that keep running tasks alive; their state is in the database.
        self._tasks: set[asyncio.Task] = set()

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.faq_job_lease_seconds)

    def submit(
        self,
        questions: list[FaqQuestion],
        mode: str,
        concurrency: int,
        title: str,
        owner: str | None = None,
    ) -> FaqJob:
        """Store a queued job submitted by ``owner`` (the caller then starts it with
        ``start``)."""
        return create_faq_job(
            self.store, mode, title, concurrency, [q.model_dump() for q in questions], owner
        )

    def start(self, job_id: str) -> None:
        """Run the job in this process if it can claim it (queued, or its worker is silent)."""
        task = asyncio.get_running_loop().create_task(self._run(job_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def status(self, job_id: str) -> FaqJob | None:
        """The job as stored; a job whose worker went silent is taken over by this one."""
        job = await asyncio.to_thread(faq_job, self.store, job_id)
        if job is not None and self.is_stale(job):
            self.start(job_id)
        return job

    def is_stale(self, job: FaqJob) -> bool:
        if job.status != "running" or job.heartbeat_at is None:
            return False
        beat = job.heartbeat_at
        beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
        return beat < datetime.now(UTC) - self.lease

    def report(self, job: FaqJob) -> BatchReport:
        """The job's results in question order (finished questions only, while it runs)."""
        stored = JobSink(self.store, job.id).finished()
        questions = [FaqQuestion.model_validate(q) for q in job.questions]
        return BatchReport(
            title=job.title,
            mode=job.mode,
            index_version=current_generation(self.settings.index_dir),
            items=[stored[q.id] for q in questions if q.id in stored],
        )

    async def _run(self, job_id: str) -> None:
        stale_before = datetime.now(UTC) - self.lease
        if not await asyncio.to_thread(
            claim_faq_job, self.store, job_id, self.worker, stale_before
        ):
            return  # another worker runs it
        job = await asyncio.to_thread(faq_job, self.store, job_id)
        assert job is not None
        heartbeat = asyncio.get_running_loop().create_task(self._beat(job_id))
        try:
            await run_batch(
                self.asker,
                [FaqQuestion.model_validate(q) for q in job.questions],
                mode=job.mode,
                concurrency=job.concurrency,
                sink=JobSink(self.store, job_id),
                owner=Owner(job.owner) if job.owner else LOCAL,
            )
            await asyncio.to_thread(finish_faq_job, self.store, job_id, self.worker, "done")
        except asyncio.CancelledError:
            raise  # the process is stopping; another worker takes the job over
        except Exception as exc:
            log.exception("FAQ job %s failed", job_id)
            await asyncio.to_thread(
                finish_faq_job, self.store, job_id, self.worker, "failed", str(exc)
            )
        finally:
            heartbeat.cancel()

    async def _beat(self, job_id: str) -> None:
        interval = max(1.0, self.settings.faq_job_lease_seconds / 4)
        while True:
            await asyncio.sleep(interval)
            if not await asyncio.to_thread(heartbeat_faq_job, self.store, job_id, self.worker):
                return
