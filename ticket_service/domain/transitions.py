"""The ticket state machine: who may move a ticket where, what each move requires, escalation and auto-close."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain import delays, sla
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Conflict, Forbidden, Malformed, invalid
from ticket_service.domain.events import (
    TicketClosed, TicketEscalated, TicketReopened, TicketResolved, TicketTransitioned, emit,
)
from ticket_service.domain.history import record
from ticket_service.domain.vocabulary import (
    ESCALATION_REASON, NEXT_LEVEL, OPEN, RESOLUTION_NOTE, SELF_RESOLVABLE, STAFF_ROLES, WORKING, fits,
)
from ticket_service.store.models import Person, Ticket, TicketLink, utcnow

STAFF, REQUESTER, SYSTEM, SELF_SERVICE = "staff", "requester", "system", "self_service"

# (from, to) → who may make the move. Everything absent is forbidden (409).
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("new", "in_progress"): frozenset({STAFF}),
    ("new", "waiting"): frozenset({STAFF}),
    ("in_progress", "waiting"): frozenset({STAFF}),
    ("waiting", "in_progress"): frozenset({STAFF, REQUESTER}),  # the requester's reply resumes the work
    # the system resolves too: a monitoring alert's recovery (a note, no article: nobody worked on a fix)
    ("new", "resolved"): frozenset({STAFF, SYSTEM}),
    ("in_progress", "resolved"): frozenset({STAFF, SYSTEM}),
    ("waiting", "resolved"): frozenset({STAFF, SYSTEM}),
    ("resolved", "closed"): frozenset({REQUESTER, SYSTEM}),  # the requester confirms, or auto-close
    ("resolved", "in_progress"): frozenset({REQUESTER, STAFF}),  # reopen: the fix is refused
    ("awaiting_approval", "new"): frozenset({SYSTEM}),  # approved by quorum
    ("awaiting_approval", "rejected"): frozenset({SYSTEM}),
    ("new", "cancelled"): frozenset({REQUESTER, STAFF}),
    ("in_progress", "cancelled"): frozenset({REQUESTER, STAFF}),
    ("waiting", "cancelled"): frozenset({REQUESTER, STAFF}),
    ("awaiting_approval", "cancelled"): frozenset({REQUESTER, STAFF}),
    # merged duplicates are closed by the system on a technician's request; « Finalement c'est résolu » closes a
    # request nobody has taken yet, in the requester's self-service capacity only (never through /transitions)
    ("new", "closed"): frozenset({SYSTEM, SELF_SERVICE}),
    ("in_progress", "closed"): frozenset({SYSTEM}),
    ("waiting", "closed"): frozenset({SYSTEM}),
}


def actor_kinds(ticket: Ticket, actor: Person | None) -> set[str]:
    """Return the capacities in which a person acts on a ticket."""
    if actor is None:
        return {SYSTEM}
    kinds = set()
    if actor.role in STAFF_ROLES:
        kinds.add(STAFF)
    if actor.id == ticket.requester_id:
        kinds.add(REQUESTER)
    return kinds


def transition(db: Session, ctx: Context, ticket: Ticket, actor: Person | None, to: str, *, reason: str | None = None,
               now: datetime | None = None, self_service: bool = False, **resolution) -> Ticket:
    """Move a ticket to another state, enforcing who may do it and what it requires."""
    now = now or utcnow()
    allowed = TRANSITIONS.get((ticket.status, to))
    if allowed is None:
        raise Conflict("invalid_transition", f"Passage impossible de « {ticket.status} » à « {to} ».")
    kinds = actor_kinds(ticket, actor)
    if self_service and REQUESTER in kinds:
        kinds = {SELF_SERVICE}  # the requester's shortcut grants that move alone, nothing a requester has otherwise
    if not allowed & kinds:
        raise Forbidden("forbidden", "Vous ne pouvez pas faire ce changement d'état.")
    old = ticket.status
    if to == "resolved" and kinds == {SYSTEM}:
        _system_resolve(db, ctx, ticket, now, **resolution)
    elif to == "resolved":
        _resolve(db, ctx, ticket, actor, now, **resolution)
    elif SELF_SERVICE in kinds:
        _self_resolve(db, ctx, ticket, actor, now, **resolution)
    elif resolution:
        raise Malformed("unknown_fields", "Ces champs ne servent qu'à la résolution.",
                        {k: "champ non autorisé" for k in resolution})
    if old == "resolved" and to == "in_progress":
        if REQUESTER in kinds and not (reason and reason.strip()):
            raise invalid("Dites ce qui ne va pas encore.", {"reason": "obligatoire pour rouvrir"})
        ticket.reopen_count += 1
        ticket.first_contact_resolution = False
        ticket.resolved_at = None
        emit(db, TicketReopened(ticket.id, _id(actor), now, reason=reason))
    ticket.status = to
    ticket.updated_at = now
    answered = to in ("in_progress", "waiting", "resolved") and ticket.first_response_at is None and STAFF in kinds
    if answered:
        ticket.first_response_at = now
    if answered or to == "resolved" or (to == "closed" and ticket.resolved_at == now):
        delays.settle(db, ticket)  # was the date announced to the requester kept?
    if old == "new" and to == "in_progress" and ticket.assignee_id is None and STAFF in kinds:
        ticket.assignee_id = actor.id  # taking a ticket in hand assigns it
        record(db, ticket, actor, "assignee_id", None, actor.id, now=now)
    if to in sla.RUNNING and old in sla.PAUSED:
        sla.resume(ticket, now, ctx.policies, ctx.calendar)
    elif to in ("waiting", "awaiting_approval"):
        sla.pause(ticket, now)
    if to == "closed":
        ticket.closed_at = now  # FCR was decided at resolution; a merged duplicate has none
        emit(db, TicketClosed(ticket.id, _id(actor), now, reason=reason))
    record(db, ticket, actor, "status", old, to, reason, now=now)
    emit(db, TicketTransitioned(ticket.id, _id(actor), now, old=old, new=to, reason=reason))
    return ticket


def _id(person: Person | None) -> int | None:
    return person.id if person is not None else None


def _fcr(ticket: Ticket) -> bool:
    """Resolved at N1, never escalated nor reopened."""
    return ticket.level == "N1" and ticket.escalation_count == 0 and ticket.reopen_count == 0


def check_articles(ctx: Context, articles: list[str], field: str = "articles") -> dict[str, str]:
    """Return the field error when an article id is not an article of the KB (every channel links through here)."""
    unknown = [a for a in articles if not ctx.article_exists(a)]
    if unknown:
        return {field: "Fiche inconnue de la base : " + ", ".join(unknown[:5])}
    return {}


def _resolve(db: Session, ctx: Context, ticket: Ticket, actor: Person, now: datetime, *, note: str | None = None,
             articles: list[str] | None = None, kb_gap: bool | None = None, resolve_incidents: bool | None = None) -> None:
    """Check the resolution rules, link the articles (with the KB revision) and stop the clock."""
    from ticket_service.domain.tickets import link_article

    articles = list(dict.fromkeys(articles or []))
    errors = {}
    if not fits(note, RESOLUTION_NOTE):
        errors["note"] = "une note de résolution d'au moins 10 caractères est obligatoire"
    if bool(articles) == bool(kb_gap):
        errors["articles"] = "liez au moins une fiche, ou cochez « aucune fiche : manque dans la base » (kb_gap), pas les deux"
    errors.update(check_articles(ctx, articles))
    if resolve_incidents and ticket.type != "problem":
        errors["resolve_incidents"] = "réservé aux problèmes"
    if errors:
        raise invalid("La résolution est incomplète.", errors)
    ticket.resolution_note = note.strip()
    ticket.kb_gap = bool(kb_gap)
    for article in articles:
        link_article(db, ctx, ticket, actor, article, now)
    ticket.resolved_at = now
    ticket.first_contact_resolution = _fcr(ticket)
    sla.resume(ticket, now, ctx.policies, ctx.calendar)  # count a waiting period that ends with the resolution
    sla.pause(ticket, now, keep_due=True)
    emit(db, TicketResolved(ticket.id, _id(actor), now, articles=tuple(articles), kb_gap=bool(kb_gap)))
    if resolve_incidents:
        for incident in open_incidents_of(db, ticket):
            if incident.status in WORKING:
                transition(db, ctx, incident, actor, "resolved", reason=f"problème #{ticket.id} résolu", now=now,
                           note=f"Résolu avec le problème #{ticket.id} : {note.strip()}", articles=articles, kb_gap=kb_gap)


def _system_resolve(db: Session, ctx: Context, ticket: Ticket, now: datetime, *, note: str | None = None) -> None:
    """Resolve as the system (an alert's recovery): a note is required, articles are not (no one chose a fix)."""
    if not fits(note, RESOLUTION_NOTE):
        raise invalid("La résolution est incomplète.",
                      {"note": "une note de résolution d'au moins 10 caractères est obligatoire"})
    ticket.resolution_note = note.strip()
    ticket.kb_gap = False
    ticket.resolved_at = now
    ticket.first_contact_resolution = None  # no technician contact to judge
    sla.resume(ticket, now, ctx.policies, ctx.calendar)
    sla.pause(ticket, now, keep_due=True)
    emit(db, TicketResolved(ticket.id, None, now))


def _self_resolve(db: Session, ctx: Context, ticket: Ticket, actor: Person, now: datetime, *,
                  article: str | None = None) -> None:
    """« Finalement c'est résolu » : the requester closes a request nobody took, optionally with the article that helped."""
    from ticket_service.domain.tickets import link_article

    if ticket.type not in SELF_RESOLVABLE:
        raise Conflict("invalid_transition", "Un technicien a déjà pris la demande en charge : répondez-lui plutôt.")
    if article is not None:
        errors = check_articles(ctx, [article], "article_id")
        if errors:
            raise invalid("Fiche inconnue.", errors)
    ticket.resolution_note = "Résolu par le demandeur" + (f" avec la fiche {article}." if article else ".")
    ticket.resolved_at = now
    ticket.first_contact_resolution = None  # no technician contact to judge
    sla.pause(ticket, now, keep_due=True)
    if article:
        link_article(db, ctx, ticket, actor, article, now)
    emit(db, TicketResolved(ticket.id, actor.id, now, articles=(article,) if article else (), self_service=True))


def self_resolve(db: Session, ctx: Context, ticket: Ticket, actor: Person, article: str | None,
                 now: datetime | None = None) -> Ticket:
    """Close the requester's own untaken request as solved by self-service (audited like every move)."""
    if ticket.requester_id != actor.id:
        raise Forbidden("forbidden", "Seul le demandeur peut déclarer sa demande résolue.")
    if ticket.status != "new":
        raise Conflict("invalid_transition", "Un technicien a déjà pris la demande en charge : répondez-lui plutôt.")
    return transition(db, ctx, ticket, actor, "closed", reason="résolu par le demandeur (libre-service)", now=now,
                      self_service=True, article=article)


def open_incidents_of(db: Session, problem: Ticket) -> list[Ticket]:
    """Return the incidents linked to a problem (caused_by) that are still open."""
    rows = db.scalars(select(Ticket).join(TicketLink, TicketLink.source_id == Ticket.id).where(
        TicketLink.target_id == problem.id, TicketLink.kind == "caused_by", Ticket.status.in_(OPEN)).order_by(Ticket.id))
    return list(rows)


def escalate(db: Session, ctx: Context, ticket: Ticket, actor: Person | None, reason: str,
             now: datetime | None = None) -> Ticket:
    """Move an open ticket to the next level's group (actor None: a rule); the reason is mandatory and audited."""
    now = now or utcnow()
    if not fits(reason, ESCALATION_REASON):
        raise invalid("Motivez l'escalade (10 caractères au moins).",
                      {"reason": f"{ESCALATION_REASON[0]} à {ESCALATION_REASON[1]} caractères"})
    reason = reason.strip()
    if ticket.status not in WORKING:
        raise Conflict("not_open", "Seul un ticket ouvert peut être escaladé.")
    nxt = NEXT_LEVEL.get(ticket.level)
    if nxt is None:
        raise Conflict("top_level", "Le ticket est déjà au niveau N3.")
    old_level, old_group, old_assignee = ticket.level, ticket.group, ticket.assignee_id
    ticket.level, ticket.group = nxt, ctx.policies.first_group(nxt)
    ticket.assignee_id = None  # the next level's group takes it from its queue
    ticket.escalation_count += 1
    ticket.updated_at = now
    record(db, ticket, actor, "level", old_level, nxt, reason, now=now)
    record(db, ticket, actor, "group", old_group, ticket.group, reason, now=now)
    if old_assignee is not None:
        record(db, ticket, actor, "assignee_id", old_assignee, None, reason, now=now)
    emit(db, TicketEscalated(ticket.id, _id(actor), now, from_level=old_level, to_level=nxt, group=ticket.group,
                             reason=reason))
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

