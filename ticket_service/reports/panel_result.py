"""Named panels, dashboard and knowledge ones, computed the way the page, the API and the CLI all serve them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.clock import iso
from ticket_service.domain.policies import Policies
from ticket_service.reports import knowledge_panels as knowledge
from ticket_service.reports import result_cache, snapshots
from ticket_service.reports.filters import Filters
from ticket_service.reports.panels import PANELS, compute, scopes
from ticket_service.reports.period import Period

ALL = (*PANELS, *knowledge.KNOWLEDGE_PANELS)  # what a view holds: every panel
SHARED = ("effectiveness", "gaps")  # knowledge panels a filtered view takes (in part) from the desk's snapshot


def panels(db: Session, policies: Policies, calendar: BusinessCalendar, names, period: Period, filters: Filters,
           now: datetime, *, compare: bool, window: timedelta, max_age: timedelta | None = None,
           knowledge_age: timedelta | None = None,
           snapshot: snapshots.ServePolicy | None = None) -> tuple[dict, list[dict]]:
    """Return (the dashboard panels' result envelope, the knowledge panels) for ``names``, the history read once.

    With ``snapshot``, a view the refresh job keeps and that costs more than the live budget is read from its last
    refresh (reports/snapshots.py). With ``max_age`` the whole answer is served again on unchanged data
    (reports/result_cache.py); the knowledge panels, slower, are kept on their own for ``knowledge_age``. The
    envelope says when it was computed."""
    names = tuple(names)
    unfiltered = None
    if snapshot is not None and compare:
        kept = snapshots.served(db, snapshots.view_key(policies, period, filters, window), now, snapshot, names)
        if kept is not None:
            result, extra, at = kept
            result["computed_at"], result["refreshed"] = iso(at), True
            return result, extra
        shared = tuple(n for n in names if n in SHARED)
        if shared and filters != Filters():  # what no filter changes: read from the desk's view of the period
            desk = snapshots.served(db, snapshots.view_key(policies, period, Filters(), window), now, snapshot, shared)
            unfiltered = desk[1] if desk is not None else None

    def fresh():
        built = scopes(db, policies, calendar, period, filters, now, compare=compare)
        result = compute(db, policies, calendar, [n for n in names if n in PANELS], period, filters, now,
                         built=built)
        extra = [n for n in names if n in knowledge.KNOWLEDGE_PANELS]
        # The entry holds the policies and calendar it was computed with, so that their ids in the key stay theirs.
        return result, knowledge.compute(db, extra, *built, now, window, knowledge_age, unfiltered) if extra else [], \
            (policies, calendar)

    # The policies and calendar objects are replaced when helpdesk.yml changes: a new key.
    key = ("panels", names, period, filters, compare, window, knowledge_age, id(policies), id(calendar),
           unfiltered is not None)
    (result, extra, _used), at = result_cache.cached(db, key, now, max_age, fresh, result_cache.DASHBOARD_TABLES)
    result["computed_at"] = iso(at)
    return result, extra


def one_panel(db: Session, policies: Policies, calendar: BusinessCalendar, name: str, period: Period,
              filters: Filters, now: datetime, *, compare: bool, window: timedelta,
              max_age: timedelta | None = None, knowledge_age: timedelta | None = None,
              snapshot: snapshots.ServePolicy | None = None) -> dict:
    """Return the panel's result envelope; knowledge panels also need the deflection window."""
    result, extra = panels(db, policies, calendar, [name], period, filters, now, compare=compare, window=window,
                           max_age=max_age, knowledge_age=knowledge_age, snapshot=snapshot)
    if name in knowledge.KNOWLEDGE_PANELS:
        result["panels"] = extra
    return result


def view(db: Session, policies: Policies, calendar: BusinessCalendar, period: Period, filters: Filters,
         now: datetime, window: timedelta) -> tuple[dict, list[dict]]:
    """Return a whole view computed now, every panel with the previous period: what a snapshot holds."""
    result, extra = panels(db, policies, calendar, ALL, period, filters, now, compare=True, window=window)
    result.pop("computed_at", None)
    return result, extra
