"""The employee portal « Mes demandes »: my requests, one request's public side, and « À valider » for approvers."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ticket_service.actions import people as people_actions
from ticket_service.actions import tickets as ticket_actions
from ticket_service.actions import workflow
from ticket_service.domain import delays, following, mail_audience, sla
from ticket_service.domain.access import approver_view
from ticket_service.domain.approvals import is_designated
from ticket_service.domain.directory import MANAGER
from ticket_service.domain.errors import invalid, not_found
from ticket_service.domain.tickets import survey_offered
from ticket_service.domain.vocabulary import DECISIONS, RATING_COMMENT, REASON
from ticket_service.http.web import articles as kb
from ticket_service.http.web.common import back_to, done, env, form_int, form_text, signed_in, ticket_for
from ticket_service.runtime import get_files
from ticket_service.store.models import (
    Approval, ArticleLink, Attachment, Comment, DirectoryEntry, MailOptOut, Person, Ticket,
)

bp = Blueprint("portal", __name__, url_prefix="/mes-demandes")


@bp.get("")
@signed_in
def requests():
    """List my requests, newest activity first."""
    db, ctx, user = env()
    rows = db.scalars(select(Ticket).where(Ticket.requester_id == user.id).order_by(Ticket.updated_at.desc(), Ticket.id.desc())).all()
    follows = following.main_tickets(db, rows)
    incidents = following.followed_incidents(db, user)
    now = ctx.clock.now()
    clocks = {t.id: sla.sla_view(t, now, ctx.policies, ctx.calendar) for t in [*rows, *follows.values()]}
    in_force = delays.current_of(db, list(clocks))
    announced = {tid: kinds["resolution"] for tid, kinds in in_force.items() if "resolution" in kinds}
    return render_template("portal/list.html", tickets=rows, to_approve=len(_awaiting(db, ctx, user)), follows=follows,
                           clocks=clocks, incidents=incidents, announced=announced,
                           incident_articles={i.id: resolution_articles(db, ctx, i) for i in incidents})


def resolution_articles(db, ctx, ticket: Ticket) -> list[dict]:
    """Return the employee articles linked to a resolved ticket, with their site URL and the revision they were
    linked at (``older`` when the running build is another one); technicians' articles are never listed."""
    if ticket.resolved_at is None:
        return []
    titles = {a.id: a.title for a in kb.catalogue()}
    current = ctx.kb_revision
    links = db.scalars(select(ArticleLink).where(ArticleLink.ticket_id == ticket.id).order_by(ArticleLink.id))
    return [{"id": link.article_id, "title": titles.get(link.article_id, link.article_id), "url": ctx.kb.url(link.article_id),
             "revision": link.kb_revision, "older": bool(link.kb_revision and current and link.kb_revision != current)}
            for link in links if ctx.article_audience(link.article_id) == "employees"]


def _awaiting(db, ctx, user) -> list[Ticket]:
    """Access requests waiting for this approver's decision (or this manager's, for the people reporting to them)."""
    items = [cid for cid, item in ctx.policies.catalogue.items() if user.email.lower() in item.approvers] \
        if user.role == "approver" else []
    decided = select(Approval.ticket_id).where(Approval.approver_id == user.id)
    waiting = select(Ticket).where(Ticket.type == "access_request", Ticket.status == "awaiting_approval",
                                   Ticket.requester_id != user.id, Ticket.id.not_in(decided)).order_by(Ticket.id)
    listed = list(db.scalars(waiting.where(Ticket.catalogue_item.in_(items)))) if items else []
    by_manager = [cid for cid, item in ctx.policies.catalogue.items() if MANAGER in item.approvers]
    reports = select(DirectoryEntry.person_id).where(DirectoryEntry.manager_id == user.id)
    managed = list(db.scalars(waiting.where(Ticket.catalogue_item.in_(by_manager), Ticket.requester_id.in_(reports)))
                   ) if by_manager else []
    seen = {t.id for t in listed}
    return sorted(listed + [t for t in managed if t.id not in seen and is_designated(ctx, t, user)], key=lambda t: t.id)


@bp.get("/a-valider")
@signed_in
def approvals():
    """List the access requests waiting for my decision (approvers)."""
    db, ctx, user = env()
    tickets = _awaiting(db, ctx, user)
    requesters = {t.requester_id for t in tickets}
    return render_template("portal/approvals.html", tickets=tickets,
                           people={p.id: p for p in db.scalars(select(Person).where(Person.id.in_(requesters)))})


def _portal_ticket(ticket_id: int, for_update: bool = False) -> Ticket:
    """My request, or an access request I decide on; everything else is 404 (staff use the desk)."""
    db, ctx, user = env()
    ticket = ticket_for(ticket_id, for_update=for_update)
    if ticket.requester_id != user.id and not approver_view(ctx, user, ticket):
        raise not_found()
    return ticket


