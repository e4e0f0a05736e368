"""The monthly summary's key figures: last month's, each with the month before, from the dashboard's own code."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.policies import Policies
from ticket_service.reports import knowledge_panels as knowledge
from ticket_service.reports.filters import Filters
from ticket_service.reports.panels import compute, scopes
from ticket_service.reports.period import resolve_period

PANELS = ("sla", "mttr", "fcr", "satisfaction", "volume", "backlog")
# The figures the mail shows, in its order: (panel, figure key).
KEYS = (("sla", "sla.first_response"), ("sla", "sla.resolution"), ("mttr", "mttr.mean"), ("mttr", "mttr.median"),
        ("fcr", "fcr.rate"), ("satisfaction", "csat.average"), ("volume", "volume.created"),
        ("backlog", "backlog.open"), ("effectiveness", "deflection.deflection_rate"))
TOP_GAPS = 3


def key_figures(db: Session, policies: Policies, calendar: BusinessCalendar, now: datetime,
                window: timedelta) -> dict:
    """Return last month's (as of ``now``) key figures with the previous month's, and its top knowledge gaps."""
    period = resolve_period("last_month", now, policies.organisation.zone)
    built = scopes(db, policies, calendar, period, Filters(), now)
    result = compute(db, policies, calendar, list(PANELS), period, Filters(), now, built=built)
    extra = knowledge.compute(db, ["effectiveness", "gaps"], *built, now, window)
    figures = {(p["panel"], f["key"]): f for p in [*result["panels"], *extra] for f in p["figures"]}
    gaps = next(p for p in extra if p["panel"] == "gaps")
    rows = [{"kind": t["key"], "label": r["label"], "value": r["value"]} for t in gaps["tables"] for r in t["rows"]]
    rows.sort(key=lambda r: -r["value"])  # stable: searches before tickets at equal counts
    return {"period": result["period"], "previous_period": result["previous_period"],
            "figures": [{"key": key, "unit": figures[(panel, key)]["unit"], "value": figures[(panel, key)]["value"],
                         "previous": figures[(panel, key)].get("previous")} for panel, key in KEYS],
            "gaps": rows[:TOP_GAPS]}
