"""Demo help sessions for « Ferrand & Associés »: a month of form visits, suggestions, openings and outcomes (idempotent)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.context import Context
from ticket_service.store.models import HelpEvent, Person, Ticket

# What employees type → the articles the index suggests (id, category), best first.
SCENARIOS = [
    ("imprimante hors connexion", [("imprimante-hors-connexion", "impression"), ("bourrage-papier-toner", "impression")]),
    ("mot de passe oublié", [("reinitialiser-mot-de-passe", "comptes-acces"), ("compte-verrouille", "comptes-acces")]),
    ("vpn erreur -7200", [("vpn-forticlient-erreur-credentials", "reseau-vpn"), ("regles-teletravail-vpn", "reseau-vpn")]),
    ("boîte mail pleine", [("boite-aux-lettres-pleine", "messagerie"), ("piece-jointe-trop-volumineuse", "messagerie")]),
    ("outlook ne s'ouvre plus", [("outlook-ne-demarre-pas", "messagerie"), ("outlook-mac-redemande-mot-de-passe", "messagerie")]),
    ("pc très lent", [("poste-lent", "poste-de-travail"), ("espace-disque-plein", "poste-de-travail")]),
    ("onedrive ne synchronise pas", [("onedrive-ne-synchronise-plus", "poste-de-travail")]),
    ("pas de son teams", [("teams-micro-camera", "telephonie-visio"), ("softphone-3cx-pas-de-son", "telephonie-visio")]),
    ("deuxième écran noir", [("ecran-deuxieme-ecran-non-detecte", "poste-de-travail")]),
    ("code pin windows oublié", [("windows-hello-code-pin", "poste-de-travail")]),
    ("nouveau téléphone authenticator", [("nouveau-telephone-authenticator", "comptes-acces")]),
    ("wifi invités code", [("wifi-invites-code", "reseau-vpn")]),
]
UNKNOWN = ["plotter a0 bloqué", "badge parking refusé", "licence autocad expirée", "écran tactile salle fourvière"]
D = "@ferrand-associes.fr"


def load_help_sessions(db: Session, ctx: Context, now: datetime, days: int = 30, count: int = 45) -> int:
    """Create a month of help sessions once (those of the demo tickets, then ``count`` more); return the events added."""
    if db.scalar(select(HelpEvent.id).where(HelpEvent.event_id.like("demo-%"))) is not None:
        return 0
    rng = random.Random(2026)  # same month every time
    rows: list[HelpEvent] = []
    # 1. Every demo ticket an employee created went through the form first: those sessions are « no deflection ».
    employees = {p.id for p in db.scalars(select(Person).where(Person.role.in_(("employee", "approver"))))}
    tickets = db.scalars(select(Ticket).where(Ticket.help_session_id.like("demo-%"), Ticket.type != "problem")
                         .order_by(Ticket.id))
    for n, ticket in enumerate(t for t in tickets if t.requester_id in employees):
        start = ticket.created_at - timedelta(minutes=rng.randrange(4, 30))
        query, articles = _scenario_for(rng, ticket.category)
        events = _shown(ticket.title.lower()[:200], articles, start)
        if articles and rng.random() < 0.6:
            events.append(("article_opened", start + timedelta(minutes=2), {"article_id": articles[0][0],
                                                                          "data": json.dumps({"source": "form"})}))
        events.append(("ticket_created", ticket.created_at, {"ticket_id": ticket.id}))
        rows += _rows(f"demo-t{n:03d}", ticket.requester_id, events)
    # 2. Sessions that ended without a ticket: solved, article read, abandoned, or nothing in the KB for it.
    people = [p.id for p in db.scalars(select(Person).where(Person.email.like(f"%{D}"), Person.role == "employee"))]
    for n in range(count):
        # at least two days ago, so every session's 24 h window is over and its outcome final
        start = (now - timedelta(days=rng.randrange(2, days))).replace(
            hour=rng.choice((8, 9, 10, 11, 14, 15, 16)), minute=rng.randrange(60), second=0, microsecond=0)
        person = rng.choice(people) if people and rng.random() < 0.7 else None  # some never sign in
        rows += _rows(f"demo-s{n:03d}", person, _session(rng, start))
        for k in range(rng.randrange(2, 7)):  # article pages read outside the form (self-service score)
            at = start + timedelta(hours=rng.randrange(1, 40))
            rows.append(HelpEvent(event_id=f"demo-s{n:03d}-v{k}", session_id=f"demo-visit-{n:03d}", type="page_view",
                                  at=at, received_at=at, article_id=rng.choice(rng.choice(SCENARIOS)[1])[0]))
    db.add_all(rows)
    db.flush()
    return len(rows)


def _scenario_for(rng: random.Random, category: str | None):
    matching = [s for s in SCENARIOS if s[1][0][1] == category]
    return rng.choice(matching) if matching else ("", [])


def _shown(query: str, articles, at: datetime) -> list:
    shown = [{"id": a, "rank": r, "score": round(0.9 - 0.15 * r, 2), "category": c} for r, (a, c) in enumerate(articles, 1)]
    return [("suggestions_shown", at, {"query": query, "data": json.dumps({"suggestions": shown, "abstained": not shown})})]


def _rows(session: str, person: int | None, events: list) -> list[HelpEvent]:
    return [HelpEvent(event_id=f"{session}-e{i}", session_id=session, person_id=person, type=kind, at=at, received_at=at,
                      **fields) for i, (kind, at, fields) in enumerate(events)]


def _session(rng: random.Random, start: datetime) -> list:
    """Return the events of one session that ends without a ticket."""
    minute = timedelta(minutes=1)
    if rng.random() < 0.1:  # nothing in the KB for this: an unsuccessful search
        return _shown(rng.choice(UNKNOWN), [], start)
    query, articles = rng.choice(SCENARIOS)
    events = _shown(query, articles, start)
    roll = rng.random()
    top = articles[0][0] if rng.random() < 0.8 else articles[-1][0]
    if roll < 0.8:
        events.append(("article_opened", start + 2 * minute, {"article_id": top, "data": json.dumps({"source": "form"})}))
    if roll < 0.5:
        events.append(("solved", start + 6 * minute, {"article_id": top, "data": json.dumps({"source": "form"})}))
        if rng.random() < 0.5:
            events.append(("page_feedback", start + 7 * minute, {"article_id": top, "data": json.dumps({"helpful": True})}))
    elif roll < 0.8 and rng.random() < 0.4:
        events.append(("page_feedback", start + 5 * minute, {"article_id": top, "data": json.dumps(
            {"helpful": False, "reason": "Les captures ne correspondent pas à mon écran"})}))
    return events
