"""The clocks the figures read: business seconds net of pauses, to a first response, a resolution or a provider's exit."""

from __future__ import annotations

from datetime import datetime

from ticket_service.reports.scope import Scope
from ticket_service.reports.timeline import Timeline, net_business_seconds


def resolutions_in_period(scope: Scope) -> list[tuple[Timeline, datetime]]:
    """Return each ticket resolved by the desk in the period with its last resolution, when it still stood at the end."""
    if "resolutions" not in scope.memo:
        out = []
        for tl in scope.timelines:
            at = tl.last_resolution_standing(scope.period.since, scope.as_of)
            if at is not None:
                out.append((tl, at))
        scope.memo["resolutions"] = out
    return list(scope.memo["resolutions"])


def targets(scope: Scope, tl: Timeline) -> dict[str, float]:
    """Return the ticket's targets in business seconds (priority at the end of the period, catalogue override)."""
    key = ("targets", tl.id)
    if key not in scope.memo:
        row = scope.policies.targets(tl.value_at("priority", scope.as_of), tl.catalogue_item)
        scope.memo[key] = {"first_response": row["first_response"] * 3600, "resolution": row["resolution"] * 3600}
    return dict(scope.memo[key])


def elapsed_to(scope: Scope, tl: Timeline, end: datetime) -> float:
    """Return the business seconds of the requester's calendar from creation to ``end``, pauses before ``end`` deducted."""
    key = ("elapsed", tl.id, end)
    if key not in scope.memo:
        scope.memo[key] = net_business_seconds(scope.calendar, tl.created_at, end, tl.pauses(end))
    return scope.memo[key]


def first_response_end(scope: Scope, tl: Timeline) -> datetime | None:
    """Return the first response instant when it came before the end of the period."""
    at = tl.first_response_at
    return at if at is not None and at < scope.as_of else None


def seconds_with(scope: Scope, tl: Timeline, group_id: str, end: datetime) -> float:
    """Return the business seconds, on the group's own calendar, the ticket spent in that group before ``end``."""
    cal = scope.calendar_of(group_id)
    pauses = tl.pauses(end)
    return sum(net_business_seconds(cal, a, b, pauses) for a, b in tl.intervals_in_group(group_id, end))
