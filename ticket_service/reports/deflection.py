"""Load the raw events and tickets for a period, compute the deflection figures, render them (table, CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.domain.clock import iso
from ticket_service.domain.deflection import Event, TicketFact, compute
from ticket_service.domain.vocabulary import DONE
from ticket_service.store.models import ArticleLink, HelpEvent, Ticket, utcnow

LABELS = {
    "sessions": "Sessions d'aide", "sessions_with_suggestions": "… avec fiches proposées",
    "confirmed": "Évitements confirmés", "potential": "Évitements potentiels", "none": "Pas d'évitement",
    "no_outcome": "Sans suite", "provisional": "Fenêtre encore ouverte", "deflection_rate": "Taux d'évitement",
    "confirmed_rate": "Taux d'évitement confirmé", "kb_page_views": "Consultations de fiches",
    "tickets_created": "Demandes créées", "self_service_score": "Score de libre-service",
}


def deflection_report(db: Session, *, since: datetime | None = None, until: datetime | None = None,
                      window_hours: float = 24, now: datetime | None = None) -> dict:
    """Compute the report for sessions started in [since, until) (default: the last 30 days)."""
    now = now or utcnow()
    until = until or now
    since = since or until - timedelta(days=30)
    window = timedelta(hours=window_hours)
    # Events of sessions that started in the period may run a little past it; tickets up to the window's end.
    rows = db.scalars(select(HelpEvent).where(HelpEvent.at >= since, HelpEvent.at < until + timedelta(days=1)))
    events = [Event(e.session_id, e.type, e.at, e.person_id, e.article_id, e.query, e.ticket_id,
                    json.loads(e.data) if e.data else {}, e.event_id) for e in rows]
    tickets = [TicketFact(t.id, t.requester_id, t.created_at, t.help_session_id, t.type)
               for t in db.scalars(select(Ticket).where(Ticket.created_at >= since,
                                                        Ticket.created_at <= until + timedelta(days=1) + window))]
    resolved = dict(db.execute(
        select(ArticleLink.article_id, func.count(func.distinct(ArticleLink.ticket_id)))
        .join(Ticket, Ticket.id == ArticleLink.ticket_id)
        .where(Ticket.status.in_(DONE), Ticket.resolved_at >= since, Ticket.resolved_at < until)
        .group_by(ArticleLink.article_id)).all())
    return compute(events, tickets, since=since, until=until, window=window, now=now, resolved_with=resolved)


def to_json(report: dict) -> dict:
    """Make the report JSON-ready (ISO dates)."""
    return {**report, "period": {k: iso(v) for k, v in report["period"].items()}}


def _value(value) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}".replace(".", ",") if isinstance(value, float) and value <= 1 else (
        f"{value:.2f}".replace(".", ",") if isinstance(value, float) else str(value))


def render_table(report: dict) -> str:
    """Return the report as plain-text tables, every figure followed by its definition."""
    period = report["period"]
    out = [f"Évitement des demandes — sessions du {period['since']:%d/%m/%Y %H:%M} au {period['until']:%d/%m/%Y %H:%M} UTC, "
           f"fenêtre {report['window_hours']} h", ""]
    for fig in report["figures"]:
        value = fig["value"]
        shown = _value(value) if fig["key"] != "self_service_score" or value is None else f"{value:.2f}".replace(".", ",")
        out.append(f"{LABELS[fig['key']]:<28} {shown:>8}   {fig['definition']}")
    out += ["", "Entonnoir par fiche (" + " ; ".join(f"{k} = {v}" for k, v in report["article_columns"].items()) + ")"]
    columns = list(report["article_columns"])
    out.append(f"{'fiche':<44}" + "".join(f"{c:>18}" for c in columns))
    for row in report["articles"][:25]:
        out.append(f"{row['article_id'][:43]:<44}" + "".join(f"{row[c]:>18}" for c in columns))
    for title, key in (("Par catégorie (catégorie de la première fiche proposée)", "by_category"),
                       ("Par semaine ISO (début de session)", "by_week")):
        out += ["", title, f"{'groupe':<30}{'sessions':>10}{'proposées':>11}{'confirmés':>11}{'potentiels':>11}"
                f"{'pas évité':>11}{'taux':>9}{'confirmé':>10}"]
        for g in report[key]:
            out.append(f"{g['group'][:29]:<30}{g['sessions']:>10}{g['sessions_with_suggestions']:>11}{g['confirmed']:>11}"
                       f"{g['potential']:>11}{g['none']:>11}{_value(g['deflection_rate']):>9}{_value(g['confirmed_rate']):>10}")
    out += ["", report["unsuccessful_definition"], f"{'requête normalisée':<50}{'sessions':>10}{'sans fiche':>12}{'fiche puis demande':>20}"]
    for row in report["unsuccessful_searches"]:
        out.append(f"{row['query'][:49]:<50}{row['sessions']:>10}{row['no_suggestion']:>12}{row['ticket_after_suggestions']:>20}")
    return "\n".join(out)


def render_csv(report: dict) -> str:
    """Return one CSV: section, key, value, definition — every row self-describing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "key", "value", "definition", "window_hours", "since", "until"])
    period = to_json(report)["period"]
    common = [report["window_hours"], period["since"], period["until"]]
    for fig in report["figures"]:
        writer.writerow(["figure", fig["key"], fig["value"], fig["definition"], *common])
    for row in report["articles"]:
        for column, definition in report["article_columns"].items():
            writer.writerow([f"article:{row['article_id']}", column, row[column], definition, *common])
    for key in ("by_category", "by_week"):
        for g in report[key]:
            for name in ("sessions", "confirmed", "potential", "none", "deflection_rate", "confirmed_rate"):
                writer.writerow([f"{key}:{g['group']}", name, g[name], report["figures"][0]["definition"] if name == "sessions"
                                 else next(f["definition"] for f in report["figures"] if f["key"] == name), *common])
    for row in report["unsuccessful_searches"]:
        writer.writerow([f"unsuccessful:{row['query']}", "sessions", row["sessions"], report["unsuccessful_definition"], *common])
    return buffer.getvalue()
