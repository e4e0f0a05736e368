"""The periodic SLA watch: at-risk warnings, breach reports and sla.on_breach steps, once per ticket and target."""

from __future__ import annotations

from ticket_service.domain.clock import Clock
from ticket_service.jobs.builtin import _context
from ticket_service.jobs.registry import job


@job("sla.watch")
def watch_sla(app, database, payload: dict, clock: Clock) -> dict[int, list[str]]:
    """Run the SLA watch at the job's instant; return what it did by ticket id."""
    from ticket_service.actions.sla import watch_sla as watch

    with database.writer() as db:  # the action commits ticket by ticket, its events with each
        return watch(db, _context(app, clock))
