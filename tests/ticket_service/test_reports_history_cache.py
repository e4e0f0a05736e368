"""The dashboard's kept history rows (reports/history_cache.py) give the figures the live computation gives: after a
first request fills them, a ticket changed through the actions is reread and every panel equals a fresh reading."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from report_cases import RESOLVE, Desk, build, local
from ticket_service.reports import history_cache
from ticket_service.reports.filters import Filters
from ticket_service.reports.panels import PANELS, compute
from ticket_service.reports.period import resolve_period

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc)


def figures(app, database, first=date(2026, 11, 1), last=date(2026, 12, 9), filters=None) -> dict:
    from ticket_service.runtime import get_ctx

    with app.app_context(), database.reader() as session:
        ctx = get_ctx()
        period = resolve_period("custom", NOW, ctx.policies.organisation.zone, first, last)
        return compute(session, ctx.policies, ctx.calendar, list(PANELS), period, filters or Filters(), NOW)


def live(app, database, **kwargs) -> dict:
    history_cache.enabled = False
    try:
        return figures(app, database, **kwargs)
    finally:
        history_cache.enabled = True


@pytest.fixture(scope="module")
def month(app, database):
    history_cache.forget()
    return build(app, database)


def kept(database) -> dict:
    return next(s.histories for e, s in history_cache._stores.items() if e is database.engine)


def test_kept_histories_give_the_live_figures_before_and_after_a_change(app, database, month):
    from ticket_service.actions import tickets as t
    from ticket_service.actions import workflow as w

    first = figures(app, database)
    assert month["critical"] in kept(database)  # the first request kept what it read
    assert first == live(app, database)
    backlog = next(p for p in first["panels"] if p["panel"] == "backlog")["figures"][0]
    assert backlog["ticket_ids"] == [month["critical"]]

    desk = Desk(app, database)
    desk.do(local("2026-12-01", "10:00"), "n1", t.comment, month["critical"], "Le commutateur est remplacé.")
    desk.do(local("2026-12-01", "10:30"), "n1", w.move, month["critical"], "resolved", **RESOLVE)
    after = figures(app, database)
    assert after == live(app, database)
    assert next(p for p in after["panels"] if p["panel"] == "backlog")["figures"][0]["value"] == 0
    assert after != first
    # The same with a filter and another window, read from the kept rows.
    october = {"first": date(2026, 10, 1), "last": date(2026, 10, 31), "filters": Filters(priority="P4")}
    assert figures(app, database, **october) == live(app, database, **october)
