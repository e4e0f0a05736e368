"""One named panel, dashboard or knowledge, computed the way the API and the CLI both serve it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.policies import Policies
from ticket_service.reports import knowledge_panels as knowledge
from ticket_service.reports.filters import Filters
from ticket_service.reports.panels import compute, envelope, scopes
from ticket_service.reports.period import Period


def one_panel(db: Session, policies: Policies, calendar: BusinessCalendar, name: str, period: Period,
              filters: Filters, now: datetime, *, compare: bool, window: timedelta,
              max_age: timedelta | None = None) -> dict:
    """Return the panel's result envelope; knowledge panels also need the deflection window (and may be kept ``max_age``)."""
    if name in knowledge.KNOWLEDGE_PANELS:
        scope, before = scopes(db, policies, calendar, period, filters, now, compare=compare)
        return envelope(scope, before, knowledge.compute(db, [name], scope, before, now, window, max_age))
    return compute(db, policies, calendar, [name], period, filters, now, compare=compare)
