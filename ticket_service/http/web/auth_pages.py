"""Sign-in and sign-out pages (local accounts; the trusted-header SSO signs people in by itself)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ticket_service.actions import people
from ticket_service.auth.header_sso import header_name
from ticket_service.auth import oidc
from ticket_service.auth.identity import authenticate, current_user, local_passwords
from ticket_service.auth.identity import sign_in as start_session
from ticket_service.demo.tickets import PEOPLE
from ticket_service.domain.vocabulary import STAFF_ROLES
from ticket_service.http.errors import ApiError
from ticket_service.http.web.common import env, home_for, safe_next
from ticket_service.runtime import get_ctx

bp = Blueprint("auth_pages", __name__)
ROLE_LABELS = {"employee": "salarié·e", "technician": "technicien·ne", "approver": "valideur·se", "admin": "admin"}


def _demo_accounts() -> list[dict] | None:
    """Return the demo accounts (demo mode only: never on a real installation)."""
    if not current_app.config.get("DEMO_MODE"):
        return None
    ctx = env()[1]
    accounts = []
    for email, name, role, _site in PEOPLE:
        level = ctx.policies.level_of(email) if role in STAFF_ROLES else None
        accounts.append({"email": email, "name": name, "role": ROLE_LABELS.get(role, role), "level": level})
    return accounts


@bp.route("/connexion", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form; on success go to ?next= (same-origin paths only) or the person's home."""
    user = current_user()
    wanted = request.values.get("next")
    if user is not None and request.method == "GET":
        return redirect(safe_next(wanted, home_for(user)))
    status = 200
    email = ""
    if request.method == "POST" and not local_passwords():
        flash(_("La connexion par mot de passe est désactivée : utilisez l'authentification unique."), "error")
        status = 403
    elif request.method == "POST":
        email = (request.form.get("email") or "").strip()[:254]
        password = (request.form.get("password") or "")[:1024]
        try:
            person = authenticate(email, password)
        except ApiError as exc:  # same message for an unknown account and a wrong password
            flash(_("Trop de tentatives de connexion : réessayez dans quelques minutes.") if exc.status == 429
                  else _("L'annuaire de l'entreprise ne répond pas : réessayez dans quelques minutes.")
                  if exc.status == 503 else _("Adresse e-mail ou mot de passe incorrect."), "error")
            status = exc.status
        else:
            start_session(person)
            return redirect(safe_next(wanted, home_for(person)), 303)
    return sign_in_page(status, email, wanted)


def sign_in_page(status: int, email: str = "", wanted: str | None = None):
    """Render the sign-in page: the SSO button when OpenID Connect is set up, the password form unless turned off."""
    return render_template("auth/sign_in.html", next=safe_next(wanted, ""), email=email,
                           demo=_demo_accounts(), demo_password=current_app.config.get("DEMO_PASSWORD"),
                           sso=bool(header_name(current_app.config)), local_passwords=local_passwords(),
                           oidc_name=oidc.provider_name() if oidc.enabled() else None,
                           login_type=_login_type()), status


def _login_type() -> str:
    """Return the sign-in field's input type: text when people sign in with a directory name (uid, sAMAccountName)."""
    directory = get_ctx().policies.directory
    if current_app.config["PASSWORD_SIGN_IN"] == "local" or directory is None:
        return "email"
    return "email" if directory.login_attribute.lower() in ("mail", "userprincipalname") else "text"


@bp.post("/deconnexion")
def sign_out():
    """End every session of the person (epoch bumped) and return to the sign-in page."""
    db, _ctx, user = env()
    if user is not None and user.id is not None:
        people.end_sessions(db, user)
    session.clear()
    flash(_("Vous êtes déconnecté·e."), "success")
    return redirect(url_for("auth_pages.sign_in"), 303)