@bp.get("/<int:ticket_id>")
@signed_in
def show(ticket_id: int):
    """Show a request's public side: never internal notes nor internal files."""
    db, ctx, user = env()
    ticket = _portal_ticket(ticket_id)
    as_approver = ticket.requester_id != user.id
    # A merged duplicate's requester follows the main ticket: its public side only, never its requester's.
    main = None if as_approver else following.main_ticket(db, ticket)
    shown = main or ticket
    comments = db.scalars(select(Comment).where(Comment.ticket_id == ticket.id, Comment.internal.is_(False))
                          .order_by(Comment.id)).all()
    if main is not None:
        comments = sorted([*comments, *following.public_replies(db, main)], key=lambda c: (c.created_at, c.id))
    files = db.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id, Attachment.internal.is_(False))
                       .order_by(Attachment.id)).all()
    decisions = db.scalars(select(Approval).where(Approval.ticket_id == ticket.id).order_by(Approval.id)).all()
    named = {c.author_id for c in comments} | {a.approver_id for a in decisions} | {ticket.requester_id, shown.assignee_id}
    people = {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(named - {None})))}
    may_decide = as_approver and ticket.status == "awaiting_approval" and all(d.approver_id != user.id for d in decisions)
    item = ctx.policies.catalogue.get(ticket.catalogue_item or "")
    clocks = {shown.id: sla.sla_view(shown, ctx.clock.now(), ctx.policies, ctx.calendar)}
    return render_template("portal/show.html", t=ticket, p=shown, main=main, follows={ticket.id: main} if main else {},
                           clocks=clocks, comments=comments, files=files, people=people,
                           decisions=decisions, as_approver=as_approver, may_decide=may_decide,
                           item=item, rateable=not as_approver and survey_offered(ctx, ticket),
                           survey=ctx.policies.satisfaction_enabled, articles=resolution_articles(db, ctx, shown),
                           expected=delays.expected(shown, delays.current(db, shown.id)))


def _acting_on(ticket_id: int):
    """Check the portal may act on this request (404 otherwise) and name the page a refusal returns to."""
    back_to("portal.show", ticket_id=ticket_id)
    _portal_ticket(ticket_id)
    return env()


@bp.post("/<int:ticket_id>/repondre")
@signed_in
def reply(ticket_id: int):
    """Reply on my request, with an optional attachment (a reply reopens a resolved request)."""
    db, ctx, user = _acting_on(ticket_id)
    body = form_text("body")
    upload = request.files.get("file")
    upload = (upload.filename, upload.stream) if upload is not None and upload.filename else None
    if upload is not None:
        body = body or _("(pièce jointe ajoutée)")
    ticket_actions.comment(db, ctx, user, ticket_id, body, files=get_files(), upload=upload)
    return done(_("Votre message a été envoyé."), "portal.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/resolu")
@signed_in
def confirm(ticket_id: int):
    """« C'est résolu »: the requester confirms the resolution, which closes the request."""
    db, ctx, user = _acting_on(ticket_id)
    workflow.move(db, ctx, user, ticket_id, "closed", reason="résolution confirmée par le demandeur")
    return done(_("Merci ! Votre demande est close."), "portal.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/non-resolu")
@signed_in
def refuse(ticket_id: int):
    """« Ce n'est pas résolu »: reopen with what still goes wrong."""
    db, ctx, user = _acting_on(ticket_id)
    workflow.reopen(db, ctx, user, ticket_id, form_text("reason", REASON[1]))
    return done(_("Votre demande est rouverte : un technicien la reprend."), "portal.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/evaluer")
@signed_in
def rate(ticket_id: int):
    """Rate a resolved or closed request from 1 to 5."""
    db, ctx, user = _acting_on(ticket_id)
    ticket_actions.rate(db, ctx, user, ticket_id, form_int("rating") or 0, form_text("comment", RATING_COMMENT[1]) or None)
    return done(_("Merci pour votre avis."), "portal.show", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/decision")
@signed_in
def decision(ticket_id: int):
    """Approve or reject an access request with a comment (designated approvers only)."""
    db, ctx, user = _acting_on(ticket_id)
    choice = request.form.get("decision")
    if choice not in DECISIONS:
        raise invalid("Choisissez valider ou refuser.", {"decision": "approved ou rejected"})
    workflow.decide(db, ctx, user, ticket_id, choice, form_text("comment", REASON[1]) or None)
    return done(_("Demande validée.") if choice == "approved" else _("Demande refusée."), "portal.approvals")


@bp.get("/preferences")
@signed_in
def preferences():
    """Show which mails I receive: the essential ones always, the optional ones as I chose."""
    db, _ctx, user = env()
    off = set(db.scalars(select(MailOptOut.notification).where(MailOptOut.person_id == user.id)))
    return render_template("portal/preferences.html", essential=mail_audience.ESSENTIAL,
                           optional=mail_audience.OPTIONAL, off=off)


@bp.post("/preferences")
@signed_in
def save_preferences():
    """Save the optional mails I want: every optional one left unticked is switched off."""
    db, ctx, user = env()
    back_to("portal.preferences")
    wanted = set(request.form.getlist("wanted"))
    people_actions.set_mail_preferences(db, user, set(mail_audience.OPTIONAL) - wanted, ctx.clock.now())
    return done(_("Vos préférences de courriel sont enregistrées."), "portal.preferences")
