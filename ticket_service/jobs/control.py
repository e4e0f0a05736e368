"""What an operator does to the queue: put a job in it now, give a dead job another chance."""

from __future__ import annotations

from ticket_service.domain.clock import SYSTEM_CLOCK, Clock
from ticket_service.store import jobs as queue


def enqueue_now(database, name: str, payload: dict, max_attempts: int, clock: Clock = SYSTEM_CLOCK) -> int:
    """Queue a job due now; return its id."""
    with database.write() as db:
        return queue.enqueue(db, name, payload, run_at=clock.now(), max_attempts=max_attempts).id


def retry_dead(database, job_id: int, clock: Clock = SYSTEM_CLOCK) -> str | None:
    """Queue a dead job again with its attempts reset; return its name, None when there is no such dead job."""
    with database.write() as db:
        job = queue.requeue(db, job_id, clock.now())
        return None if job is None else job.name
