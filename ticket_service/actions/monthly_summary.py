"""The monthly summary mail: on the month's first business day, last month's key figures to the team lead(s), once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.domain.context import Context
from ticket_service.domain.events import MonthlySummaryDue, emit
from ticket_service.domain.monthly_summary import month_due
from ticket_service.reports.monthly_summary import key_figures
from ticket_service.store import jobs as queue
from ticket_service.store.models import OutboxEvent, Person

MARKER = "reports.monthly_summary.sent"  # a finished job row whose unique dedupe key says « this month is sent »


def readers(db: Session, ctx: Context) -> list[Person]:
    """Return the summary's readers: helpdesk.yml's reports.monthly_summary_to, else every active admin."""
    wanted = ctx.policies.monthly_summary_to
    query = select(Person).where(Person.active.is_(True))
    query = query.where(func.lower(Person.email).in_(wanted)) if wanted else query.where(Person.role == "admin")
    return list(db.scalars(query.order_by(Person.id)))


def send_monthly_summary(reader: Session, writer: Session, ctx: Context, window: timedelta) -> str | None:
    """Send (through the outbox) last month's summary when it is due and not sent yet; return the month, else None.

    The figures are computed on ``reader``: no write lock is held while they compute (SQLite's is the whole
    database); the marker and the outbox event are then written through ``writer`` in one short transaction."""
    now = ctx.clock.now()
    month = month_due(ctx.calendar, now)
    if month is None or _already_sent(reader, month):
        return None
    people = [p.id for p in readers(reader, ctx)]
    summary = key_figures(reader, ctx.policies, ctx.calendar, now, window) if people else None
    reader.rollback()
    # The unique key settles two workers at once; the outbox row (kept for good) settles later ticks of the month.
    marker = queue.enqueue(writer, MARKER, {"month": month}, run_at=now, max_attempts=1,
                           dedupe_key=f"{MARKER}@{month}", now=now)
    if marker is None:
        return None
    marker.status, marker.finished_at = queue.DONE, now  # nothing to run: the row only holds the key
    if people:
        emit(writer, MonthlySummaryDue(None, None, now, month=month, recipients=tuple(people), summary=summary))
    commit(writer)
    return month if people else None


def _already_sent(db: Session, month: str) -> bool:
    return db.scalar(select(OutboxEvent.id).where(
        OutboxEvent.name == MonthlySummaryDue.name, OutboxEvent.ticket_id.is_(None),
        OutboxEvent.payload.contains(f'"month": "{month}"')).limit(1)) is not None
