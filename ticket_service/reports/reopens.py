"""Reopen rate: resolutions of the period followed by a reopening within N days."""

from __future__ import annotations

from datetime import timedelta

from ticket_service.reports.scope import Scope, figure, rate

REOPEN_DAYS = 7


def reopens(scope: Scope, days: int = REOPEN_DAYS) -> dict:
    """Count the desk's resolutions in the period and those reopened within ``days`` (before the period's end)."""
    resolutions, reopened, by_requester, provisional = [], [], [], []
    for tl in scope.timelines:
        backs = tl.reopens()
        for at in tl.resolutions():
            if not (scope.period.since <= at < scope.as_of):
                continue
            resolutions.append(tl.id)
            back = next((c for c in backs if at < c.at <= at + timedelta(days=days) and c.at < scope.as_of), None)
            if back is not None:
                reopened.append(tl.id)
                if back.actor_id == tl.requester_id:
                    by_requester.append(tl.id)
            elif at + timedelta(days=days) > scope.as_of:
                provisional.append(tl.id)
    return {"panel": "reopens", "figures": [
        figure(scope, "reopen.rate", rate(len(reopened), len(resolutions)), reopened, unit="share",
               numerator=len(reopened), denominator=len(resolutions), window_days=days,
               refused_by_requester=len(by_requester), still_open_window=len(provisional)),
    ], "tables": []}
