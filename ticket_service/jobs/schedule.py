"""Periodic jobs: intervals from helpdesk.yml (``jobs.every``), ticks kept in the database so each is enqueued once."""

from __future__ import annotations

import importlib
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from ticket_service.domain.clock import Clock
from ticket_service.jobs.registry import HANDLERS
from ticket_service.settings import DEFAULTS
from ticket_service.store import jobs as queue
from ticket_service.store.models import JobSchedule


class JobConfigError(ValueError):
    """A job setting is wrong; the message names the setting and the fix."""


def load_modules(config) -> None:
    """Import JOB_MODULES, which register extra job handlers and outbox subscribers."""
    modules = config.get("JOB_MODULES") or ()
    if isinstance(modules, str):
        modules = [m.strip() for m in modules.split(",") if m.strip()]
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise JobConfigError(f"JOB_MODULES: cannot import {name!r} ({exc}); fix the module name or remove it.") from None


def intervals(config, policies=None) -> dict[str, int]:
    """Return job name → seconds between runs (0: off): the defaults, then helpdesk.yml's ``jobs.every``, then
    the JOB_INTERVALS setting (an operator's or a test's override)."""
    given = config.get("JOB_INTERVALS") or {}
    if not isinstance(given, dict):
        raise JobConfigError(f"JOB_INTERVALS must map job names to seconds, e.g. {{\"tickets.auto_close\": 600}}; "
                             f"got {given!r}.")
    from_file = dict(policies.job_intervals) if policies is not None else {}
    for name in from_file:
        if name not in HANDLERS:
            raise JobConfigError(f"{policies.source}: `jobs.every.{name}` is not a job — fix: use one of "
                                 f"{', '.join(sorted(HANDLERS))}.")
    merged = {**DEFAULTS["JOB_INTERVALS"], **from_file, **given}
    for name, seconds in merged.items():
        if name not in HANDLERS:
            raise JobConfigError(f"JOB_INTERVALS: unknown job {name!r}; known jobs: {', '.join(sorted(HANDLERS))}.")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise JobConfigError(f"JOB_INTERVALS[{name!r}]: {seconds!r} is not a whole number of seconds ≥ 0 "
                                 "(0 turns the job off).")
    return merged


def sync(database, wanted: dict[str, int], clock: Clock) -> None:
    """Make the schedule table match the intervals; a new schedule first runs one interval from now."""
    now = clock.now()
    try:
        with database.write() as db:
            for name, seconds in sorted(wanted.items()):
                row = db.get(JobSchedule, name, with_for_update=True)
                if seconds == 0:
                    if row is not None:
                        db.delete(row)
                elif row is None:
                    db.add(JobSchedule(name=name, interval_seconds=seconds, next_run_at=now + timedelta(seconds=seconds)))
                elif row.interval_seconds != seconds:
                    row.interval_seconds = seconds
                    row.next_run_at = min(row.next_run_at, now + timedelta(seconds=seconds))
    except IntegrityError:  # another worker inserted the same schedule at the same moment (PostgreSQL): it stands
        pass


def tick(database, clock: Clock, max_attempts: int) -> int:
    """Enqueue one job per due schedule tick and move the tick forward; return how many jobs were enqueued.

    Ticks missed while no worker ran collapse into one; a job still queued or running from an earlier tick is
    not doubled (a slow outbox delivery is not joined by a second one).
    """
    now = clock.now()
    with database.reader() as db:
        first = queue.next_tick(db)
    if first is None or first > now:
        return 0
    enqueued = 0
    with database.write() as db:
        for row in queue.due_schedules(db, now):
            due, step = row.next_run_at, timedelta(seconds=row.interval_seconds)
            row.next_run_at = due + step * (int((now - due) / step) + 1)
            if not queue.pending(db, row.name):
                enqueued += queue.enqueue(db, row.name, run_at=now, max_attempts=max_attempts,
                                          dedupe_key=f"{row.name}@{due.isoformat()}") is not None
    return enqueued
