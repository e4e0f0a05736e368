"""What an administrator does to the outbox: send a failed or set-aside delivery again."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Forbidden, NotFound
from ticket_service.store import outbox
from ticket_service.store.models import Person


def retry_delivery(db: Session, ctx: Context, actor: Person, event_id: int, subscriber: str) -> None:
    """Make one failed or dead delivery due at once, its attempts counted afresh (administrators only)."""
    if actor.role != "admin":
        raise Forbidden("forbidden", "Seuls les administrateurs relancent un envoi.")
    if outbox.retry(db, event_id, subscriber, ctx.clock.now()) is None:
        raise NotFound("not_found", "Aucun envoi en échec pour cet événement.")
    commit(db)
