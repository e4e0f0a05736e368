"""The worker loop: tick the schedules, claim a due job under a lease, run it outside the claim, record the outcome."""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import socket
import threading
import traceback
from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

from ticket_service.domain.clock import SYSTEM_CLOCK, Clock
from ticket_service.jobs import schedule
from ticket_service.jobs.backoff import retry_delay
from ticket_service.jobs.registry import HANDLERS, Handler
from ticket_service.store import jobs as queue

log = logging.getLogger("ticket_service.jobs")

HEARTBEAT_SECONDS = 30  # a worker silent for three beats is reported dead by /readyz


@dataclass(frozen=True)
class Claim:
    """What a worker holds while it runs a job: the job, and the attempt that fences its later writes."""

    id: int
    name: str
    payload: dict
    attempt: int


def worker_id() -> str:
    """Return a name unique to this worker: host, process and a random suffix (threads of one process differ)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """One job loop on one database; run several (threads, processes, machines) and each job still runs once."""

    def __init__(self, app, *, database=None, clock: Clock = SYSTEM_CLOCK, handlers: Mapping[str, Handler] | None = None,
                 name: str | None = None, rng: random.Random | None = None):
        from ticket_service.runtime import get_ctx, get_database

        config = app.config
        schedule.load_modules(config)
        self.app, self.clock, self.rng = app, clock, rng
        self.database = database or get_database(app)
        self.handlers = HANDLERS if handlers is None else handlers
        self.id = name or worker_id()
        with app.app_context():
            policies = get_ctx().policies
        self.intervals = schedule.intervals(config, policies)
        self.poll = float(config["JOB_POLL_SECONDS"])
        self.lease = float(config["JOB_LEASE_SECONDS"])
        self.max_attempts = int(config["JOB_MAX_ATTEMPTS"])
        self.backoff = (float(config["JOB_BACKOFF_SECONDS"]), float(config["JOB_BACKOFF_MAX_SECONDS"]))
        self._synced = False
        self._last_beat = None

    def heartbeat(self) -> None:
        """Say this worker is alive, at most once per HEARTBEAT_SECONDS (readiness probes read it)."""
        now = self.clock.now()
        if self._last_beat is not None and (now - self._last_beat).total_seconds() < HEARTBEAT_SECONDS:
            return
        with self.database.write() as db:
            queue.beat(db, self.id, now)
        self._last_beat = now

    def run_once(self) -> bool:
        """Enqueue due ticks, then claim and run one due job; return whether a job ran."""
        if not self._synced:
            schedule.sync(self.database, self.intervals, self.clock)
            self._synced = True
        self.heartbeat()
        schedule.tick(self.database, self.clock, self.max_attempts)
        claim = self.claim()
        if claim is None:
            return False
        self.execute(claim)
        return True

    def drain(self, stop: threading.Event | None = None) -> int:
        """Run jobs until none is due (retries scheduled later are left for later); return how many ran."""
        count = 0
        while not (stop is not None and stop.is_set()) and self.run_once():
            count += 1
        return count

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set; the job in progress finishes first. A database error waits for the next poll."""
        log.info("worker %s started", self.id)
        while not stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # a busy or unreachable database must not end the loop
                log.exception("worker %s: job loop error, trying again in %s s", self.id, self.poll)
                ran = False
            if not ran:
                stop.wait(self.poll)
        log.info("worker %s stopped", self.id)

    def claim(self) -> Claim | None:
        """Claim the next due job in one short write transaction; None when nothing is due."""
        now = self.clock.now()
        with self.database.reader() as db:
            if not queue.any_due(db, now):  # most polls find nothing: no write lock for them
                return None
        with self.database.write() as db:
            job = queue.claim(db, self.id, now, self.lease)
            return None if job is None else Claim(job.id, job.name, json.loads(job.payload), job.attempts)

    def execute(self, claim: Claim) -> None:
        """Run a claimed job's handler (it commits its own work), then mark it done or failed."""
        done = threading.Event()
        threading.Thread(target=self._keep_lease, args=(claim, done), name=f"guichet-lease-{claim.id}",
                         daemon=True).start()
        try:
            handler = self.handlers.get(claim.name)
            if handler is None:
                raise LookupError(f"no handler for job {claim.name!r} in this worker (is its module in JOB_MODULES?)")
            result = handler(self.app, self.database, claim.payload, self.clock)
        except Exception as exc:
            done.set()
            self._failed(claim, exc)
            return
        done.set()
        with self.database.write() as db:
            kept = queue.complete(db, claim.id, self.id, claim.attempt, self.clock.now())
        if kept:
            log.info("job %s %s done: %s", claim.id, claim.name, _short(result))
        else:
            log.warning("job %s %s finished after its lease passed to another worker", claim.id, claim.name)

    def _failed(self, claim: Claim, exc: Exception) -> None:
        error = "".join(traceback.format_exception(exc))[-4000:]
        delay = retry_delay(claim.attempt, *self.backoff, rng=self.rng)
        with self.database.write() as db:
            outcome = queue.fail(db, claim.id, self.id, claim.attempt, self.clock.now(), error, delay)
        if outcome == queue.DEAD:
            log.error("job %s %s is dead after %s attempt(s): %s", claim.id, claim.name, claim.attempt, exc)
        elif outcome == queue.QUEUED:
            log.warning("job %s %s failed (attempt %s), retry in %.0f s: %s", claim.id, claim.name, claim.attempt,
                        delay, exc)
        else:
            log.warning("job %s %s failed after its lease passed to another worker: %s", claim.id, claim.name, exc)

    def _keep_lease(self, claim: Claim, done: threading.Event) -> None:
        """Extend the lease while the job runs, so only the job of a worker that died is claimed again."""
        while not done.wait(self.lease / 3):
            try:
                with self.database.write() as db:
                    until = self.clock.now() + timedelta(seconds=self.lease)
                    if not queue.set_lease(db, claim.id, self.id, claim.attempt, until):
                        return
            except Exception:  # the next beat tries again; the lease still has two thirds to run
                log.exception("job %s: lease renewal failed", claim.id)


def run_now(app, name: str, payload: dict | None = None, clock: Clock = SYSTEM_CLOCK):
    """Run a job's handler at once in this process, without the queue (the housekeeping commands)."""
    from ticket_service.runtime import get_database

    return HANDLERS[name](app, get_database(app), payload or {}, clock)


def _short(result) -> str:
    text = repr(result)
    return text if len(text) <= 200 else text[:197] + "..."
