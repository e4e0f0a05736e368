"""Knowledge gaps: clusters of unsuccessful searches and of tickets resolved with no fiche, each a fiche to write."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.vocabulary import DONE
from ticket_service.reports.clocks import resolutions_in_period
from ticket_service.reports.deflection import help_inputs, sessions_of
from ticket_service.reports.clusters import MAX_TEXTS, SEARCH_FLOOR, TICKET_FLOOR, star_clusters
from ticket_service.reports.recurring_incidents import EXAMPLES, texts_of
from ticket_service.reports.scope import Scope, figure
from ticket_service.store.models import ArticleLink, Ticket


def unsuccessful_sessions(db: Session, scope: Scope, window: timedelta, now: datetime) -> list[tuple[str, str, list[int]]]:
    """Return (session, last query, its tickets) of the help sessions started in the period that found nothing.

    Unsuccessful: a query typed, no fiche opened from the form, no « résolu », then a ticket within the window or
    nothing at all once the window has passed (abandonment); an abstention (nothing shown) counts.
    """
    since, until = scope.period.since, scope.as_of
    events, facts = help_inputs(db, since, until, window, scope.memo)  # the effectiveness panel's, when it ran
    made = {}
    for e in events:
        if e.type == "ticket_created" and e.ticket_id:
            made.setdefault(e.session_id, set()).add(e.ticket_id)
    for t in facts:
        if t.help_session_id:
            made.setdefault(t.help_session_id, set()).add(t.id)
    out = []
    for s in sessions_of(since, until, window, now, events, facts, scope.memo):
        if not since <= s.start < until or not (s.query or "").strip() or s.opened or s.solved:
            continue
        if s.outcome == "none" or (s.outcome == "no_outcome" and not s.provisional):
            out.append((s.session_id, s.query.strip(), sorted(made.get(s.session_id, ()))))
    return out


def without_fiche(db: Session, scope: Scope) -> list[int]:
    """Return the tickets resolved in the period (resolution standing at its end) with no fiche linked."""
    resolved = [tl.id for tl, _at in resolutions_in_period(scope)]
    linked = set()
    for chunk in range(0, len(resolved), 500):
        linked.update(db.scalars(select(ArticleLink.ticket_id).where(ArticleLink.ticket_id.in_(resolved[chunk:chunk + 500]))))
    return [i for i in resolved if i not in linked]


def draftable(db: Session, ids: list[int]) -> int | None:
    """Return the first ticket among ``ids`` a fiche can be drafted from (resolved, with its note), else None."""
    if not ids:
        return None
    rows = dict(db.execute(select(Ticket.id, Ticket.resolution_note).where(Ticket.id.in_(ids), Ticket.status.in_(DONE))).all())
    return next((i for i in ids if rows.get(i)), None)


def search_part(db: Session, scope: Scope, window: timedelta, now: datetime) -> tuple[dict, dict]:
    """Return the unsuccessful searches' figure and clusters: help sessions only, so the same under any filter."""
    searches = unsuccessful_sessions(db, scope, window, now)
    recent = searches[-MAX_TEXTS:]
    by_session = {sid: (query, ids) for sid, query, ids in recent}
    rows = []
    for c in star_clusters([(sid, query) for sid, query, _ in recent], SEARCH_FLOOR):
        tickets = sorted({i for k in c.keys for i in by_session[k][1]})
        examples = list(dict.fromkeys(by_session[k][0] for k in c.keys))[:EXAMPLES]
        rows.append({"key": c.keys[0], "label": by_session[c.keys[0]][0], "value": c.size,
                     "examples": examples, "ticket_ids": tickets, "draft_from": draftable(db, tickets)})
    searched = sorted({i for _s, _q, ids in searches for i in ids})
    return (figure(scope, "gaps.searches", len(searches), searched),
            {"key": "search_clusters", "definition_id": "gaps.searches", "columns": ["value"], "rows": rows})


def gaps(db: Session, scope: Scope, window: timedelta, now: datetime,
         searches: tuple[dict, dict] | None = None) -> dict:
    """Cluster the unsuccessful searches (or take ``searches``, ``search_part`` of the same period) and the tickets
    resolved without a fiche."""
    search_figure, search_table = searches if searches is not None else search_part(db, scope, window, now)
    missing = without_fiche(db, scope)
    texts = texts_of(db, missing[-MAX_TEXTS:])
    ticket_rows = []
    for c in star_clusters([(str(i), "\n".join(texts[i])) for i in missing[-MAX_TEXTS:]], TICKET_FLOOR):
        members = [int(k) for k in c.keys]
        ticket_rows.append({"key": str(members[0]), "label": texts[members[0]][0], "value": c.size,
                            "examples": [texts[i][0] for i in members[:EXAMPLES]], "ticket_ids": sorted(members),
                            "draft_from": draftable(db, members)})
    return {"panel": "gaps", "figures": [search_figure, figure(scope, "gaps.no_fiche", len(missing), missing)],
            "tables": [search_table, {"key": "ticket_clusters", "definition_id": "gaps.no_fiche", "columns": ["value"],
                                      "rows": ticket_rows}]}
