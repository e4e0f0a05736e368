"""Volume: tickets created in the period by category and by type, per week or month, with the trend."""

from __future__ import annotations

from collections import defaultdict

from ticket_service.reports.scope import Scope, figure

WEEKLY_UP_TO_DAYS = 92  # longer periods are counted per month


def bucket_of(scope: Scope, moment) -> str:
    """Return the week (« 2026-W45 », ISO) or month (« 2026-11 ») of an instant in the organisation's zone."""
    local = moment.astimezone(scope.period.zone).date()
    if (scope.period.last_day - scope.period.first_day).days < WEEKLY_UP_TO_DAYS:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


def volume(scope: Scope) -> dict:
    """Count the tickets created in the period, by category, by type and per week or month."""
    created = [tl for tl in scope.timelines if scope.period.since <= tl.created_at < scope.as_of]
    by = {"category": defaultdict(list), "type": defaultdict(list), "bucket": defaultdict(list)}
    for tl in created:
        by["category"][tl.value_at("category", scope.as_of) or ""].append(tl.id)
        by["type"][tl.value_at("type", scope.as_of)].append(tl.id)
        by["bucket"][bucket_of(scope, tl.created_at)].append(tl.id)
    labels = {"category": {**scope.policies.categories, "": "—"}, "type": scope.policies.request_types, "bucket": {}}
    tables = []
    for name in ("category", "type", "bucket"):
        order = sorted(by[name]) if name == "bucket" else sorted(by[name], key=lambda k: (-len(by[name][k]), k))
        tables.append({"key": f"by_{name}", "definition_id": "volume.created", "columns": ["value"], "rows": [
            {"key": k, "label": labels[name].get(k, k), "value": len(by[name][k]), "ticket_ids": sorted(by[name][k])}
            for k in order]})
    return {"panel": "volume", "figures": [figure(scope, "volume.created", len(created), [t.id for t in created])],
            "tables": tables, "chart": {"table": "by_bucket", "kind": "bars"}}
