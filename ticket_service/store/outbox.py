"""The outbox: domain events stored in the action's own transaction, so none is lost or sent for a rolled-back action."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Iterable

from sqlalchemy.orm import Session

from ticket_service.domain.events import DomainEvent
from ticket_service.store.models import OutboxEvent


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
