"""SLA compliance: first response and resolution by priority and group, providers' OLA, and the tickets breached."""

from __future__ import annotations

from collections import defaultdict

from ticket_service.reports.clocks import (
    elapsed_to, first_response_end, resolutions_in_period, seconds_with, targets,
)
from ticket_service.reports.scope import Scope, figure, rate


def _row(key: str, label: str, met: list[int], breached: list[int]) -> dict:
    total = len(met) + len(breached)
    return {"key": key, "label": label, "value": rate(len(met), total), "met": len(met), "breached": len(breached),
            "total": total, "ticket_ids": sorted(met + breached), "breached_ids": sorted(breached)}


def first_response_outcome(scope: Scope, tl) -> str | None:
    """Return « met » or « breached » when the first response was decided in the period (answered, or the target
    crossed with no answer), None when it was decided before, is still pending, or was never needed."""
    since, target = scope.period.since, targets(scope, tl)["first_response"]
    end = first_response_end(scope, tl)
    if end is not None and end < since:
        return None  # answered before the period
    if tl.created_at < since and elapsed_to(scope, tl, since) > target:
        return None  # crossed its target, unanswered, before the period
    if end is not None:
        return "met" if elapsed_to(scope, tl, end) <= target else "breached"
    if not tl.is_open_at(scope.as_of):
        return None  # ended with no technician's answer (self-service, cancelled, merged): nothing to judge
    return "breached" if elapsed_to(scope, tl, scope.as_of) > target else None


def sla(scope: Scope) -> dict:
    """Judge every ticket created (first response) or resolved (resolution) in the period against its targets."""
    first = {"met": [], "breached": []}
    for tl in scope.timelines:
        outcome = first_response_outcome(scope, tl)
        if outcome is not None:
            first[outcome].append(tl.id)
    by = {"priority": defaultdict(lambda: ([], [])), "group": defaultdict(lambda: ([], []))}
    met, breached, providers = [], [], defaultdict(lambda: ([], []))
    for tl, at in resolutions_in_period(scope):
        ok = elapsed_to(scope, tl, at) <= targets(scope, tl)["resolution"]
        (met if ok else breached).append(tl.id)
        for name in by:
            by[name][tl.value_at(name, scope.as_of)][0 if ok else 1].append(tl.id)
        for gid, group in scope.policies.groups.items():
            if group.provider and tl.intervals_in_group(gid, at):
                target = group.ola.get(tl.value_at("priority", scope.as_of), targets(scope, tl)["resolution"] / 3600)
                providers[gid][0 if seconds_with(scope, tl, gid, at) <= target * 3600 else 1].append(tl.id)
    still_open = [tl.id for tl in scope.timelines if tl.is_open_at(scope.as_of)
                  and elapsed_to(scope, tl, scope.as_of) > targets(scope, tl)["resolution"]]
    groups = {gid: g.name for gid, g in scope.policies.groups.items()}
    fr_total = len(first["met"]) + len(first["breached"])
    return {"panel": "sla", "figures": [
        figure(scope, "sla.first_response", rate(len(first["met"]), fr_total), first["met"] + first["breached"],
               unit="share", numerator=len(first["met"]), denominator=fr_total, breached_ids=sorted(first["breached"])),
        figure(scope, "sla.resolution", rate(len(met), len(met) + len(breached)), met + breached, unit="share",
               numerator=len(met), denominator=len(met) + len(breached), breached_ids=sorted(breached)),
        figure(scope, "sla.open_breached", len(still_open), still_open),
    ], "tables": [
        {"key": "by_priority", "definition_id": "sla.resolution", "columns": ["value", "met", "breached", "total"],
         "rows": [_row(k, k, *v) for k, v in sorted(by["priority"].items())]},
        {"key": "by_group", "definition_id": "sla.resolution", "columns": ["value", "met", "breached", "total"],
         "rows": [_row(k, groups.get(k, k), *v) for k, v in sorted(by["group"].items())]},
        {"key": "by_provider", "definition_id": "sla.ola", "columns": ["value", "met", "breached", "total"],
         "rows": [_row(k, groups.get(k, k), *v) for k, v in sorted(providers.items())]},
        {"key": "breached", "definition_id": "sla.resolution", "columns": ["value"],
         "rows": [{"key": str(i), "label": f"#{i}", "value": 1, "ticket_ids": [i]} for i in sorted(breached)]},
    ], "chart": {"table": "by_priority", "kind": "bars", "unit": "share"}}
