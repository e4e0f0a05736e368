"""The pages a mail's signed links open: they show what the click will do and change nothing before a POST."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _

from ticket_service.actions import workflow
from ticket_service.domain.vocabulary import REASON
from ticket_service.http.web.common import back_to, done, env, form_text
from ticket_service.notify import links
from ticket_service.store.models import Person, Ticket

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
    if person is None or not person.active or ticket is None or ticket.requester_id != person.id:
        return None, (render_template("mail_link.html", problem=_("Ce lien n'est plus valide.")), 400)
    return (ticket, person, action), None


@bp.get("/<token>")
def show(token: str):
    """Show the request and one button; a mail gateway that opens the link changes nothing."""
    found, refusal = _read(token)
    if refusal is not None:
        return refusal
    ticket, person, action = found
    return render_template("mail_link.html", ticket=ticket, person=person, action=action, token=token,
                           pending=ticket.status == "resolved", reason_bounds=REASON)


@bp.post("/<token>")
def act(token: str):
    """Do what the link says, as the person it was sent to, after their click (CSRF-checked like every form)."""
    found, refusal = _read(token)
    if refusal is not None:
        return refusal
    ticket, person, action = found
    db, ctx, _user = env()
    back_to("mail_links.show", token=token)
    if action == "confirm":
        workflow.move(db, ctx, person, ticket.id, "closed", reason="résolution confirmée par le demandeur (courriel)")
        return done(_("Merci ! Votre demande est close."), "mail_links.show", token=token)
    workflow.reopen(db, ctx, person, ticket.id, form_text("reason", REASON[1]))
    return done(_("Votre demande est rouverte : un technicien la reprend."), "mail_links.show", token=token)
