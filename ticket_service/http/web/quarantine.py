"""« Quarantaine » of the desk: the mails kept out (why, from, subject, date) and their release into a ticket (CSRF)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _

from ticket_service.actions import mail_in
from ticket_service.channels.intake import own_addresses
from ticket_service.channels.mail_in import parse
from ticket_service.domain.errors import not_found
from ticket_service.domain.inbound_mail import REASONS
from ticket_service.http.web.common import back_to, done, env, staff_only
from ticket_service.runtime import get_files
from ticket_service.store.models import InboundMail

bp = Blueprint("quarantine", __name__, url_prefix="/desk/quarantaine")


@bp.get("")
@staff_only
def listing():
    """List the quarantined mails, newest first, each with the reason it was kept out."""
    db, ctx, user = env()
    return render_template("desk/quarantine.html", mails=mail_in.quarantined(db), reasons=REASONS)


@bp.post("/<int:mail_id>/liberer")
@staff_only
def release(mail_id: int):
    """Let one quarantined mail in as a new ticket of its sender (never as a comment on someone's ticket)."""
    db, ctx, user = env()
    back_to("quarantine.listing")
    row = db.get(InboundMail, mail_id)
    if row is None or row.raw is None or row.outcome != "quarantined":
        raise not_found()
    parsed = parse(row.raw, own_addresses=own_addresses(current_app))
    outcome = mail_in.release(db, ctx, get_files(), user, mail_id, parsed)
    return done(_("Courriel libéré : ticket n° %(id)s créé.", id=outcome.ticket_id), "desk_ticket.show",
                ticket_id=outcome.ticket_id)
