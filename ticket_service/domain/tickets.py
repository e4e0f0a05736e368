"""Ticket rules outside the state machine: creation, replies, edits, links, merges, ratings, publication."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.domain import approvals, catalogue, delays, sla
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Conflict, Forbidden, Invalid, invalid, not_found
from ticket_service.domain.events import (
    ArticleLinked, AttachmentAdded, CommentAdded, IncidentJoined, IncidentPublished, SatisfactionRated, TicketCreated,
    TicketMerged, TicketsLinked, TicketUpdated, emit,
)
from ticket_service.domain.following import is_merged
from ticket_service.domain.history import record
from ticket_service.domain.transitions import STAFF, actor_kinds, check_articles, transition
from ticket_service.domain.vocabulary import (
    COMMENT, DESCRIPTION, DONE, ENDED, LINK_KINDS, OPEN, PUBLIC_TEXT, PUBLIC_TITLE, RETYPABLE, STAFF_ROLES, TITLE,
    WORKING, fits,
)
from ticket_service.store.models import (
    ArticleLink, Attachment, Comment, IncidentFollower, Person, Ticket, TicketLink, utcnow,
)


def create_ticket(db: Session, ctx: Context, requester: Person, data: dict, now: datetime | None = None,
                  channel: str = "api") -> Ticket:
    """Create a ticket with its computed priority, queue and SLA clocks; access requests await approval."""
    now = now or utcnow()
    policies = ctx.policies
    item, kind = catalogue.item_for(policies, data)
    errors = {}
    if not fits(data.get("title"), TITLE):
        errors["title"] = f"{TITLE[0]} à {TITLE[1]} caractères"
    if not fits(data.get("description"), DESCRIPTION):
        errors["description"] = f"{DESCRIPTION[0]} à {DESCRIPTION[1]} caractères"
    answers = None
    if item is not None:  # every field at fault is named at once, with the title's and the description's
        try:
            answers = catalogue.check_answers(item, data.get("item_fields"), catalogue.today_for(policies, now))
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise invalid("Certains champs sont invalides.", errors)
    approvals.check_someone_can_approve(db, ctx, item, requester)
    impact, urgency = data.get("impact", "low"), data.get("urgency", "medium")
    # An item may fix its priority (a new screen is never urgent); otherwise the impact × urgency matrix decides.
    priority = item.priority if item is not None and item.priority else policies.priority(impact, urgency)
    category = data.get("category") or (item.category if item is not None else None)
    ticket = Ticket(
        requester_id=requester.id, title=data["title"].strip(), description=data["description"].strip(), type=kind,
        category=category, catalogue_item=item.id if item is not None else None, item_fields=answers or None,
        impact=impact, urgency=urgency,
        priority=priority, status="awaiting_approval" if kind == "access_request" else "new",
        level="N1", group=policies.default_group, help_session_id=data.get("help_session_id"), channel=channel,
        created_at=now, updated_at=now, paused_seconds=0.0,
    )
    sla.compute_dues(ticket, policies, ctx.calendar)
    if ticket.status == "awaiting_approval":
        sla.pause(ticket, now)
    db.add(ticket)
    db.flush()
    record(db, ticket, requester, "status", None, ticket.status, now=now)
    emit(db, TicketCreated(ticket.id, requester.id, now, type=kind, priority=ticket.priority, channel=channel))
    return ticket


def may_write(ticket: Ticket, person: Person, *, internal: bool = False) -> None:
    """Refuse anyone but staff and the requester a reply or a file on a ticket (approvers decide, they don't write)."""
    staff = STAFF in actor_kinds(ticket, person)
    if internal and not staff:
        raise Forbidden("forbidden", "Seuls les techniciens écrivent des notes internes.")
    if ticket.status in ENDED:
        raise Conflict("ticket_closed", "Ce ticket est clos : ouvrez une nouvelle demande.")
    if not staff and ticket.requester_id != person.id:
        raise Forbidden("forbidden", "Seul le demandeur répond sur son ticket.")


def add_comment(db: Session, ctx: Context, ticket: Ticket, author: Person, body: str, *, internal: bool = False,
                now: datetime | None = None) -> Comment:
    """Add a reply or an internal note; the requester's reply resumes a waiting ticket and reopens a resolved one."""
    now = now or utcnow()
    staff = STAFF in actor_kinds(ticket, author)
    if not fits(body or "", COMMENT):
        raise invalid("Le message est vide ou trop long.", {"body": "1 à 10 000 caractères"})
    may_write(ticket, author, internal=internal)
    comment = Comment(ticket_id=ticket.id, author_id=author.id, body=body, internal=internal, created_at=now)
    db.add(comment)
    by_requester = not internal and ticket.requester_id == author.id and not staff
    if by_requester:
        if ticket.status == "waiting":
            transition(db, ctx, ticket, author, "in_progress", reason="réponse du demandeur", now=now)
        elif ticket.status == "resolved":
            transition(db, ctx, ticket, author, "in_progress", reason=body[:500], now=now)
    elif staff and not internal and ticket.first_response_at is None:
        ticket.first_response_at = now
        delays.settle(db, ticket)  # was the first response announced to the requester kept?
    ticket.updated_at = now
    db.flush()
    emit(db, CommentAdded(ticket.id, author.id, now, comment_id=comment.id, internal=internal, by_requester=by_requester))
    return comment


def attachment_allowed(db: Session, ticket: Ticket, person: Person, limit: int, *, internal: bool = False) -> None:
    """Refuse a file from someone who may not write on the ticket, or past the per-ticket count."""
    may_write(ticket, person, internal=internal)
    count = db.scalar(select(func.count()).select_from(Attachment).where(Attachment.ticket_id == ticket.id))
    if count >= limit:
        raise Conflict("too_many_attachments", f"Au plus {limit} pièces jointes par ticket.")


def attachment_added(db: Session, ticket: Ticket, person: Person, attachment: Attachment,
                     now: datetime | None = None) -> None:
    """Record a stored file in the history and as an event."""
    now = now or utcnow()
    record(db, ticket, person, "attachment", None, attachment.filename, now=now)
    db.flush()
    emit(db, AttachmentAdded(ticket.id, person.id, now, attachment_id=attachment.id, internal=attachment.internal))


def update_ticket(db: Session, ctx: Context, ticket: Ticket, actor: Person | None, changes: dict,
                  now: datetime | None = None, reason: str | None = None) -> Ticket:
    """Change text, category, impact, urgency, assignee, group (same level) or type; the priority and SLA follow.

    ``actor`` None is the system (an automation rule, whose ``reason`` the history keeps).
    """
    now = now or utcnow()
    if ticket.status in ENDED:
        raise Conflict("ticket_closed", "Un ticket clos ne se modifie plus.")
    policies = ctx.policies
    checks = {"title": lambda v: fits(v, TITLE), "description": lambda v: fits(v, DESCRIPTION),
              "category": lambda v: v is None or v in policies.categories, "impact": lambda v: v in policies.impact,
              "urgency": lambda v: v in policies.urgency, "group": lambda v: v in policies.groups,
              "assignee_id": lambda v: True, "type": lambda v: v in RETYPABLE}
    bad = {k: "valeur non autorisée" for k, v in changes.items() if k not in checks or not checks[k](v)}
    if bad:
        raise invalid("Certains champs sont invalides.", bad)
    if changes.get("assignee_id") is not None:
        assignee = db.get(Person, changes["assignee_id"])
        if assignee is None or not assignee.active or assignee.role not in STAFF_ROLES:
            raise invalid("Assigné invalide.", {"assignee_id": "doit être un technicien actif"})
    if "group" in changes and policies.groups[changes["group"]].level != ticket.level:
        raise invalid("Changer de niveau passe par une escalade motivée.",
                      {"group": "groupe d'un autre niveau : utilisez /escalations"})
    if "type" in changes and changes["type"] != ticket.type and ticket.type == "access_request":
        raise Conflict("not_retypable", "Une demande d'accès garde son type (catalogue et validations).")
    changed = []
    for name, value in changes.items():
        old = getattr(ticket, name)
        if old != value:
            setattr(ticket, name, value)
            record(db, ticket, actor, name, old, value, reason, now=now)
            changed.append(name)
    new_priority = policies.priority(ticket.impact, ticket.urgency)
    if new_priority != ticket.priority:
        record(db, ticket, actor, "priority", ticket.priority, new_priority, reason, now=now)
        ticket.priority = new_priority
        changed.append("priority")
        if ticket.waiting_since is None:
            sla.compute_dues(ticket, policies, ctx.calendar)
    ticket.updated_at = now
    if changed:
        emit(db, TicketUpdated(ticket.id, actor.id if actor else None, now, changed=tuple(changed)))
    return ticket


def link_article(db: Session, ctx: Context, ticket: Ticket, actor: Person, article_id: str,
                 now: datetime | None = None) -> ArticleLink:
    """Link a KB article to a ticket (once), recording the KB revision of the running build."""
    errors = check_articles(ctx, [article_id], "article_id")
    if errors:
        raise invalid("Fiche inconnue.", errors)
    existing = db.scalar(select(ArticleLink).where(ArticleLink.ticket_id == ticket.id, ArticleLink.article_id == article_id))
    if existing is not None:
        return existing
    now = now or utcnow()
    link = ArticleLink(ticket_id=ticket.id, article_id=article_id, kb_revision=ctx.kb_revision, created_by=actor.id,
                       created_at=now)
    db.add(link)
    record(db, ticket, actor, "article", None, article_id, now=now)
    emit(db, ArticleLinked(ticket.id, actor.id, now, article_id=article_id, kb_revision=link.kb_revision))
    return link


def link_tickets(db: Session, ticket: Ticket, target: Ticket, kind: str, actor: Person,
                 now: datetime | None = None) -> TicketLink:
    """Link a ticket to another (duplicate_of, caused_by → a problem, related), once."""
    if kind not in LINK_KINDS:
        raise invalid("Type de lien inconnu.", {"kind": "duplicate_of, caused_by ou related"})
    if target.id == ticket.id:
        raise invalid("Un ticket ne se lie pas à lui-même.", {"target_id": "même ticket"})
    if kind == "caused_by" and target.type != "problem":
        raise invalid("La cause doit être un problème.", {"target_id": "pas un problème"})
    if db.scalar(select(TicketLink).where(TicketLink.source_id == ticket.id, TicketLink.target_id == target.id,
                                          TicketLink.kind == kind)):
        raise Conflict("already_linked", "Ce lien existe déjà.")
    now = now or utcnow()
    link = TicketLink(source_id=ticket.id, target_id=target.id, kind=kind, created_by=actor.id, created_at=now)
    db.add(link)
    record(db, ticket, actor, kind, None, target.id, now=now)
    emit(db, TicketsLinked(ticket.id, actor.id, now, kind=kind, target_id=target.id))
    return link


def merge(db: Session, ctx: Context, ticket: Ticket, target: Ticket, actor: Person, now: datetime | None = None) -> Ticket:
    """Mark a ticket duplicate of another and close it (both open)."""
    if ticket.status not in WORKING or target.status in ENDED:
        raise Conflict("not_open", "Les deux tickets doivent être ouverts.")
    now = now or utcnow()
    link_tickets(db, ticket, target, "duplicate_of", actor, now)
    transition(db, ctx, ticket, None, "closed", reason=f"fusionné avec #{target.id} par {actor.name}", now=now)
    emit(db, TicketMerged(ticket.id, actor.id, now, into=target.id))
    return ticket


def survey_offered(ctx: Context, ticket: Ticket) -> bool:
    """True when the requester is asked to rate: the survey is on, the ticket was resolved (not merged), not rated yet."""
    return (ctx.policies.satisfaction_enabled and ticket.status in DONE and not is_merged(ticket)
            and ticket.satisfaction_rating is None)


def rate(db: Session, ctx: Context, ticket: Ticket, person: Person, rating: int, comment: str | None,
         now: datetime | None = None) -> Ticket:
    """Record the requester's satisfaction (1–5, once) on a resolved or closed ticket."""
    if ticket.requester_id != person.id:
        raise Forbidden("forbidden", "Seul le demandeur évalue son ticket.")
    if not ctx.policies.satisfaction_enabled:
        raise Conflict("survey_disabled", "L'enquête de satisfaction est désactivée.")
    if ticket.status not in DONE:
        raise Conflict("not_resolved", "Vous pourrez évaluer le ticket une fois résolu.")
    if is_merged(ticket):
        raise Conflict("merged", "Cette demande a été regroupée avec une autre : personne n'y a travaillé, rien à évaluer.")
    if ticket.satisfaction_rating is not None:
        raise Conflict("already_rated", "Vous avez déjà évalué ce ticket.")
    if rating not in (1, 2, 3, 4, 5):
        raise invalid("Note de 1 à 5.", {"rating": "1 à 5"})
    now = now or utcnow()
    ticket.satisfaction_rating, ticket.satisfaction_comment = rating, comment
    record(db, ticket, person, "satisfaction_rating", None, rating, now=now)
    emit(db, SatisfactionRated(ticket.id, person.id, now, rating=rating))
    return ticket


def publish(db: Session, ticket: Ticket, actor: Person, values: dict, now: datetime | None = None) -> Ticket:
    """Publish (or withdraw) an incident: the public title and text are all employees see of it."""
    if ticket.type not in ("incident", "problem"):
        raise Conflict("not_an_incident", "Seuls les incidents et problèmes se publient.")
    if values.get("published", True):
        if not fits(values.get("public_title"), PUBLIC_TITLE) or not fits(values.get("public_text"), PUBLIC_TEXT):
            raise invalid("Titre et texte publics obligatoires.",
                          {"public_title": "3 à 200 caractères", "public_text": "3 à 5 000 caractères"})
    now = now or utcnow()
    for name in ("public_title", "public_text", "major", "published"):
        if name not in values:
            continue
        if getattr(ticket, name) != values[name]:
            record(db, ticket, actor, name, getattr(ticket, name), values[name], now=now)
            setattr(ticket, name, values[name])
    emit(db, IncidentPublished(ticket.id, actor.id, now, published=bool(ticket.published), major=bool(ticket.major)))
    return ticket


def join_incident(db: Session, ticket: Ticket | None, person: Person, now: datetime | None = None) -> bool:
    """Add an employee to a published open incident (« moi aussi »); False when they had already joined."""
    if ticket is None or not ticket.published or ticket.status not in OPEN:
        raise not_found()
    existing = db.scalar(select(IncidentFollower).where(IncidentFollower.ticket_id == ticket.id,
                                                        IncidentFollower.person_id == person.id))
    if existing is not None:
        return False
    now = now or utcnow()
    db.add(IncidentFollower(ticket_id=ticket.id, person_id=person.id, created_at=now))
    emit(db, IncidentJoined(ticket.id, person.id, now, person_id=person.id))
    return True
