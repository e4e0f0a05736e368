"""Backlog: tickets open at the end of the period, and how old they are."""

from __future__ import annotations

from ticket_service.reports.scope import Scope, figure
from ticket_service.reports.timeline import median

# Age buckets in calendar days: [low, high).
AGES = (("lt1", 0, 1), ("1to3", 1, 3), ("3to7", 3, 7), ("7to30", 7, 30), ("ge30", 30, None))
AGE_LABELS = {"lt1": "< 1 j", "1to3": "1 à 3 j", "3to7": "3 à 7 j", "7to30": "7 à 30 j", "ge30": "≥ 30 j"}


def backlog(scope: Scope) -> dict:
    """Count the open tickets at ``as_of``, by age bucket and by priority, with the median age."""
    open_ = [tl for tl in scope.timelines if tl.is_open_at(scope.as_of)]
    ages = {tl.id: (scope.as_of - tl.created_at).total_seconds() / 86400 for tl in open_}
    rows = []
    for key, low, high in AGES:
        ids = [i for i, age in ages.items() if age >= low and (high is None or age < high)]
        rows.append({"key": key, "label": AGE_LABELS[key], "value": len(ids), "ticket_ids": sorted(ids)})
    by_priority = {}
    for tl in open_:
        by_priority.setdefault(tl.value_at("priority", scope.as_of), []).append(tl.id)
    middle = median(list(ages.values()))
    return {"panel": "backlog", "figures": [
        figure(scope, "backlog.open", len(open_), ages),
        figure(scope, "backlog.median_age", round(middle, 2) if middle is not None else None, ages, unit="days"),
    ], "tables": [
        {"key": "by_age", "definition_id": "backlog.open", "columns": ["value"], "rows": rows},
        {"key": "by_priority", "definition_id": "backlog.open", "columns": ["value"], "rows": [
            {"key": p, "label": p, "value": len(ids), "ticket_ids": sorted(ids)} for p, ids in sorted(by_priority.items())]},
    ], "chart": {"table": "by_age", "kind": "bars"}}
