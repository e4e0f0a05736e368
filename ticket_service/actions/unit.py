"""The end of every action: its domain events into the outbox, then one commit; or a rollback that drops them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticket_service.domain.access import load_ticket
from ticket_service.domain.context import Context
from ticket_service.domain.events import take_pending
from ticket_service.store import outbox
from ticket_service.store.models import Person, Ticket


def commit(db: Session) -> None:
    """Write the pending events to the outbox and commit the change with them (nothing is sent before this)."""
    outbox.append(db, take_pending(db))
    db.commit()


def rollback(db: Session) -> None:
    """Undo the action and forget its events: a rolled-back action never reaches a subscriber."""
    take_pending(db)
    db.rollback()


def locked_ticket(db: Session, ctx: Context, actor: Person, ticket_id: int) -> Ticket:
    """Load a ticket the actor may see, locked for the rest of the action (404 otherwise)."""
    return load_ticket(db, ctx, actor, ticket_id, for_update=True)
