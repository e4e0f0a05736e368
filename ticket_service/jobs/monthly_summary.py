"""The daily tick of the monthly summary mail: on the month's first business day, last month's figures, once."""

from __future__ import annotations

from ticket_service.domain.clock import Clock
from ticket_service.jobs.builtin import _context
from ticket_service.jobs.registry import job


@job("reports.monthly_summary")
def monthly_summary(app, database, payload: dict, clock: Clock) -> str | None:
    """Mail last month's key figures to the team lead(s) when due and not sent yet; return the month sent."""
    from ticket_service.actions.monthly_summary import send_monthly_summary
    from ticket_service.settings import deflection_window

    # Figures computed on a read session; the action commits its marker and outbox event on the write one.
    with database.reader() as reader, database.writer() as writer:
        return send_monthly_summary(reader, writer, _context(app, clock), deflection_window(app.config))
