"""Reminding requesters the desk waits on: the system acts, one reminder per waiting period."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.domain import waiting_reminder
from ticket_service.domain.context import Context


def remind_waiting(db: Session, ctx: Context) -> list[int]:
    """Send (through the outbox) the reminder of every ticket waiting past waiting.reminder_after; return their ids."""
    reminded = waiting_reminder.remind_due(db, ctx.policies, ctx.calendar, ctx.clock.now())
    commit(db)
    return reminded
