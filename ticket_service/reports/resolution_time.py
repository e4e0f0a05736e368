"""Time to resolve (MTTR): mean, median and p90 in business hours net of pauses, by priority and by category."""

from __future__ import annotations

from collections import defaultdict

from ticket_service.reports.clocks import elapsed_to, resolutions_in_period
from ticket_service.reports.scope import Scope, figure
from ticket_service.reports.timeline import median, percentile


def _stats(hours: list[float]) -> dict:
    return {"mean": _round(sum(hours) / len(hours)) if hours else None, "median": _round(median(hours)),
            "p90": _round(percentile(hours, 0.9)), "count": len(hours)}


def _round(value):
    return round(value, 2) if value is not None else None


def resolution_time(scope: Scope) -> dict:
    """Measure created → resolved for every ticket resolved in the period."""
    hours, by = {}, {"priority": defaultdict(list), "category": defaultdict(list)}
    for tl, at in resolutions_in_period(scope):
        hours[tl.id] = elapsed_to(scope, tl, at) / 3600
        for name in by:
            by[name][tl.value_at(name, scope.as_of) or ""].append(tl.id)
    overall = _stats(list(hours.values()))
    labels = {"priority": {}, "category": {**scope.policies.categories, "": "—"}}
    tables = []
    for name in by:
        rows = []
        for key in sorted(by[name]):
            stats = _stats([hours[i] for i in by[name][key]])
            rows.append({"key": key, "label": labels[name].get(key, key), "value": stats["mean"], **stats,
                         "ticket_ids": sorted(by[name][key])})
        tables.append({"key": f"by_{name}", "definition_id": "mttr.mean", "columns": ["mean", "median", "p90", "count"],
                       "rows": rows})
    ids = list(hours)
    return {"panel": "mttr", "figures": [
        figure(scope, "mttr.mean", overall["mean"], ids, unit="business_hours", denominator=len(ids)),
        figure(scope, "mttr.median", overall["median"], ids, unit="business_hours", denominator=len(ids)),
        figure(scope, "mttr.p90", overall["p90"], ids, unit="business_hours", denominator=len(ids)),
    ], "tables": tables, "chart": {"table": "by_priority", "kind": "bars", "unit": "business_hours"},
        "hours": {str(k): round(v, 4) for k, v in sorted(hours.items())}}
