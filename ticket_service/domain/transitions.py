"""The ticket state machine: creation, transitions, escalation, resolution rules and auto-close."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain import sla
from ticket_service.domain.context import ARTICLE_ID, Context
from ticket_service.domain.errors import Conflict, Forbidden, Invalid, Malformed
from ticket_service.store.models import ArticleLink, Person, Ticket, TicketEvent, TicketLink, utcnow

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
        raise Invalid("invalid_fields", "Choisissez l'accès demandé.", {"catalogue_item": "obligatoire pour une demande d'accès"})
    if kind != "access_request" and data.get("catalogue_item"):
        raise Invalid("invalid_fields", "Seule une demande d'accès vise un élément du catalogue.",
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
        raise Conflict("invalid_transition", f"Passage impossible de « {ticket.status} » à « {to} ».")
    if not allowed & actor_kinds(ticket, actor):
        raise Forbidden("forbidden", "Vous ne pouvez pas faire ce changement d'état.")
    old = ticket.status
    if to == "resolved":
        _resolve(db, ctx, ticket, actor, now, **resolution)
    elif resolution:
        raise Malformed("unknown_fields", "Ces champs ne servent qu'à la résolution.", {k: "champ non autorisé" for k in resolution})
    if old == "resolved" and to == "in_progress":
        if REQUESTER in actor_kinds(ticket, actor) and not (reason and reason.strip()):
            raise Invalid("invalid_fields", "Dites ce qui ne va pas encore.", {"reason": "obligatoire pour rouvrir"})
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
        raise Invalid("invalid_fields", "La résolution est incomplète.", errors)
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
        raise Conflict("not_open", "Seul un ticket ouvert peut être escaladé.")
    nxt = NEXT_LEVEL.get(ticket.level)
    if nxt is None:
        raise Conflict("top_level", "Le ticket est déjà au niveau N3.")
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


# --- Ticket actions shared by the JSON API views and the desk and portal pages (issue 6): one copy of each rule.
# Texts are stored as the caller gives them: the API keeps what the client sent, the pages trim their form fields.
CLOSED_STATES = ("closed", "rejected", "cancelled")
RETYPABLE = ("incident", "problem", "service_request")  # access requests carry a catalogue item and approvals


def add_comment(db: Session, ctx: Context, ticket: Ticket, author: Person, body: str, *, internal: bool = False,
                now: datetime | None = None):
    """Add a reply or an internal note; the requester's reply resumes a waiting ticket and reopens a resolved one."""
    from ticket_service.store.models import Comment

    now = now or utcnow()
    staff = STAFF in actor_kinds(ticket, author)
    if not (body or "").strip() or len(body) > 10_000:
        raise Invalid("invalid_fields", "Le message est vide ou trop long.", {"body": "1 à 10 000 caractères"})
    if internal and not staff:
        raise Forbidden("forbidden", "Seuls les techniciens écrivent des notes internes.")
    if ticket.status in CLOSED_STATES:
        raise Conflict("ticket_closed", "Ce ticket est clos : ouvrez une nouvelle demande.")
    if not internal and not staff and ticket.requester_id != author.id:
        raise Forbidden("forbidden", "Seul le demandeur répond sur son ticket.")
    comment = Comment(ticket_id=ticket.id, author_id=author.id, body=body, internal=internal, created_at=now)
    db.add(comment)
    if not internal and ticket.requester_id == author.id and not staff:
        if ticket.status == "waiting":
            transition(db, ctx, ticket, author, "in_progress", reason="réponse du demandeur", now=now)
        elif ticket.status == "resolved":
            transition(db, ctx, ticket, author, "in_progress", reason=body[:500], now=now)
    elif staff and not internal and ticket.first_response_at is None:
        ticket.first_response_at = now
    ticket.updated_at = now
    db.flush()
    return comment


def update_ticket(db: Session, ctx: Context, ticket: Ticket, actor: Person, changes: dict, now: datetime | None = None) -> Ticket:
    """Change text, category, impact, urgency, assignee, group (same level) or type; the priority and SLA follow."""
    now = now or utcnow()
    if ticket.status in CLOSED_STATES:
        raise Conflict("ticket_closed", "Un ticket clos ne se modifie plus.")
    policies = ctx.policies
    checks = {"title": lambda v: _text_fits(v, 3, 200), "description": lambda v: _text_fits(v, 3, 10_000),
              "category": lambda v: v is None or v in policies.categories, "impact": lambda v: v in policies.impact,
              "urgency": lambda v: v in policies.urgency, "group": lambda v: v in policies.groups,
              "assignee_id": lambda v: True, "type": lambda v: v in RETYPABLE}
    bad = {k: "valeur non autorisée" for k, v in changes.items() if k not in checks or not checks[k](v)}
    if bad:
        raise Invalid("invalid_fields", "Certains champs sont invalides.", bad)
    if changes.get("assignee_id") is not None:
        assignee = db.get(Person, changes["assignee_id"])
        if assignee is None or not assignee.active or assignee.role not in ("technician", "admin"):
            raise Invalid("invalid_fields", "Assigné invalide.", {"assignee_id": "doit être un technicien actif"})
    if "group" in changes and policies.groups[changes["group"]].level != ticket.level:
        raise Invalid("invalid_fields", "Changer de niveau passe par une escalade motivée.",
                       {"group": "groupe d'un autre niveau : utilisez /escalations"})
    if "type" in changes and changes["type"] != ticket.type and ticket.type == "access_request":
        raise Conflict("not_retypable", "Une demande d'accès garde son type (catalogue et validations).")
    for name, value in changes.items():
        old = getattr(ticket, name)
        if old != value:
            setattr(ticket, name, value)
            record(db, ticket, actor, name, old, value, now=now)
    new_priority = policies.priority(ticket.impact, ticket.urgency)
    if new_priority != ticket.priority:
        record(db, ticket, actor, "priority", ticket.priority, new_priority, now=now)
        ticket.priority = new_priority
        if ticket.waiting_since is None:
            sla.compute_dues(ticket, policies, ctx.calendar)
    ticket.updated_at = now
    return ticket


