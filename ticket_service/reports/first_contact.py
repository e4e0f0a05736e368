"""First-contact resolution: resolved with no escalation, group change, reopening, waiting, and at most one reply."""

from __future__ import annotations

from ticket_service.reports.clocks import resolutions_in_period
from ticket_service.reports.scope import Scope, figure, rate

REASONS = ("escalated", "group_changed", "reopened", "waited", "replies")


def misses(tl, at) -> list[str]:
    """Return why a resolution at ``at`` is not a first-contact resolution (empty: it is one)."""
    before = [c for c in tl.changes if c.at < at]
    out = []
    if any(c.field == "level" for c in before):
        out.append("escalated")
    if any(c.field == "group" for c in before):
        out.append("group_changed")
    if any(c.field == "status" and c.old == "resolved" and c.new == "in_progress" for c in before):
        out.append("reopened")
    if any(c.field == "status" and c.new == "waiting" for c in before):
        out.append("waited")
    if sum(1 for when, _ in tl.staff_replies if when < at) > 1:
        out.append("replies")
    return out


def first_contact(scope: Scope) -> dict:
    """Judge each resolution of the period; report the denominator and how many missed for each reason."""
    resolved = resolutions_in_period(scope)
    hits, reasons = [], {r: [] for r in REASONS}
    for tl, at in resolved:
        found = misses(tl, at)
        if not found:
            hits.append(tl.id)
        for reason in found:
            reasons[reason].append(tl.id)
    return {"panel": "fcr", "figures": [
        figure(scope, "fcr.rate", rate(len(hits), len(resolved)), hits, unit="share", numerator=len(hits),
               denominator=len(resolved), denominator_ids=sorted(tl.id for tl, _ in resolved)),
    ], "tables": [{"key": "misses", "definition_id": "fcr.rate", "columns": ["value"], "rows": [
        {"key": r, "label": r, "value": len(ids), "ticket_ids": sorted(ids)} for r, ids in reasons.items()]}]}
