"""Announcing a new delay to the requester: a technician's date and reason, audited and mailed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit, locked_ticket
from ticket_service.domain import delays
from ticket_service.domain.context import Context
from ticket_service.store.models import AnnouncedDelay, Person


def announce_delay(db: Session, ctx: Context, actor: Person, ticket_id: int, due_at, reason: str | None,
                   kind: str = "resolution") -> AnnouncedDelay:
    """Announce when the first response or the resolution will come (local time in the org's zone), and why."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    delay = delays.announce(db, ticket, actor, kind, due_at, reason, now=ctx.clock.now(), tz=ctx.calendar.tz)
    commit(db)
    return delay
