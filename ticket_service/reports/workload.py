"""Technician workload: open tickets assigned at the end of the period, resolutions and public replies in it."""

from __future__ import annotations

from collections import defaultdict

from ticket_service.reports.scope import Scope, figure


def workload(scope: Scope) -> dict:
    """Count, per technician, the open tickets assigned to them, the resolutions they made and their replies."""
    open_, resolved, replies = defaultdict(list), defaultdict(list), defaultdict(int)
    for tl in scope.timelines:
        if tl.is_open_at(scope.as_of) and (who := tl.value_at("assignee_id", scope.as_of)):
            open_[who].append(tl.id)
        for c in tl.status_changes():
            if c.new == "resolved" and c.actor_id and scope.period.since <= c.at < scope.as_of:
                resolved[c.actor_id].append(tl.id)
        for at, author in tl.staff_replies:
            if scope.period.since <= at < scope.as_of:
                replies[author] += 1
    people = sorted(set(open_) | set(resolved) | set(replies), key=lambda p: (-len(open_[p]), scope.people.get(p, "")))
    rows = [{"key": str(p), "label": scope.people.get(p, f"#{p}"), "value": len(open_[p]), "resolved": len(resolved[p]),
             "replies": replies[p], "ticket_ids": sorted(open_[p])} for p in people]
    assigned = [i for ids in open_.values() for i in ids]
    return {"panel": "workload", "figures": [figure(scope, "workload.open", len(assigned), assigned)],
            "tables": [{"key": "by_technician", "definition_id": "workload.open",
                        "columns": ["value", "resolved", "replies"], "rows": rows}],
            "chart": {"table": "by_technician", "kind": "bars"}}
