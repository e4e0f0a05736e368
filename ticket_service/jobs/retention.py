"""The RGPD retention job: anonymise closed tickets past ``retention.closed_tickets_months``."""

from __future__ import annotations

from ticket_service.domain.clock import Clock
from ticket_service.jobs.builtin import _context
from ticket_service.jobs.registry import job


@job("tickets.retention")
def retention(app, database, payload: dict, clock: Clock) -> list[int]:
    """Anonymise the closed tickets older than the retention (none when helpdesk.yml sets none); return their ids."""
    from ticket_service.actions.privacy import apply_retention
    from ticket_service.runtime import get_files

    ctx = _context(app, clock)
    months = payload.get("months", ctx.policies.retention_months)
    if not months:
        return []
    with app.app_context(), database.writer() as db:
        return apply_retention(db, ctx, get_files(app), int(months))
