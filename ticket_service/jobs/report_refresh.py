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
    # Computed on a read session, each view stored in a short write transaction of its own (the action commits).
    with database.reader() as reader, database.writer() as writer:
        return refresh_views(reader, writer, _context(app, clock), deflection_window(app.config), policy.max_age)
