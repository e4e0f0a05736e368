"""Support levels: where tickets were resolved (N1, N2, N3), the escalation rate, and self-service closures."""

from __future__ import annotations

from ticket_service.domain.vocabulary import LEVELS
from ticket_service.reports.clocks import resolutions_in_period
from ticket_service.reports.scope import Scope, figure, rate


def levels(scope: Scope) -> dict:
    """Split the period's resolutions by the level at resolution; count those escalated first."""
    resolved = resolutions_in_period(scope)
    at_level = {level: [] for level in LEVELS}
    escalated = []
    for tl, at in resolved:
        at_level[tl.value_at("level", at)].append(tl.id)
        if tl.escalations_before(at):
            escalated.append(tl.id)
    self_service = [tl.id for tl in scope.timelines if scope.period.contains(tl.self_resolution())
                    and tl.self_resolution() < scope.as_of]
    total = len(resolved)
    return {"panel": "levels", "figures": [
        figure(scope, "levels.resolved", total, [tl.id for tl, _ in resolved]),
        figure(scope, "levels.escalation_rate", rate(len(escalated), total), escalated, unit="share",
               numerator=len(escalated), denominator=total),
        figure(scope, "levels.self_service", len(self_service), self_service),
    ], "tables": [{"key": "by_level", "definition_id": "levels.resolved", "columns": ["value", "share"], "rows": [
        {"key": level, "label": level, "value": len(ids), "share": rate(len(ids), total), "ticket_ids": sorted(ids)}
        for level, ids in at_level.items()]}], "chart": {"table": "by_level", "kind": "bars"}}
