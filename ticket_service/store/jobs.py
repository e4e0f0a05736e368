"""The job queue's storage: enqueue, claim under a lease, finish, fail, requeue; the caller's transaction commits."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticket_service.store.models import Job, JobSchedule, WorkerHeartbeat

QUEUED, RUNNING, DONE, DEAD = "queued", "running", "done", "dead"
STATUSES = (QUEUED, RUNNING, DONE, DEAD)
PENDING = (QUEUED, RUNNING)


def enqueue(db: Session, name: str, payload: dict | None = None, *, run_at: datetime, max_attempts: int,
            dedupe_key: str | None = None, now: datetime | None = None) -> Job | None:
    """Add a queued job (``now`` defaults to ``run_at``); with a dedupe key already taken, add nothing, return None."""
    job = Job(name=name, payload=json.dumps(payload or {}, ensure_ascii=False, sort_keys=True), status=QUEUED,
              run_at=run_at, attempts=0, max_attempts=max_attempts, dedupe_key=dedupe_key, created_at=now or run_at)
    if dedupe_key is None:
        db.add(job)
        db.flush()
        return job
    if db.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key)) is not None:
        return None
    try:
        with db.begin_nested():  # a concurrent enqueue of the same key (PostgreSQL) loses here, not the caller
            db.add(job)
    except IntegrityError:
        return None
    return job


def _due(now: datetime):
    """Queued jobs whose time has come, and running jobs whose worker let the lease expire (killed, hung)."""
    return or_(and_(Job.status == QUEUED, Job.run_at <= now), and_(Job.status == RUNNING, Job.locked_until <= now))


def any_due(db: Session, now: datetime) -> bool:
    """Tell whether a claim would find a job (a cheap read before taking SQLite's write lock)."""
    return bool(db.scalar(select(exists().where(_due(now)))))


def claim(db: Session, worker: str, now: datetime, lease_seconds: float) -> Job | None:
    """Take the next due job for ``worker`` and count the attempt; None when nothing is due.

    PostgreSQL: FOR UPDATE SKIP LOCKED lets concurrent workers take different jobs without waiting. SQLite ignores
    the clause; the writer session's BEGIN IMMEDIATE makes the select-and-mark one serialised transaction instead.
    """
    while True:
        job = db.scalar(select(Job).where(_due(now)).order_by(Job.run_at, Job.id).limit(1)
                        .with_for_update(skip_locked=True))
        if job is None:
            return None
        if job.status == RUNNING and job.attempts >= job.max_attempts:
            # Its last attempt never reported back: the worker died every time; stop trying.
            _finish(job, DEAD, now, f"lease expired on attempt {job.attempts} of {job.max_attempts} "
                                    f"(worker {job.locked_by} stopped or hung)")
            db.flush()
            continue
        job.status, job.attempts = RUNNING, job.attempts + 1
        job.locked_by, job.locked_until = worker, now + timedelta(seconds=lease_seconds)
        db.flush()
        return job


def _held(db: Session, job_id: int, worker: str, attempt: int) -> Job | None:
    """Return the job if this worker's claim still stands (the lease was not lost to another worker)."""
    return db.scalar(select(Job).where(Job.id == job_id, Job.status == RUNNING, Job.locked_by == worker,
                                       Job.attempts == attempt).with_for_update())


def _finish(job: Job, status: str, now: datetime, error: str | None = None) -> None:
    job.status, job.finished_at, job.locked_by, job.locked_until = status, now, None, None
    if error is not None:
        job.last_error = error


def complete(db: Session, job_id: int, worker: str, attempt: int, now: datetime) -> bool:
    """Mark the claimed job done; False when the claim had been lost (another worker re-ran it)."""
    job = _held(db, job_id, worker, attempt)
    if job is None:
        return False
    _finish(job, DONE, now)
    return True


def fail(db: Session, job_id: int, worker: str, attempt: int, now: datetime, error: str,
         retry_in: float) -> str | None:
    """Record a failed attempt: queued again after ``retry_in`` seconds, or dead after the last; None if lost."""
    job = _held(db, job_id, worker, attempt)
    if job is None:
        return None
    if job.attempts >= job.max_attempts:
        _finish(job, DEAD, now, error)
        return DEAD
    job.status, job.run_at, job.last_error = QUEUED, now + timedelta(seconds=retry_in), error
    job.locked_by = job.locked_until = None
    return QUEUED


def requeue(db: Session, job_id: int, now: datetime) -> Job | None:
    """Put a dead job back in the queue with its attempts reset; None when there is no such dead job."""
    job = db.scalar(select(Job).where(Job.id == job_id, Job.status == DEAD).with_for_update())
    if job is None:
        return None
    job.status, job.attempts, job.run_at, job.finished_at = QUEUED, 0, now, None
    return job


def pending(db: Session, name: str) -> bool:
    """Tell whether a job of that name is still queued or running."""
    return bool(db.scalar(select(exists().where(Job.name == name, Job.status.in_(PENDING)))))


def purge_finished(db: Session, before: datetime) -> int:
    """Delete done jobs finished before that instant (dead ones stay for inspection); return how many."""
    return db.execute(delete(Job).where(Job.status == DONE, Job.finished_at < before)).rowcount or 0


def next_tick(db: Session) -> datetime | None:
    """Return the earliest scheduled instant (a cheap read before taking SQLite's write lock)."""
    return db.scalar(select(func.min(JobSchedule.next_run_at)))


def due_schedules(db: Session, now: datetime) -> list[JobSchedule]:
    """Lock the schedules whose tick has come; a concurrent worker (PostgreSQL) skips them instead of waiting."""
    return list(db.scalars(select(JobSchedule).where(JobSchedule.next_run_at <= now).order_by(JobSchedule.name)
                           .with_for_update(skip_locked=True)))


def set_lease(db: Session, job_id: int, worker: str, attempt: int, until: datetime) -> bool:
    """Extend a claimed job's lease (a long job's heartbeat); False when the claim had been lost."""
    result = db.execute(update(Job).where(Job.id == job_id, Job.status == RUNNING, Job.locked_by == worker,
                                          Job.attempts == attempt).values(locked_until=until))
    return bool(result.rowcount)


def beat(db: Session, worker: str, now: datetime) -> None:
    """Record that ``worker`` is alive now, and forget workers silent for a day (they stopped or died)."""
    row = db.get(WorkerHeartbeat, worker)
    if row is None:
        db.add(WorkerHeartbeat(worker=worker, seen_at=now))
    else:
        row.seen_at = now
    db.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - timedelta(days=1)))


def last_heartbeat(db: Session) -> datetime | None:
    """Return when any job worker last showed it was alive (None: none ever ran on this database)."""
    return db.scalar(select(func.max(WorkerHeartbeat.seen_at)))
