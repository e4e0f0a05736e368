"""A ticket's audit history: who changed which field, when, old → new, and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ticket_service.store.models import Person, Ticket, TicketEvent, utcnow


def record(db: Session, ticket: Ticket, actor: Person | None, field: str, old, new, reason: str | None = None,
           now: datetime | None = None) -> None:
    """Append one audit line (who, when, field, old → new)."""
    db.add(TicketEvent(ticket_id=ticket.id, actor_id=actor.id if actor else None, at=now or utcnow(), field=field,
                       old=None if old is None else str(old), new=None if new is None else str(new), reason=reason))