def link_tickets(db: Session, ticket: Ticket, target: Ticket, kind: str, actor: Person) -> TicketLink:
    """Link a ticket to another (duplicate_of, caused_by → a problem, related), once."""
    if kind not in ("duplicate_of", "caused_by", "related"):
        raise Invalid("invalid_fields", "Type de lien inconnu.", {"kind": "duplicate_of, caused_by ou related"})
    if target.id == ticket.id:
        raise Invalid("invalid_fields", "Un ticket ne se lie pas à lui-même.", {"target_id": "même ticket"})
    if kind == "caused_by" and target.type != "problem":
        raise Invalid("invalid_fields", "La cause doit être un problème.", {"target_id": "pas un problème"})
    if db.scalar(select(TicketLink).where(TicketLink.source_id == ticket.id, TicketLink.target_id == target.id,
                                          TicketLink.kind == kind)):
        raise Conflict("already_linked", "Ce lien existe déjà.")
    link = TicketLink(source_id=ticket.id, target_id=target.id, kind=kind, created_by=actor.id)
    db.add(link)
    record(db, ticket, actor, kind, None, target.id)
    return link


def merge(db: Session, ctx: Context, ticket: Ticket, target: Ticket, actor: Person) -> Ticket:
    """Mark a ticket duplicate of another and close it (both open)."""
    if ticket.status not in ("new", "in_progress", "waiting") or target.status in CLOSED_STATES:
        raise Conflict("not_open", "Les deux tickets doivent être ouverts.")
    link_tickets(db, ticket, target, "duplicate_of", actor)
    return transition(db, ctx, ticket, None, "closed", reason=f"fusionné avec #{target.id} par {actor.name}")


def rate(db: Session, ctx: Context, ticket: Ticket, person: Person, rating: int, comment: str | None) -> Ticket:
    """Record the requester's satisfaction (1–5, once) on a resolved or closed ticket."""
    if ticket.requester_id != person.id:
        raise Forbidden("forbidden", "Seul le demandeur évalue son ticket.")
    if not ctx.policies.satisfaction_enabled:
        raise Conflict("survey_disabled", "L'enquête de satisfaction est désactivée.")
    if ticket.status not in ("resolved", "closed"):
        raise Conflict("not_resolved", "Vous pourrez évaluer le ticket une fois résolu.")
    if ticket.satisfaction_rating is not None:
        raise Conflict("already_rated", "Vous avez déjà évalué ce ticket.")
    if rating not in (1, 2, 3, 4, 5):
        raise Invalid("invalid_fields", "Note de 1 à 5.", {"rating": "1 à 5"})
    ticket.satisfaction_rating, ticket.satisfaction_comment = rating, comment
    record(db, ticket, person, "satisfaction_rating", None, rating)
    return ticket


def publish(db: Session, ticket: Ticket, actor: Person, values: dict, now: datetime | None = None) -> Ticket:
    """Publish (or withdraw) an incident: the public title and text are all employees see of it."""
    if ticket.type not in ("incident", "problem"):
        raise Conflict("not_an_incident", "Seuls les incidents et problèmes se publient.")
    if values.get("published", True):
        if not _text_fits(values.get("public_title"), 3, 200) or not _text_fits(values.get("public_text"), 3, 5000):
            raise Invalid("invalid_fields", "Titre et texte publics obligatoires.",
                           {"public_title": "3 à 200 caractères", "public_text": "3 à 5 000 caractères"})
    now = now or utcnow()
    for name in ("public_title", "public_text", "major", "published"):
        if name not in values:
            continue
        if getattr(ticket, name) != values[name]:
            record(db, ticket, actor, name, getattr(ticket, name), values[name], now=now)
            setattr(ticket, name, values[name])
    return ticket


def _text_fits(value, min_len: int, max_len: int) -> bool:
    """Measure text like the API's field specs: the minimum without surrounding spaces, the maximum as given."""
    return isinstance(value, str) and len(value.strip()) >= min_len and len(value) <= max_len
