"""Administration (admins only): people and their roles, departments and sites; the active helpdesk.yml, read-only."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateError
from sqlalchemy import select

from ticket_service.actions import people
from ticket_service.actions.outbox import retry_delivery
from ticket_service.auth.identity import current_user, hash_password
from ticket_service.domain.errors import invalid
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.domain.vocabulary import ROLES
from ticket_service.http.web.common import back_to, done, env, form_text, signed_in
from ticket_service.notify import compose, mail
from ticket_service.store import outbox
from ticket_service.store.models import Person

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {"employee": _l("Salarié·e"), "approver": _l("Valideur·se"), "technician": _l("Technicien·ne"),
               "admin": _l("Administrateur·rice")}
PASSWORD_MIN = 12
MAILS_SHOWN = 200  # the latest events that may mail; older ones stay in the outbox tables
MAIL_STATUS = {None: _l("en attente"), "delivered": _l("envoyé"), "failed": _l("en échec, nouvel essai prévu"),
               "dead": _l("abandonné")}
SHOWN_BYTES = 256 * 1024  # helpdesk.yml is a few kilobytes; a bigger file is cut, not streamed into the page


def admin_only(view):
    """Administrators only: everyone else gets 403 (anonymous visitors go to the sign-in page first)."""
    @functools.wraps(view)
    @signed_in
    def wrapped(**kwargs):
        if current_user().role != "admin":
            abort(403)
        return view(**kwargs)
    return wrapped


@bp.get("")
@admin_only
def people_list():
    """List every account with its role, department, site and support groups (groups come from helpdesk.yml)."""
    db, ctx, user = env()
    everyone = db.scalars(select(Person).order_by(Person.active.desc(), Person.name, Person.id)).all()
    groups = {p.id: [ctx.policies.groups[g] for g in ctx.policies.groups_of(p.email)] for p in everyone}
    return render_template("admin/people.html", people=everyone, groups=groups, roles=ROLES, role_labels=ROLE_LABELS,
                           password_min=PASSWORD_MIN, sites=ctx.policies.organisation.sites)


@bp.get("/politiques")
@admin_only
def policies():
    """Show the active helpdesk.yml as it is on disk, checked again now, and its support groups."""
    db, ctx, user = env()
    path = Path(current_app.config["HELPDESK_CONFIG"])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raw, problem = b"", str(exc)
    else:
        try:
            problem = None if load_policies(path) == ctx.policies else "changed"
        except PolicyError as exc:
            problem = str(exc)
    text = raw[:SHOWN_BYTES].decode("utf-8", errors="replace")
    known = {p.email.lower(): p for p in db.scalars(select(Person))}
    return render_template("admin/policies.html", path=path, text=text, cut=len(raw) > SHOWN_BYTES, problem=problem,
                           groups=list(ctx.policies.groups.values()), known=known)


@bp.post("/personnes")
@admin_only
def create():
    """Create an account, with an initial password or none (then the person signs in through the company's SSO)."""
    db, ctx, user = env()
    back_to("admin.people_list")
    role = request.form.get("role", "employee")
    if role not in ROLES:
        raise invalid(_("Rôle inconnu."), {"role": ", ".join(ROLES)})
    password = request.form.get("password") or ""
    if password and len(password) < PASSWORD_MIN:
        raise invalid(_("Mot de passe trop court."), {"password": _("au moins %(n)d caractères", n=PASSWORD_MIN)})
    person = people.create_person(db, form_text("email", 254), form_text("name", 200), role,
                                  hash_password(password) if password else None, site=form_text("site", 100),
                                  department=form_text("department", 100))
    return done(_("Compte créé pour %(email)s.", email=person.email), "admin.people_list")


@bp.post("/personnes/<int:person_id>")
@admin_only
def update(person_id: int):
    """Change a person's role, department and site."""
    db, ctx, user = env()
    back_to("admin.people_list")
    role = request.form.get("role", "")
    if role not in ROLES:
        raise invalid(_("Rôle inconnu."), {"role": ", ".join(ROLES)})
    person = people.update_person(db, user, person_id, role=role, department=form_text("department", 100),
                                  site=form_text("site", 100))
    return done(_("Compte de %(name)s mis à jour.", name=person.name), "admin.people_list")


@bp.post("/personnes/<int:person_id>/desactiver")
@admin_only
def deactivate(person_id: int):
    """Deactivate an account: its sessions and API tokens end at once; its tickets and history stay."""
    db, ctx, user = env()
    back_to("admin.people_list")
    person = db.get(Person, person_id)
    if person is None:
        abort(404)
    people.disable_person(db, person.email, actor=user)
    return done(_("Compte de %(name)s désactivé : ses sessions et jetons d'API ne fonctionnent plus.", name=person.name),
                "admin.people_list")


@bp.get("/courriels")
@admin_only
def mails():
    """List the outbox's mails, sent or still to send: recipient, subject, status, tries, last error."""
    db, ctx, user = env()
    setting = mail.setting(current_app)
    templates = compose.environment(setting.instance_path)
    rows = []
    for event, delivery in outbox.deliveries(db, mail.NAME, compose.EVENT_NAMES, MAILS_SHOWN):
        try:
            messages = compose.mails_for(db, setting, event.id, event.name, event.ticket_id, json.loads(event.payload),
                                         templates, at=event.at)
        except TemplateError as exc:  # a broken template of the instance folder: shown, the delivery records it too
            messages = [{"to_name": "—", "to_email": "?", "subject": _("Gabarit en erreur : %(error)s", error=exc)}]
        rows += [(event, delivery, message) for message in messages]
    return render_template("admin/mails.html", rows=rows, smtp_host=setting.smtp.host, statuses=MAIL_STATUS)


@bp.post("/courriels/<int:event_id>/renvoyer")
@admin_only
def retry_mail(event_id: int):
    """Send a failed or set-aside mail again at the next delivery run."""
    db, ctx, user = env()
    back_to("admin.mails")
    retry_delivery(db, ctx, user, event_id, mail.NAME)
    return done(_("Courriel remis en file : il part au prochain passage de la livraison."), "admin.mails")
