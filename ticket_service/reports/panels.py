"""The dashboard's panels by name, each computed for a period and, for comparison, the period before it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.policies import Policies
from ticket_service.reports.backlog import backlog
from ticket_service.reports.critical import critical
from ticket_service.reports.filters import Filters
from ticket_service.reports.first_contact import first_contact
from ticket_service.reports.levels import levels
from ticket_service.reports.period import Period
from ticket_service.reports.reopens import reopens
from ticket_service.reports.resolution_time import resolution_time
from ticket_service.reports.satisfaction import satisfaction
from ticket_service.reports.scope import Scope, build_scope, build_scopes
from ticket_service.reports.sla_compliance import sla
from ticket_service.reports.volume import volume
from ticket_service.reports.workload import workload

PANELS = {"volume": volume, "backlog": backlog, "sla": sla, "levels": levels, "critical": critical,
          "mttr": resolution_time, "fcr": first_contact, "reopens": reopens, "satisfaction": satisfaction,
          "workload": workload}


def scopes(db: Session, policies: Policies, calendar: BusinessCalendar, period: Period, filters: Filters,
           now: datetime, *, compare: bool = True) -> tuple[Scope, Scope | None]:
    """Return the period's scope and the previous period's (None without comparison), their history read once."""
    if compare:
        scope, before = build_scopes(db, policies, calendar, [period, period.previous()], filters, now)
        return scope, before
    return build_scope(db, policies, calendar, period, filters, now), None


def compute(db: Session, policies: Policies, calendar: BusinessCalendar, names, period: Period, filters: Filters,
            now: datetime, *, compare: bool = True, built: tuple[Scope, Scope | None] | None = None) -> dict:
    """Return the named panels for a period, each figure and table row with the previous period's value beside it."""
    scope, before = built or scopes(db, policies, calendar, period, filters, now, compare=compare)
    return envelope(scope, before, [panel(scope, name, before) for name in names])


def envelope(scope: Scope, before: Scope | None, panels: list[dict]) -> dict:
    """Return computed panels with their period, the previous period, the reading instant and the filters."""
    return {"period": scope.period.as_json(), "previous_period": before.period.as_json() if before else None,
            "as_of": scope.window()["as_of"], "filters": scope.filters.as_json(), "panels": panels}


def panel(scope: Scope, name: str, before: Scope | None = None) -> dict:
    """Compute one panel, with the previous period's values when ``before`` is given."""
    result = PANELS[name](scope)
    if before is not None:
        _attach_previous(result, PANELS[name](before))
    return result


def _attach_previous(result: dict, previous: dict) -> None:
    old = {f["key"]: f["value"] for f in previous["figures"]}
    for fig in result["figures"]:
        fig["previous"] = old.get(fig["key"])
        fig["change"] = _change(fig["value"], fig["previous"])
    rows = {(t["key"], r["key"]): r["value"] for t in previous["tables"] for r in t["rows"]}
    for table in result["tables"]:
        for row in table["rows"]:
            row["previous"] = rows.get((table["key"], row["key"]))


def _change(value, previous):
    if isinstance(value, (int, float)) and isinstance(previous, (int, float)) and not isinstance(value, bool):
        return round(value - previous, 4)
    return None
