"""Background jobs with progress: created by a page, advanced by a Huey task, polled by the page."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from data.db import db
from data.models import Job, JobStatus, utcnow


def create_job(kind: str, site_id: int | None = None, user_id: int | None = None, message: str = "") -> Job:
    """A queued job row (committed so the worker and the page can see it)."""
    job = Job(id=str(uuid.uuid4()), kind=kind, site_id=site_id, created_by_id=user_id, message=message)
    db.session.add(job)
    db.session.commit()
    return job


def get_job(job_id: str) -> Job | None:
    """The job, or None for an unknown id."""
    return db.session.scalar(select(Job).where(Job.id == job_id))


def update_job(job_id: str, progress: int | None = None, message: str | None = None, status: JobStatus | None = None,
               result: dict | None = None) -> None:
    """Record progress (0-100), a message, a new status or the result, and commit."""
    job = db.session.get(Job, job_id)
    if job is None:
        return
    if progress is not None:
        job.progress = max(0, min(100, int(progress)))
    if message is not None:
        job.message = message
    if result is not None:
        job.result = result
    if status is not None:
        job.status = status
        if status in (JobStatus.DONE, JobStatus.FAILED):
            job.finished_at = utcnow()
            if status is JobStatus.DONE:
                job.progress = 100
    elif job.status is JobStatus.QUEUED:
        job.status = JobStatus.RUNNING
    db.session.commit()
