"""The periodic « en attente de votre réponse » reminder: one mail per waiting period (waiting.reminder_after)."""

from __future__ import annotations

from ticket_service.domain.clock import Clock
from ticket_service.jobs.builtin import _context
from ticket_service.jobs.registry import job


@job("tickets.waiting_reminder")
def waiting_reminder(app, database, payload: dict, clock: Clock) -> list[int]:
    """Remind the requesters of tickets waiting past waiting.reminder_after business hours; return the ticket ids."""
    from ticket_service.actions.reminders import remind_waiting

    with database.writer() as db:  # the action commits, its reminder events with it
        return remind_waiting(db, _context(app, clock))
