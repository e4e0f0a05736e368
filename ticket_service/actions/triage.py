"""Triage from history: train the model on settled tickets, apply a suggestion to a ticket."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit, locked_ticket
from ticket_service.domain import triage
from ticket_service.domain.context import Context
from ticket_service.store.models import Person


def train(db: Session, ctx: Context, *, min_tickets: int, evaluate: bool = False) -> triage.TrainReport:
    """Train the triage model on the resolved and closed tickets and save it in the triage folder (reads only)."""
    return triage.train(db, ctx, ctx.clock.now(), min_tickets=min_tickets, evaluate=evaluate)


def apply_suggestion(db: Session, ctx: Context, actor: Person, ticket_id: int, fields: list[str]) -> list[str]:
    """Apply the ticket's triage suggestions for ``fields`` (a technician's « Appliquer »); return what changed."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    changed = triage.apply(db, ctx, ticket, actor, fields, ctx.clock.now())
    commit(db)
    return changed
