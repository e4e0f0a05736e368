"""The built-in jobs: ticket auto-close, query-text purge, learning publish, pruning of finished jobs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ticket_service.domain.clock import Clock
from ticket_service.jobs.registry import job


def _context(app, clock: Clock):
    """Return the app's Context telling the job's time, so the actions it calls act at that instant."""
    from dataclasses import replace

    from ticket_service.runtime import get_ctx

    with app.app_context():
        ctx = get_ctx()
    return ctx if ctx.clock is clock else replace(ctx, clock=clock)


@job("tickets.auto_close")
def auto_close(app, database, payload: dict, clock: Clock) -> list[int]:
    """Close resolved tickets left unanswered past auto_close_business_days; return their ids."""
    from ticket_service.actions.workflow import auto_close as close

    with database.writer() as db:  # the action commits, its ticket.closed events with it
        return close(db, _context(app, clock))


@job("events.purge")
def purge_queries(app, database, payload: dict, clock: Clock) -> int:
    """Blank query texts older than ``payload["days"]`` (default QUERY_RETENTION_DAYS); return how many.

    Rate-limit counters idle for a day go too: they would only say what a fresh counter says.
    """
    from ticket_service.actions.help import purge_query_texts
    from ticket_service.actions.limits import purge_counters

    days = int(payload.get("days", app.config["QUERY_RETENTION_DAYS"]))
    with database.writer() as db:
        purge_counters(db, clock.now() - timedelta(days=1))
    with database.writer() as db:
        return purge_query_texts(db, _context(app, clock), days)


@job("learning.publish")
def publish_learning(app, database, payload: dict, clock: Clock) -> Path:
    """Write the approved past requests beside the suggestion index; return the file written."""
    from ticket_service.domain.learning import publish

    with database.reader() as db:
        return publish(db, Path(app.config["INDEX_DIR"]))


@job("jobs.prune")
def prune_jobs(app, database, payload: dict, clock: Clock) -> int:
    """Delete done jobs older than JOB_RETENTION_DAYS (dead ones stay for `guichet jobs list`); return how many."""
    from ticket_service.store.jobs import purge_finished

    with database.write() as db:
        return purge_finished(db, clock.now() - timedelta(days=float(app.config["JOB_RETENTION_DAYS"])))


from ticket_service.notify import mail as _mail  # noqa: E402,F401  (registers the `mail` outbox subscriber)
