"""The outbox: domain events stored in the action's own transaction, so none is lost or sent for a rolled-back action."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Iterable

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ticket_service.domain.events import DomainEvent
from ticket_service.store.models import OutboxDelivery, OutboxEvent


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def append(db: Session, events: Iterable[DomainEvent]) -> list[OutboxEvent]:
    """Add the events to the caller's transaction (the action commits them with its change)."""
    rows = [OutboxEvent(name=e.name, ticket_id=e.ticket_id, actor_id=e.actor_id, at=e.at,
                        payload=json.dumps(e.payload(), default=_json_default, ensure_ascii=False, sort_keys=True))
            for e in events]
    db.add_all(rows)
    return rows


def deliveries(db: Session, subscriber: str, names: Iterable[str],
               limit: int) -> list[tuple[OutboxEvent, OutboxDelivery | None]]:
    """Return the latest events of these names, newest first, each with its delivery to the subscriber (or None)."""
    delivery = and_(OutboxDelivery.event_id == OutboxEvent.id, OutboxDelivery.subscriber == subscriber)
    return [tuple(row) for row in db.execute(
        select(OutboxEvent, OutboxDelivery).outerjoin(OutboxDelivery, delivery)
        .where(OutboxEvent.name.in_(list(names))).order_by(OutboxEvent.id.desc()).limit(limit)).all()]


def retry(db: Session, event_id: int, subscriber: str, now: datetime):
    """Make a failed or dead delivery due now, with a fresh count of attempts; None when there is none to retry."""
    row = db.get(OutboxDelivery, (event_id, subscriber), with_for_update=True)
    if row is None or row.status not in ("failed", "dead"):
        return None
    row.status, row.attempts, row.next_attempt_at = "failed", 0, now
    return row
