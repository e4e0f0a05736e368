"""The triage.train job: retrain the triage model on the resolved tickets (daily by default)."""

from __future__ import annotations

from ticket_service.domain.clock import Clock
from ticket_service.jobs.builtin import _context
from ticket_service.jobs.registry import job


@job("triage.train")
def train_triage(app, database, payload: dict, clock: Clock) -> str | None:
    """Retrain and save the model; return its version, or None when there are too few settled tickets yet."""
    from ticket_service.actions.triage import train

    with database.reader() as db:
        report = train(db, _context(app, clock), min_tickets=int(app.config["TRIAGE_MIN_TICKETS"]))
    return report.version
