"""The ticket state machine: creation, transitions, escalation, resolution rules and auto-close."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import sla
from .context import ARTICLE_ID, Context
from .errors import ApiError
from .models import ArticleLink, Person, Ticket, TicketEvent, TicketLink, utcnow

STATES = ("new", "in_progress", "waiting", "awaiting_approval", "resolved", "closed", "rejected", "cancelled")
OPEN = ("new", "in_progress", "waiting", "awaiting_approval")
STAFF, REQUESTER, SYSTEM = "staff", "requester", "system"

# (from, to) → who may make the move. Everything absent is forbidden (409).
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("new", "in_progress"): frozenset({STAFF}),
    ("new", "waiting"): frozenset({STAFF}),
    ("in_progress", "waiting"): frozenset({STAFF}),
    ("waiting", "in_progress"): frozenset({STAFF, REQUESTER}),  # the requester's reply resumes the work
    ("new", "resolved"): frozenset({STAFF}),
    ("in_progress", "resolved"): frozenset({STAFF}),
    ("waiting", "resolved"): frozenset({STAFF}),
    ("resolved", "closed"): frozenset({REQUESTER, SYSTEM}),  # the requester confirms, or auto-close
    ("resolved", "in_progress"): frozenset({REQUESTER, STAFF}),  # reopen: the fix is refused
    ("awaiting_approval", "new"): frozenset({SYSTEM}),  # approved by quorum
    ("awaiting_approval", "rejected"): frozenset({SYSTEM}),
    ("new", "cancelled"): frozenset({REQUESTER, STAFF}),
    ("in_progress", "cancelled"): frozenset({REQUESTER, STAFF}),
    ("waiting", "cancelled"): frozenset({REQUESTER, STAFF}),
    ("awaiting_approval", "cancelled"): frozenset({REQUESTER, STAFF}),
    # merged duplicates are closed by the system on a technician's request
    ("new", "closed"): frozenset({SYSTEM}),
    ("in_progress", "closed"): frozenset({SYSTEM}),
    ("waiting", "closed"): frozenset({SYSTEM}),
}
NEXT_LEVEL = {"N1": "N2", "N2": "N3"}


def actor_kinds(ticket: Ticket, actor: Person | None) -> set[str]:
    """Return the capacities in which a person acts on a ticket."""
    if actor is None:
        return {SYSTEM}
    kinds = set()
    if actor.role in ("technician", "admin"):
        kinds.add(STAFF)
    if actor.id == ticket.requester_id:
        kinds.add(REQUESTER)
    return kinds


def record(db: Session, ticket: Ticket, actor: Person | None, field: str, old, new, reason: str | None = None,
           now: datetime | None = None) -> None:
    """Append one audit line (who, when, field, old → new)."""
    db.add(TicketEvent(ticket_id=ticket.id, actor_id=actor.id if actor else None, at=now or utcnow(), field=field,
                       old=None if old is None else str(old), new=None if new is None else str(new), reason=reason))


def create_ticket(db: Session, ctx: Context, requester: Person, data: dict, now: datetime | None = None) -> Ticket:
    """Create a ticket with its computed priority, queue and SLA clocks; access requests await approval."""
    now = now or utcnow()
    policies = ctx.policies
    kind = data.get("type", "incident")
    if kind == "access_request" and not data.get("catalogue_item"):
        raise ApiError(422, "invalid_fields", "Choisissez l'accès demandé.", {"catalogue_item": "obligatoire pour une demande d'accès"})
    if kind != "access_request" and data.get("catalogue_item"):
        raise ApiError(422, "invalid_fields", "Seule une demande d'accès vise un élément du catalogue.",
                       {"catalogue_item": "réservé aux demandes d'accès"})
    impact, urgency = data.get("impact", "low"), data.get("urgency", "medium")
    ticket = Ticket(
        requester_id=requester.id, title=data["title"].strip(), description=data["description"].strip(), type=kind,
        category=data.get("category"), catalogue_item=data.get("catalogue_item"), impact=impact, urgency=urgency,
        priority=policies.priority(impact, urgency), status="awaiting_approval" if kind == "access_request" else "new",
        level="N1", group=policies.default_group, help_session_id=data.get("help_session_id"),
        created_at=now, updated_at=now, paused_seconds=0.0,
    )
    sla.compute_dues(ticket, policies, ctx.calendar)
    if ticket.status == "awaiting_approval":
        sla.pause(ticket, now)
    db.add(ticket)
    db.flush()
    record(db, ticket, requester, "status", None, ticket.status, now=now)
    return ticket


def transition(db: Session, ctx: Context, ticket: Ticket, actor: Person | None, to: str, *, reason: str | None = None,
               now: datetime | None = None, **resolution) -> Ticket:
    """Move a ticket to another state, enforcing who may do it and what it requires."""
    now = now or utcnow()
    allowed = TRANSITIONS.get((ticket.status, to))
    if allowed is None:
        raise ApiError(409, "invalid_transition", f"Passage impossible de « {ticket.status} » à « {to} ».")
    if not allowed & actor_kinds(ticket, actor):
        raise ApiError(403, "forbidden", "Vous ne pouvez pas faire ce changement d'état.")
    old = ticket.status
    if to == "resolved":
        _resolve(db, ctx, ticket, actor, now, **resolution)
    elif resolution:
        raise ApiError(400, "unknown_fields", "Ces champs ne servent qu'à la résolution.", {k: "champ non autorisé" for k in resolution})
    if old == "resolved" and to == "in_progress":
        if REQUESTER in actor_kinds(ticket, actor) and not (reason and reason.strip()):
            raise ApiError(422, "invalid_fields", "Dites ce qui ne va pas encore.", {"reason": "obligatoire pour rouvrir"})
        ticket.reopen_count += 1
        ticket.first_contact_resolution = False
        ticket.resolved_at = None
    ticket.status = to
    ticket.updated_at = now
    if to in ("in_progress", "waiting", "resolved") and ticket.first_response_at is None and STAFF in actor_kinds(ticket, actor):
        ticket.first_response_at = now
    if old == "new" and to == "in_progress" and ticket.assignee_id is None and STAFF in actor_kinds(ticket, actor):
        ticket.assignee_id = actor.id  # taking a ticket in hand assigns it
        record(db, ticket, actor, "assignee_id", None, actor.id, now=now)
    if to in sla.RUNNING and old in sla.PAUSED:
        sla.resume(ticket, now, ctx.policies, ctx.calendar)
    elif to in ("waiting", "awaiting_approval"):
        sla.pause(ticket, now)
    if to == "closed":
        ticket.closed_at = now  # FCR was decided at resolution; a merged duplicate has none
    record(db, ticket, actor, "status", old, to, reason, now=now)
    return ticket


def _fcr(ticket: Ticket) -> bool:
    """Resolved at N1, never escalated nor reopened."""
    return ticket.level == "N1" and ticket.escalation_count == 0 and ticket.reopen_count == 0


def _resolve(db: Session, ctx: Context, ticket: Ticket, actor: Person, now: datetime, *, note: str | None = None,
             articles: list[str] | None = None, kb_gap: bool | None = None, resolve_incidents: bool | None = None) -> None:
    """Check the resolution rules, link the articles (with the KB revision) and stop the clock."""
    articles = list(dict.fromkeys(articles or []))
    errors = {}
    if not note or len(note.strip()) < 10:
        errors["note"] = "une note de résolution d'au moins 10 caractères est obligatoire"
    if bool(articles) == bool(kb_gap):
        errors["articles"] = "liez au moins une fiche, ou cochez « aucune fiche : manque dans la base » (kb_gap), pas les deux"
    bad = [a for a in articles if not ARTICLE_ID.match(a)]
    if bad:
        errors["articles"] = "identifiant de fiche invalide : " + ", ".join(bad[:5])
    if resolve_incidents and ticket.type != "problem":
        errors["resolve_incidents"] = "réservé aux problèmes"
    if errors:
        raise ApiError(422, "invalid_fields", "La résolution est incomplète.", errors)
    ticket.resolution_note = note.strip()
    ticket.kb_gap = bool(kb_gap)
    for article in articles:
        link_article(db, ctx, ticket, actor, article, now)
    ticket.resolved_at = now
    ticket.first_contact_resolution = _fcr(ticket)
    sla.resume(ticket, now, ctx.policies, ctx.calendar)  # count a waiting period that ends with the resolution
    sla.pause(ticket, now, keep_due=True)
    if resolve_incidents:
        for incident in open_incidents_of(db, ticket):
            if incident.status in ("new", "in_progress", "waiting"):
                transition(db, ctx, incident, actor, "resolved", reason=f"problème #{ticket.id} résolu", now=now,
                           note=f"Résolu avec le problème #{ticket.id} : {note.strip()}", articles=articles, kb_gap=kb_gap)


def link_article(db: Session, ctx: Context, ticket: Ticket, actor: Person, article_id: str, now: datetime | None = None) -> ArticleLink:
    """Link a KB article to a ticket (once), recording the KB revision of the running build."""
    existing = db.scalar(select(ArticleLink).where(ArticleLink.ticket_id == ticket.id, ArticleLink.article_id == article_id))
    if existing is not None:
        return existing
    link = ArticleLink(ticket_id=ticket.id, article_id=article_id, kb_revision=ctx.kb_revision, created_by=actor.id,
                       created_at=now or utcnow())
    db.add(link)
    record(db, ticket, actor, "article", None, article_id, now=now)
    return link


def open_incidents_of(db: Session, problem: Ticket) -> list[Ticket]:
    """Return the incidents linked to a problem (caused_by) that are still open."""
    rows = db.scalars(select(Ticket).join(TicketLink, TicketLink.source_id == Ticket.id).where(
        TicketLink.target_id == problem.id, TicketLink.kind == "caused_by", Ticket.status.in_(OPEN)).order_by(Ticket.id))
    return list(rows)


def escalate(db: Session, ctx: Context, ticket: Ticket, actor: Person, reason: str, now: datetime | None = None) -> Ticket:
    """Move an open ticket to the next level's group; the reason is mandatory and audited."""
    now = now or utcnow()
    if ticket.status not in ("new", "in_progress", "waiting"):
        raise ApiError(409, "not_open", "Seul un ticket ouvert peut être escaladé.")
    nxt = NEXT_LEVEL.get(ticket.level)
    if nxt is None:
        raise ApiError(409, "top_level", "Le ticket est déjà au niveau N3.")
    old_level, old_group = ticket.level, ticket.group
    ticket.level, ticket.group = nxt, ctx.policies.first_group(nxt)
    ticket.assignee_id = None
    ticket.escalation_count += 1
    ticket.updated_at = now
    record(db, ticket, actor, "level", old_level, nxt, reason, now=now)
    record(db, ticket, actor, "group", old_group, ticket.group, reason, now=now)
    return ticket


def auto_close(db: Session, ctx: Context, now: datetime | None = None) -> list[int]:
    """Close resolved tickets whose requester did not answer within the configured business days."""
    now = now or utcnow()
    closed = []
    # FOR UPDATE: two processes closing at once (PostgreSQL) cannot both close the same ticket.
    for ticket in db.scalars(select(Ticket).where(Ticket.status == "resolved").order_by(Ticket.id).with_for_update()):
        if sla.auto_close_due(ticket.resolved_at, ctx.policies, ctx.calendar) <= now:
            transition(db, ctx, ticket, None, "closed", reason="clôture automatique sans réponse du demandeur", now=now)
            closed.append(ticket.id)
    return closed
