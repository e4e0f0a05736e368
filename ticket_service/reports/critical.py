"""Critical incidents open at the end of the period: P1 or major, with their age and the people attached."""

from __future__ import annotations

from ticket_service.reports.clocks import elapsed_to
from ticket_service.reports.scope import Scope, figure


def critical(scope: Scope) -> dict:
    """List the open P1 or major tickets, oldest first, with requester, assignee and followers."""
    rows = []
    for tl in scope.timelines:
        if not tl.is_open_at(scope.as_of):
            continue
        priority, major = tl.value_at("priority", scope.as_of), bool(tl.value_at("major", scope.as_of))
        if priority != "P1" and not major:
            continue
        assignee = tl.value_at("assignee_id", scope.as_of)
        rows.append({"key": str(tl.id), "label": f"#{tl.id} {tl.title}", "value": round(
            (scope.as_of - tl.created_at).total_seconds() / 3600, 2), "priority": priority, "major": major,
            "business_hours": round(elapsed_to(scope, tl, scope.as_of) / 3600, 2),
            "status": tl.value_at("status", scope.as_of), "requester": scope.people.get(tl.requester_id),
            "assignee": scope.people.get(assignee) if assignee else None, "followers": tl.followers,
            "ticket_ids": [tl.id]})
    rows.sort(key=lambda r: -r["value"])
    return {"panel": "critical", "figures": [figure(scope, "critical.open", len(rows), [int(r["key"]) for r in rows])],
            "tables": [{"key": "open", "definition_id": "critical.open",
                        "columns": ["value", "business_hours", "priority", "major", "status", "requester", "assignee",
                                    "followers"], "rows": rows}]}
