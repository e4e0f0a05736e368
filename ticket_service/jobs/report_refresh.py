"""The periodic refresh of the dashboard's standard views, read by every process instead of computing them."""

from __future__ import annotations

from ticket_service.domain.clock import Clock
from ticket_service.jobs.builtin import _context
from ticket_service.jobs.registry import job


@job("reports.refresh")
def refresh(app, database, payload: dict, clock: Clock) -> dict | None:
    """Compute the standard views whose data changed (DASHBOARD_SNAPSHOT_SECONDS 0: none); return what it did."""
    from ticket_service.actions.report_refresh import refresh_views
    from ticket_service.settings import dashboard_snapshots, deflection_window

    policy = dashboard_snapshots(app.config)
    if policy is None:
        return None
    with database.writer() as db:  # the action commits each view
        return refresh_views(db, _context(app, clock), deflection_window(app.config), policy.max_age)
