"""One ticket at the desk: conversation, history, SLA clocks, similar tickets, suggested articles, and every action."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import or_, select

from search.analysis import fold

from ticket_service.actions import delays as delay_actions
from ticket_service.actions import tickets as ticket_actions
from ticket_service.actions import triage as triage_actions
from ticket_service.actions import workflow
from ticket_service.domain import delays, sla, triage
from ticket_service.domain.access import can_see, requester_details, visible_clause
from ticket_service.domain.duplicates import likely_duplicates
from ticket_service.domain.errors import invalid
from ticket_service.domain.vocabulary import ESCALATION_REASON, OPEN, PUBLIC_TEXT, PUBLIC_TITLE, REASON, RETYPABLE
from ticket_service.http.validation import is_valid_text, parse_id
from ticket_service.http.web import articles as kb
from ticket_service.http.web.common import back_to, done, env, form_int, form_text, staff_only, ticket_for
from ticket_service.http.web.desk import technicians
from ticket_service.runtime import get_files
from ticket_service.store.models import (
    ArticleLink, Attachment, Comment, Person, Ticket, TicketEvent, TicketLink, TicketTag, utcnow,
)

bp = Blueprint("desk_ticket", __name__, url_prefix="/desk/tickets")


@bp.get("/<int:ticket_id>")
@staff_only
def show(ticket_id: int):
    """Show everything about a ticket to a technician, internal notes included."""
    db, ctx, user = env()
    t = ticket_for(ticket_id)
    comments = db.scalars(select(Comment).where(Comment.ticket_id == t.id).order_by(Comment.id)).all()
    files = db.scalars(select(Attachment).where(Attachment.ticket_id == t.id).order_by(Attachment.id)).all()
    events = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)).all()
    links = db.scalars(select(TicketLink).where(or_(TicketLink.source_id == t.id, TicketLink.target_id == t.id))
                       .order_by(TicketLink.id)).all()
    used = db.scalars(select(ArticleLink).where(ArticleLink.ticket_id == t.id).order_by(ArticleLink.id)).all()
    tags = db.scalars(select(TicketTag).where(TicketTag.ticket_id == t.id).order_by(TicketTag.tag)).all()
    people = people_named(db, t, comments, events)
    people.update(delay_authors(db, t, people))
    similar = [(o, score) for o, score in likely_duplicates(db, t) if can_see(ctx, user, o)] if t.status in OPEN else []
    problems = db.scalars(select(Ticket).where(visible_clause(ctx, user), Ticket.type == "problem",
                                               Ticket.status.in_(OPEN), Ticket.id != t.id)
                          .order_by(Ticket.id.desc())).all()
    query = " ".join(request.args.get("fiches", "").split())[:100]
    if not is_valid_text(query):
        abort(400)  # the API's text rule: a NUL or a lone surrogate is never a filter
    suggested = kb.suggestions(f"{t.title}\n{t.description}")
    triage_suggestions = triage.suggestions_of(db, t.id)
    return render_template(
        "desk/ticket.html", t=t, comments=comments, files=files, events=events, links=links, used=used, people=people,
        clocks=sla.sla_view(t, utcnow(), ctx.policies, ctx.calendar), similar=similar,
        suggested=suggested, site_url=kb.site_url, **article_picker(suggested, query),
        technicians=technicians(db), problems=problems, policies=ctx.policies, retypable=RETYPABLE,
        requester=people.get(t.requester_id), requester_details=requester_details(ctx, user),
        delays=delays.announcements(db, t.id), delay_state=delays.state, tags=tags,
        triage=triage_suggestions, triage_pending=triage.pending(t, triage_suggestions) if t.status in OPEN else [])


def article_picker(suggested: list[dict], query: str) -> dict:
    """Return the resolution's article choices: the suggested ones first, then every other article of the KB, each
    with the folded text the filter matches (every word of ``query`` in title, id, category or tags)."""
    articles = kb.catalogue()
    by_id = {a.id: a for a in articles}

    def choice(article) -> dict:
        return {"id": article.id, "title": article.title, "category": article.category,
                "internal": article.audience == "technicians",
                "search": fold(" ".join([article.title, article.id, article.category, *article.tags]))}

    first = [choice(by_id[s["id"]]) for s in suggested if s["id"] in by_id]
    taken = {c["id"] for c in first}
    rest = [choice(a) for a in articles if a.id not in taken]
    words = fold(query).split()
    kept = [[c for c in group if all(w in c["search"] for w in words)] for group in (first, rest)]
    return {"picker_suggested": kept[0], "picker": kept[1], "picker_query": query,
            "picker_shown": len(kept[0]) + len(kept[1]), "picker_total": len(first) + len(rest)}


def people_named(db, t: Ticket, comments, events) -> dict[int, Person]:
    """Return the people the ticket page names (requester, assignee, authors, actors, assignees in the history).

    Only these: loading everyone cost 150 ms per page with 5,000 people (catalogue L-03).
    """
    ids = {t.requester_id, t.assignee_id} | {c.author_id for c in comments} | {e.actor_id for e in events}
    ids |= {n for e in events if e.field == "assignee_id" for n in map(parse_id, (e.old, e.new)) if n is not None}
    ids.discard(None)
    return {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(ids)))}


def delay_authors(db, t: Ticket, known: dict[int, Person]) -> dict[int, Person]:
    """Return the technicians who announced a delay on the ticket and are not named elsewhere on the page."""
    ids = {d.by_id for d in delays.announcements(db, t.id)} - set(known) - {None}
    return {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}


def _back(ticket_id: int):
    """Name the page a refused action returns to, and return what the action needs."""
    back_to("desk_ticket.show", ticket_id=ticket_id)
    return env()


def _upload():
    upload = request.files.get("file")
    return (upload.filename, upload.stream) if upload is not None and upload.filename else None


@bp.post("/<int:ticket_id>/commentaire")
@staff_only
def comment(ticket_id: int):
    """Add a public reply or an internal note (with an optional attachment of the same visibility)."""
    db, ctx, user = _back(ticket_id)
    internal = request.form.get("internal") == "1"
    body, upload = form_text("body"), _upload()
    if upload is not None:
        body = body or _("(pièce jointe ajoutée)")
    ticket_actions.comment(db, ctx, user, ticket_id, body, internal=internal, files=get_files(), upload=upload)
    return done(_("Note interne ajoutée.") if internal else _("Réponse envoyée au demandeur."), "desk_ticket.show",
                ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/prendre")
@staff_only
def take(ticket_id: int):
    """Take the ticket: start work on a new one (which assigns it), or assign it to myself."""
    db, ctx, user = _back(ticket_id)
    workflow.take(db, ctx, user, ticket_id)
    return done(_("Ticket pris en charge."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/modifier")
@staff_only
def update(ticket_id: int):
    """Assign, or change type, category, impact and urgency (the priority and SLA follow)."""
    db, ctx, user = _back(ticket_id)
    changes = {}
    for name in ("type", "category", "impact", "urgency"):
        if request.form.get(name):
            changes[name] = request.form[name]
    if "assignee_id" in request.form:
        changes["assignee_id"] = form_int("assignee_id")
    ticket_actions.update_ticket(db, ctx, user, ticket_id, changes)
    return done(_("Ticket mis à jour."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/tri/appliquer")
@staff_only
def apply_triage(ticket_id: int):
    """Apply the triage model's suggested category and group (the fields posted), as the technician."""
    db, ctx, user = _back(ticket_id)
    fields = [f for f in dict.fromkeys(request.form.getlist("field")) if f in triage.FIELDS]
    triage_actions.apply_suggestion(db, ctx, user, ticket_id, fields)
    return done(_("Suggestion du tri appliquée."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/escalader")
@staff_only
def escalate(ticket_id: int):
    """Escalate to the next level with a reason (at least 10 characters)."""
    db, ctx, user = _back(ticket_id)
    t = workflow.escalate(db, ctx, user, ticket_id, form_text("reason", ESCALATION_REASON[1]))
    return done(_("Ticket escaladé en %(level)s.", level=t.level), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/statut")
@staff_only
def move(ticket_id: int):
    """Wait on the requester (with the question asked), resume, or cancel."""
    db, ctx, user = _back(ticket_id)
    to = request.form.get("to")
    if to not in ("waiting", "in_progress", "cancelled"):
        raise invalid(_("Changement d'état inconnu."))
    workflow.move(db, ctx, user, ticket_id, to, reason=form_text("reason", REASON[1]) or None,
                  question=form_text("body") or None)
    return done(_("Statut changé."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/lier")
@staff_only
def link(ticket_id: int):
    """Link the ticket to a problem (caused_by) or mark it a duplicate of another (merged and closed)."""
    db, ctx, user = _back(ticket_id)
    kind = request.form.get("kind")
    target = form_int("target_id") or 0
    if kind == "duplicate_of":
        ticket_actions.merge(db, ctx, user, ticket_id, target)
    else:
        ticket_actions.link(db, ctx, user, ticket_id, target, kind or "")
    return done(_("Lien enregistré."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/resoudre")
@staff_only
def resolve(ticket_id: int):
    """Resolve with a note and the articles used, or with the KB-gap flag."""
    db, ctx, user = _back(ticket_id)
    picked = [a for a in dict.fromkeys(request.form.getlist("articles")) if a]
    workflow.move(db, ctx, user, ticket_id, "resolved", note=form_text("note"), articles=picked,
                  kb_gap=request.form.get("kb_gap") == "1",
                  resolve_incidents=request.form.get("resolve_incidents") == "1" or None)
    return done(_("Ticket résolu : le demandeur est invité à confirmer."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/incident-majeur")
@staff_only
def major(ticket_id: int):
    """Declare a major incident (public title and text feed the site banner), or close it (withdrawn)."""
    db, ctx, user = _back(ticket_id)
    if request.form.get("close") == "1":
        ticket_actions.publish(db, ctx, user, ticket_id, {"published": False, "major": False})
        message = _("Incident majeur clos : le bandeau disparaît du site.")
    else:
        ticket_actions.publish(db, ctx, user, ticket_id, {
            "published": True, "major": True, "public_title": form_text("public_title", PUBLIC_TITLE[1]),
            "public_text": form_text("public_text", PUBLIC_TEXT[1])})
        message = _("Incident majeur publié : il s'affiche dans le bandeau du site.")
    return done(message, "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/delai")
@staff_only
def announce_delay(ticket_id: int):
    """« Annoncer un délai » : a new date for the first response or the resolution, with its reason, mailed."""
    db, ctx, user = _back(ticket_id)
    kind = request.form.get("kind") or "resolution"
    delay_actions.announce_delay(db, ctx, user, ticket_id, request.form.get("due_at", ""),
                                 form_text("reason", REASON[1]), kind)
    return done(_("Délai annoncé au demandeur."), "desk_ticket.show", ticket_id=ticket_id)
