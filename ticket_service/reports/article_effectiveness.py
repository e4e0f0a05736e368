"""Deflection and article effectiveness for the period: DESIGN §3.5's figures as they stand, with each fiche's funnel."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.deflection import ARTICLE_COLUMNS
from ticket_service.domain.vocabulary import DONE
from ticket_service.reports.deflection import deflection_report
from ticket_service.reports.scope import Scope, figure
from ticket_service.store.models import ArticleLink, Ticket

SHARES = frozenset({"deflection_rate", "confirmed_rate"})


def resolved_with(db: Session, scope: Scope) -> dict[str, list[int]]:
    """Return, per fiche, the tickets resolved or closed in the period with it linked (its « resolved_with »)."""
    rows = db.execute(select(ArticleLink.article_id, ArticleLink.ticket_id).join(Ticket, Ticket.id == ArticleLink.ticket_id)
                      .where(Ticket.status.in_(DONE), Ticket.resolved_at >= scope.period.since,
                             Ticket.resolved_at < scope.as_of))
    out: dict[str, set[int]] = {}
    for article, ticket in rows:
        out.setdefault(article, set()).add(ticket)
    return {a: sorted(ids) for a, ids in out.items()}


def effectiveness(db: Session, scope: Scope, window: timedelta, now: datetime) -> dict:
    """Return the deflection funnel and rates of the sessions started in the period, and each fiche's row."""
    report = deflection_report(db, since=scope.period.since, until=scope.as_of, window_hours=window.total_seconds() / 3600,
                               now=now, zone=scope.period.zone, memo=scope.memo)
    tickets = resolved_with(db, scope)
    figures = [figure(scope, f"deflection.{f['key']}", f["value"], unit="share" if f["key"] in SHARES else
                      "score" if f["key"] == "self_service_score" else "count") for f in report["figures"]]
    rows = [{"key": r["article_id"], "label": r["article_id"], "value": r["shown"],
             **{c: r[c] for c in ARTICLE_COLUMNS}, "ticket_ids": tickets.get(r["article_id"], [])}
            for r in report["articles"]]
    return {"panel": "effectiveness", "figures": figures, "window_hours": report["window_hours"], "tables": [
        {"key": "articles", "definition_id": "deflection.articles", "columns": list(ARTICLE_COLUMNS), "rows": rows}]}
