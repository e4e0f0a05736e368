"""Recurring incidents: clusters of similar incidents created in the period and not yet linked to a problem."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.reports.clusters import MAX_TEXTS, TICKET_FLOOR, star_clusters
from ticket_service.reports.scope import Scope, figure
from ticket_service.store.models import Ticket, TicketLink

EXAMPLES = 3  # texts shown per cluster


def texts_of(db: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Return each ticket's (title, description)."""
    out = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        out.update({i: (t, d) for i, t, d in db.execute(
            select(Ticket.id, Ticket.title, Ticket.description).where(Ticket.id.in_(part)))})
    return out


def linked_to_problem(db: Session, ids: list[int]) -> set[int]:
    """Return the tickets among ``ids`` already linked to a problem (caused_by)."""
    out = set()
    for chunk in range(0, len(ids), 500):
        out.update(db.scalars(select(TicketLink.source_id).where(
            TicketLink.kind == "caused_by", TicketLink.source_id.in_(ids[chunk:chunk + 500]))))
    return out


def recurring(db: Session, scope: Scope) -> dict:
    """Cluster the period's incidents (type at the end of the period, not merged, no problem yet) by their text."""
    created = [tl for tl in scope.timelines if scope.period.since <= tl.created_at < scope.as_of and not tl.merged
               and tl.value_at("type", scope.as_of) == "incident"]
    ids = [tl.id for tl in sorted(created, key=lambda t: t.created_at, reverse=True)]
    linked = linked_to_problem(db, ids)
    ids = [i for i in ids if i not in linked][:MAX_TEXTS]
    texts = texts_of(db, ids)
    clusters = star_clusters([(str(i), "\n".join(texts[i])) for i in ids], TICKET_FLOOR)
    rows = []
    for c in clusters:
        members = [int(k) for k in c.keys]
        rows.append({"key": str(members[0]), "label": texts[members[0]][0], "value": c.size,
                     "examples": [texts[i][0] for i in members[:EXAMPLES]], "ticket_ids": sorted(members),
                     "scores": c.scores})
    grouped = [i for r in rows for i in r["ticket_ids"]]
    return {"panel": "recurring", "figures": [
        figure(scope, "recurring.clusters", len(rows), grouped),
        figure(scope, "recurring.incidents", len(grouped), grouped, numerator=len(grouped), denominator=len(ids)),
    ], "tables": [{"key": "clusters", "definition_id": "recurring.clusters", "columns": ["value"], "rows": rows}]}
