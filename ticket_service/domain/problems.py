"""Problem management (ITIL): a problem ticket opened for recurring incidents, each linked to it (caused_by)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session

from ticket_service.domain import tickets
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Forbidden, invalid
from ticket_service.domain.vocabulary import DESCRIPTION, STAFF_ROLES, TITLE
from ticket_service.store.models import Person, Ticket

IMPACT_ORDER = ("low", "medium", "high")
MAX_INCIDENTS = 100  # one cluster of the dashboard; more is a bulk link at the desk


def default_title(incidents: list[Ticket]) -> str:
    """Return « Incidents récurrents : <the first incident's title> », cut to the title's limit."""
    title = f"Incidents récurrents : {incidents[0].title}" if incidents else "Incidents récurrents"
    return title[:TITLE[1]]


def open_problem(db: Session, ctx: Context, actor: Person, incidents: list[Ticket], title: str | None,
                 now: datetime) -> Ticket:
    """Create a problem for these incidents (staff only) and link each to it; its category and impact are theirs."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("forbidden", "Seuls les techniciens et les administrateurs ouvrent un problème.")
    if not 1 <= len(incidents) <= MAX_INCIDENTS:
        raise invalid("Choisissez les incidents du problème.", {"ticket_ids": f"1 à {MAX_INCIDENTS} incidents"})
    others = [t.id for t in incidents if t.type != "incident"]
    if others:
        raise invalid("Un problème regroupe des incidents.",
                      {"ticket_ids": "pas des incidents : " + ", ".join(f"#{i}" for i in others)})
    title = (title or "").strip() or default_title(incidents)
    categories = Counter(t.category for t in incidents if t.category)
    impact = max((t.impact for t in incidents if t.impact in IMPACT_ORDER), key=IMPACT_ORDER.index, default="low")
    listed = "\n".join(f"- #{t.id} {t.title}" for t in incidents)
    problem = tickets.create_ticket(db, ctx, actor, {
        "type": "problem", "title": title, "impact": impact, "urgency": "medium",
        "category": categories.most_common(1)[0][0] if categories else None,
        "description": f"Incidents récurrents regroupés depuis le pilotage ({len(incidents)}) :\n{listed}"[:DESCRIPTION[1]],
    }, now=now, channel="web")
    for incident in incidents:
        tickets.link_tickets(db, incident, problem, "caused_by", actor, now=now)
    return problem
