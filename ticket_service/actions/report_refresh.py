"""Refresh the dashboard's standard views (reports/snapshots.py): compute each whose data changed, store it, commit."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.domain.context import Context
from ticket_service.reports import snapshots
from ticket_service.reports.panel_result import view
from ticket_service.store import report_snapshots as store

KEEP = timedelta(days=2)  # snapshots of views no longer standard (yesterday's 30 days) are deleted after this


def refresh_views(reader: Session, writer: Session, ctx: Context, window: timedelta, max_age: timedelta) -> dict:
    """Compute every standard view whose data changed or whose snapshot is half ``max_age`` old; one commit each.

    Views are computed on ``reader``, so no write lock is held while they compute (SQLite's is the whole
    database); each is then stored through ``writer`` in a transaction of its own. The data version is read before
    computing: rows added meanwhile make the next run compute the view again. Returns how many views were computed
    and skipped, and the milliseconds each computation took."""
    now = ctx.clock.now()
    computed, skipped, costs = 0, 0, []
    for period, filters in snapshots.standard_views(ctx.policies, now):
        key = snapshots.view_key(ctx.policies, period, filters, window)
        version = snapshots.data_version(reader)
        row = store.read(reader, key)
        if row is not None and row.data_version == version and timedelta(0) <= now - row.as_of < max_age / 2:
            skipped += 1
            reader.rollback()  # end the read transaction: the next view reads the newest data
            continue
        started = time.perf_counter()  # what the view costs decides whether requests may read it (not a domain time)
        result, extra = view(reader, ctx.policies, ctx.calendar, period, filters, now, window)
        cost = round((time.perf_counter() - started) * 1000)
        reader.rollback()
        store.save(writer, key, version, now, cost, snapshots.encode(result, extra))
        commit(writer)
        computed += 1
        costs.append(cost)
    store.prune(writer, now - KEEP)
    commit(writer)
    return {"computed": computed, "skipped": skipped, "cost_ms": costs}
