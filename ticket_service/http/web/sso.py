"""OpenID Connect pages: /connexion/sso sends the browser to the provider, /connexion/sso/retour signs the person in."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, request, session
from flask_babel import gettext as _

from ticket_service.actions import sso as sso_actions
from ticket_service.auth import oidc
from ticket_service.auth.identity import sign_in as start_session
from ticket_service.domain.errors import DomainError
from ticket_service.http.web.auth_pages import sign_in_page
from ticket_service.http.web.common import env, home_for, safe_next

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)
NEXT_KEY = "sso_next"


def _refusals() -> dict[str, str]:
    """What each refusal tells the person (the log keeps the technical reason)."""
    return {
        "sso_inactive": _("Ce compte est désactivé : adressez-vous à l'équipe informatique."),
        "sso_no_account": _("Aucun compte Guichet pour cette adresse : demandez à l'équipe informatique de le créer."),
        "sso_no_email": _("Le fournisseur d'identité n'a pas donné d'adresse e-mail : la connexion est impossible."),
        "sso_email_unverified": _("Le fournisseur d'identité n'a pas vérifié votre adresse e-mail : la connexion est "
                                  "impossible."),
        "sso_already_linked": _("Ce compte Guichet est déjà lié à un autre compte du fournisseur : adressez-vous à "
                                "l'équipe informatique."),
    }


@bp.get("/connexion/sso")
def start():
    """Send the browser to the provider's sign-in (404 when OpenID Connect is not set up)."""
    if not oidc.enabled():
        abort(404)
    wanted = safe_next(request.args.get("next"), "")
    try:
        response = oidc.authorize_redirect()
    except oidc.OidcRefused as exc:
        log.warning("OIDC sign-in could not start: %r", str(exc))
        flash(_("Le fournisseur d'identité ne répond pas : réessayez dans un instant."), "error")
        return sign_in_page(503, wanted=wanted)
    session[NEXT_KEY] = wanted
    return response


@bp.get("/connexion/sso/retour")
def callback():
    """Check the provider's answer and its id token, find the person, and start a fresh session."""
    if not oidc.enabled():
        abort(404)
    wanted = session.pop(NEXT_KEY, "")
    try:
        claims = oidc.verified_claims()
    except oidc.OidcRefused as exc:
        log.warning("OIDC sign-in refused from %s: %r", request.remote_addr, str(exc))  # repr: no forged log lines
        flash(_("La connexion unique a échoué : réessayez, et prévenez l'équipe informatique si cela continue."),
              "error")
        return sign_in_page(401, wanted=wanted)
    db, ctx, _user = env()
    try:
        person = sso_actions.sign_in_identity(
            db, issuer=claims.issuer, subject=claims.subject, email=claims.email, email_verified=claims.email_verified,
            name=claims.name, allow_create=bool(current_app.config.get("OIDC_CREATE_PEOPLE")), now=ctx.clock.now())
    except DomainError as exc:
        log.warning("OIDC sign-in of %r at %s refused: %s", claims.subject, claims.issuer, exc.code)
        flash(_refusals().get(exc.code, exc.message), "error")
        return sign_in_page(403, wanted=wanted)
    start_session(person)  # a new session: nothing of the anonymous one (nor Authlib's state) survives
    return redirect(safe_next(wanted, home_for(person)), 303)

