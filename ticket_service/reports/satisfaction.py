"""Satisfaction: average rating, distribution, response rate (ratings ÷ surveys sent) and the latest comments."""

from __future__ import annotations

from ticket_service.reports.scope import Scope, figure, rate

LATEST = 5


def first_resolution(tl):
    """Return the ticket's first resolution, by the desk or by the requester."""
    moments = [m for m in (*tl.resolutions(), tl.self_resolution()) if m is not None]
    return min(moments) if moments else None


def satisfaction(scope: Scope) -> dict:
    """Survey the tickets first resolved in the period (merged duplicates excepted) and read their ratings."""
    sent = [] if not scope.policies.satisfaction_enabled else [
        tl for tl in scope.timelines if not tl.merged and (at := first_resolution(tl)) is not None
        and scope.period.since <= at < scope.as_of]
    rated = [tl for tl in sent if tl.rating is not None and (tl.rated_at is None or tl.rated_at < scope.as_of)]
    average = round(sum(tl.rating for tl in rated) / len(rated), 2) if rated else None
    comments = sorted((tl for tl in rated if (tl.rating_comment or "").strip()),
                      key=lambda tl: (tl.rated_at or tl.created_at, tl.id), reverse=True)[:LATEST]
    return {"panel": "satisfaction", "figures": [
        figure(scope, "csat.average", average, [tl.id for tl in rated], unit="rating", denominator=len(rated)),
        figure(scope, "csat.response_rate", rate(len(rated), len(sent)), [tl.id for tl in rated], unit="share",
               numerator=len(rated), denominator=len(sent)),
    ], "tables": [
        {"key": "distribution", "definition_id": "csat.average", "columns": ["value"], "rows": [
            {"key": str(n), "label": str(n), "value": sum(1 for tl in rated if tl.rating == n),
             "ticket_ids": sorted(tl.id for tl in rated if tl.rating == n)} for n in (1, 2, 3, 4, 5)]},
        {"key": "comments", "definition_id": "csat.average", "columns": ["value", "comment"], "rows": [
            {"key": str(tl.id), "label": f"#{tl.id}", "value": tl.rating, "comment": tl.rating_comment.strip(),
             "ticket_ids": [tl.id]} for tl in comments]},
    ], "chart": {"table": "distribution", "kind": "bars"}}
