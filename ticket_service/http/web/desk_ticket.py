"""One ticket at the desk: conversation, history, SLA clocks, similar tickets, suggested articles, and every action."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from sqlalchemy import or_, select

from ticket_service.store import files
from ticket_service.domain import transitions, sla
from ticket_service.domain.access import load_ticket
from ticket_service.domain.duplicates import likely_duplicates
from ticket_service.http.errors import ApiError
from ticket_service.store.models import ArticleLink, Attachment, Comment, Person, Ticket, TicketEvent, TicketLink, utcnow
from ticket_service.http.web import articles as kb
from ticket_service.http.web.common import back_to, done, env, form_int, form_text, staff_only, ticket_for
from ticket_service.http.web.desk import technicians

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
    people = people_named(db, t, comments, events)
    similar = likely_duplicates(db, t) if t.status in transitions.OPEN else []
    problems = db.scalars(select(Ticket).where(Ticket.type == "problem", Ticket.status.in_(transitions.OPEN),
                                               Ticket.id != t.id).order_by(Ticket.id.desc())).all()
    return render_template(
        "desk/ticket.html", t=t, comments=comments, files=files, events=events, links=links, used=used, people=people,
        clocks=sla.sla_view(t, utcnow(), ctx.policies, ctx.calendar), similar=similar,
        suggested=kb.suggestions(f"{t.title}\n{t.description}"), catalogue=kb.catalogue(), site_url=kb.site_url,
        technicians=technicians(db), problems=problems, policies=ctx.policies, retypable=transitions.RETYPABLE,
        requester=people.get(t.requester_id))


def people_named(db, t: Ticket, comments, events) -> dict[int, Person]:
    """Return the people the ticket page names (requester, assignee, authors, actors, assignees in the history).

    Only these: loading everyone cost 150 ms per page with 5,000 people (catalogue L-03).
    """
    ids = {t.requester_id, t.assignee_id} | {c.author_id for c in comments} | {e.actor_id for e in events}
    ids |= {int(v) for e in events if e.field == "assignee_id" for v in (e.old, e.new) if v and v.isdigit()}
    ids.discard(None)
    return {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(ids)))}


def _load(ticket_id: int):
    back_to("desk_ticket.show", ticket_id=ticket_id)
    db, ctx, user = env()
    return db, ctx, user, ticket_for(ticket_id, for_update=True)


@bp.post("/<int:ticket_id>/commentaire")
@staff_only
def comment(ticket_id: int):
    """Add a public reply or an internal note (with an optional attachment of the same visibility)."""
    db, ctx, user, t = _load(ticket_id)
    internal = request.form.get("internal") == "1"
    body, upload, stored = form_text("body"), request.files.get("file"), []
    try:
        if upload is not None and upload.filename:
            stored.append(files.attach(db, t, user, upload, internal=internal))
            body = body or _("(pièce jointe ajoutée)")
        transitions.add_comment(db, ctx, t, user, body, internal=internal)
        db.commit()
    except BaseException:
        db.rollback()
        files.discard_all(stored)
        raise
    return done(_("Note interne ajoutée.") if internal else _("Réponse envoyée au demandeur."), "desk_ticket.show",
                ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/prendre")
@staff_only
def take(ticket_id: int):
    """Take the ticket: start work on a new one (which assigns it), or assign it to myself."""
    db, ctx, user, t = _load(ticket_id)
    if t.status == "new":
        transitions.transition(db, ctx, t, user, "in_progress")
    if t.assignee_id != user.id:
        transitions.update_ticket(db, ctx, t, user, {"assignee_id": user.id})
    db.commit()
    return done(_("Ticket pris en charge."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/modifier")
@staff_only
def update(ticket_id: int):
    """Assign, or change type, category, impact and urgency (the priority and SLA follow)."""
    db, ctx, user, t = _load(ticket_id)
    changes = {}
    for name in ("type", "category", "impact", "urgency"):
        if request.form.get(name):
            changes[name] = request.form[name]
    if "assignee_id" in request.form:
        changes["assignee_id"] = form_int("assignee_id")
    transitions.update_ticket(db, ctx, t, user, changes)
    db.commit()
    return done(_("Ticket mis à jour."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/escalader")
@staff_only
def escalate(ticket_id: int):
    """Escalate to the next level with a reason (at least 10 characters)."""
    db, ctx, user, t = _load(ticket_id)
    reason = form_text("reason", 2000)
    if len(reason) < 10:
        raise ApiError(422, "invalid_fields", _("Motivez l'escalade (10 caractères au moins)."))
    transitions.escalate(db, ctx, t, user, reason)
    db.commit()
    return done(_("Ticket escaladé en %(level)s.", level=t.level), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/statut")
@staff_only
def move(ticket_id: int):
    """Wait on the requester (with the question asked), resume, or cancel."""
    db, ctx, user, t = _load(ticket_id)
    to = request.form.get("to")
    if to not in ("waiting", "in_progress", "cancelled"):
        raise ApiError(422, "invalid_fields", _("Changement d'état inconnu."))
    question = form_text("body")
    if question:
        transitions.add_comment(db, ctx, t, user, question)
    transitions.transition(db, ctx, t, user, to, reason=form_text("reason", 2000) or None)
    db.commit()
    return done(_("Statut changé."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/lier")
@staff_only
def link(ticket_id: int):
    """Link the ticket to a problem (caused_by) or mark it a duplicate of another (merged and closed)."""
    db, ctx, user, t = _load(ticket_id)
    kind = request.form.get("kind")
    target = load_ticket(db, ctx, user, form_int("target_id") or 0)
    if kind == "duplicate_of":
        transitions.merge(db, ctx, t, target, user)
    else:
        transitions.link_tickets(db, t, target, kind or "", user)
    db.commit()
    return done(_("Lien enregistré."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/resoudre")
@staff_only
def resolve(ticket_id: int):
    """Resolve with a note and the articles used, or with the KB-gap flag."""
    db, ctx, user, t = _load(ticket_id)
    picked = [a for a in dict.fromkeys(request.form.getlist("articles")) if a]
    unknown = [a for a in picked if a not in kb.article_ids()]
    if unknown:
        raise ApiError(422, "invalid_fields", _("Fiche inconnue : %(ids)s", ids=", ".join(unknown[:3])))
    transitions.transition(db, ctx, t, user, "resolved", note=form_text("note"), articles=picked,
                         kb_gap=request.form.get("kb_gap") == "1",
                         resolve_incidents=request.form.get("resolve_incidents") == "1" or None)
    db.commit()
    return done(_("Ticket résolu : le demandeur est invité à confirmer."), "desk_ticket.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/incident-majeur")
@staff_only
def major(ticket_id: int):
    """Declare a major incident (public title and text feed the site banner), or close it (withdrawn)."""
    db, ctx, user, t = _load(ticket_id)
    if request.form.get("close") == "1":
        transitions.publish(db, t, user, {"published": False, "major": False})
        message = _("Incident majeur clos : le bandeau disparaît du site.")
    else:
        transitions.publish(db, t, user, {"published": True, "major": True, "public_title": form_text("public_title", 200),
                                        "public_text": form_text("public_text", 5000)})
        message = _("Incident majeur publié : il s'affiche dans le bandeau du site.")
    db.commit()
    return done(message, "desk_ticket.show", ticket_id=ticket_id)
