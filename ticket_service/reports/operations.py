"""Operating figures read from the database at scrape time: job queue, outbox lag, SLA breaches, mail failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ticket_service.store.models import Job, OutboxDelivery, OutboxEvent, SlaNotice, Ticket

MAIL_SUBSCRIBER = "mail"  # notify/mail.py NAME: its outbox delivery records are the mail attempts


@dataclass(frozen=True)
class OperationsFigures:
    """What an operator graphs and alerts on; every figure is recomputed from the tables at each read."""

    tickets_by_channel: dict[str, int] = field(default_factory=dict)
    jobs_due: int = 0
    oldest_due_job_age: float = 0.0  # seconds since the oldest due job's run time; 0 with none due
    outbox_lag: dict[str, float] = field(default_factory=dict)  # subscriber → age in seconds of its oldest owed event
    sla_breaches: dict[str, int] = field(default_factory=dict)  # first_response | resolution → tickets breached
    mail_failures: dict[str, int] = field(default_factory=dict)  # failed (retried later) | dead (set aside) → events


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


def operations_figures(db: Session, now: datetime, subscribers: tuple[str, ...]) -> OperationsFigures:
    """Read the figures; ``subscribers`` are the outbox subscribers this installation delivers to."""
    channels = dict(db.execute(select(Ticket.channel, func.count()).group_by(Ticket.channel)).all())
    # the same definition as the runner's claim (store/jobs.py _due): queued and due, or a lease that ran out
    due = or_(and_(Job.status == "queued", Job.run_at <= now), and_(Job.status == "running", Job.locked_until <= now))
    count, oldest = db.execute(select(func.count(), func.min(Job.run_at)).where(due)).one()
    lag = {}
    for name in subscribers:
        first = db.scalar(
            select(func.min(OutboxEvent.created_at))
            .outerjoin(OutboxDelivery, and_(OutboxDelivery.event_id == OutboxEvent.id, OutboxDelivery.subscriber == name))
            .where(or_(OutboxDelivery.status.is_(None), OutboxDelivery.status == "failed")))
        lag[name] = _age(now, first)
    breaches = dict(db.execute(select(SlaNotice.target, func.count()).where(SlaNotice.kind == "breached")
                               .group_by(SlaNotice.target)).all())
    mail = dict(db.execute(select(OutboxDelivery.status, func.count())
                           .where(OutboxDelivery.subscriber == MAIL_SUBSCRIBER,
                                  OutboxDelivery.status.in_(("failed", "dead")))
                           .group_by(OutboxDelivery.status)).all())
    return OperationsFigures(
        tickets_by_channel=channels, jobs_due=int(count or 0), oldest_due_job_age=_age(now, oldest), outbox_lag=lag,
        sla_breaches={target: breaches.get(target, 0) for target in ("first_response", "resolution")},
        mail_failures={status: mail.get(status, 0) for status in ("failed", "dead")})
