"""The pages a mail's signed links open: they show what the click will do and change nothing before a POST."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from ticket_service.actions import tickets as ticket_actions, workflow
from ticket_service.domain.approvals import is_designated
from ticket_service.domain.tickets import survey_offered
from ticket_service.domain.vocabulary import RATING_COMMENT, REASON
from ticket_service.http.web.common import back_to, done, env, form_int, form_text
from ticket_service.notify import links
from ticket_service.store.models import Approval, Person, Ticket

bp = Blueprint("mail_links", __name__, url_prefix="/courriel")


def _read(token: str):
    """Return (ticket id, person, action) of a valid link, or the (page, status) to answer with."""
    db, ctx, _user = env()
    try:
        ticket_id, person_id, action = links.read(current_app.config["SECRET_KEY"], token, ctx.clock.now(),
                                                  float(current_app.config["MAIL_LINK_DAYS"]))
    except links.LinkError as exc:
        return None, (render_template("mail_link.html", problem=str(exc)), 410 if exc.expired else 400)
    person = db.get(Person, person_id)
    ticket = db.get(Ticket, ticket_id)
    allowed = ticket is not None and person is not None and person.active and (
        is_designated(ctx, ticket, person) if action in links.APPROVAL_ACTIONS else ticket.requester_id == person.id)
    if not allowed:
        return None, (render_template("mail_link.html", problem=_("Ce lien n'est plus valide.")), 400)
    return (ticket, person, action), None


def _pending(db, ctx, ticket, person, action: str) -> bool:
    """True while the link's action may still be done: the ticket still waits for this person's click."""
    if action in links.APPROVAL_ACTIONS:
        return ticket.status == "awaiting_approval" and not any(
            a.approver_id == person.id for a in db.scalars(select(Approval).where(Approval.ticket_id == ticket.id)))
    if action in links.SURVEY_ACTIONS:
        return survey_offered(ctx, ticket)
    return ticket.status == "resolved"


@bp.get("/<token>")
def show(token: str):
    """Show the request and one button; a mail gateway that opens the link changes nothing."""
    found, refusal = _read(token)
    if refusal is not None:
        return refusal
    ticket, person, action = found
    db, ctx, _user = env()
    return render_template("mail_link.html", ticket=ticket, person=person, action=action, token=token,
                           pending=_pending(db, ctx, ticket, person, action), reason_bounds=REASON,
                           comment_bounds=RATING_COMMENT)


@bp.post("/<token>")
def act(token: str):
    """Do what the link says, as the person it was sent to, after their click (CSRF-checked like every form)."""
    found, refusal = _read(token)
    if refusal is not None:
        return refusal
    ticket, person, action = found
    db, ctx, _user = env()
    back_to("mail_links.show", token=token)
    if action in links.APPROVAL_ACTIONS:
        decision = "approved" if action == "approve" else "rejected"
        workflow.decide(db, ctx, person, ticket.id, decision, form_text("comment", REASON[1]) or None)
        return done(_("Demande validée.") if decision == "approved" else _("Demande refusée."),
                    "mail_links.show", token=token)
    if action == "rate":
        ticket_actions.rate(db, ctx, person, ticket.id, form_int("rating") or 0,
                            form_text("comment", RATING_COMMENT[1]) or None)
        return done(_("Merci pour votre avis."), "mail_links.show", token=token)
    if action == "confirm":
        workflow.move(db, ctx, person, ticket.id, "closed", reason="résolution confirmée par le demandeur (courriel)")
        return done(_("Merci ! Votre demande est close."), "mail_links.show", token=token)
    workflow.reopen(db, ctx, person, ticket.id, form_text("reason", REASON[1]))
    return done(_("Votre demande est rouverte : un technicien la reprend."), "mail_links.show", token=token)
