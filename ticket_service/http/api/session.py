"""Sign-in for the browser (session cookie + CSRF token), the caller's profile and the public policies."""

from __future__ import annotations

from flask import jsonify, session
from flask_wtf.csrf import generate_csrf

from ticket_service.actions import people
from ticket_service.auth.identity import authenticate, sign_in
from ticket_service.domain.policies import CatalogueItem
from ticket_service.http.api import bp
from ticket_service.http.api.common import doc, env
from ticket_service.http.serializers import person_json
from ticket_service.http.validation import Field, read_json, validate

LOGIN = {
    "email": Field("str", required=True, min_len=3, max_len=254),
    "password": Field("str", required=True, min_len=1, max_len=1024),
}


@bp.get("/session")
@doc("Return the CSRF token (send it as X-CSRFToken on every write) and the signed-in person, if any.")
def session_show():
    db, ctx, user = env()
    return jsonify(csrf_token=generate_csrf(), user=person_json(user, ctx) if user else None)


@bp.post("/session")
@doc("Sign in with e-mail and password; starts a new session and returns a new CSRF token.", body=LOGIN,
     responses={200: "signed in", 401: "invalid_credentials", 403: "local_passwords_off",
                429: "too_many_attempts"})
def session_create():
    data = validate(read_json(), LOGIN)
    db, ctx, _ = env()
    user = authenticate(data["email"], data["password"])
    sign_in(user)
    return jsonify(csrf_token=generate_csrf(), user=person_json(user, ctx))


@bp.delete("/session")
@doc("Sign out: ends every session of this person (their session epoch is bumped).", responses={204: "signed out"})
def session_delete():
    db, ctx, user = env()
    people.end_sessions(db, user)
    session.clear()
    return "", 204


@bp.get("/me")
@doc("Return the signed-in person (technicians: level and groups).")
def me():
    db, ctx, user = env()
    return jsonify(person_json(user, ctx))


@bp.get("/policies")
@doc("Return what forms need from helpdesk.yml: types, categories, scales, matrix, and the service catalogue with each "
     "item's fields (open to anyone: the request form shows the catalogue before sign-in; approvers are not listed).")
def policies_show():
    db, ctx, user = env()
    p = ctx.policies
    return jsonify(
        request_types=p.request_types, categories=p.categories, impact=p.impact, urgency=p.urgency,
        priority_matrix=p.priority_matrix, satisfaction_enabled=p.satisfaction_enabled,
        timezone=p.organisation.timezone, catalogue=[catalogue_item_json(item) for item in p.catalogue.values()],
    )


def catalogue_item_json(item: CatalogueItem) -> dict:
    """Return a catalogue item as the form shows it: its words, type, category, quorum and typed fields."""
    return {"id": item.id, "label": item.label, "description": item.description, "category": item.category,
            "type": item.type, "quorum": item.quorum, "priority": item.priority,
            "fields": [{"id": f.id, "label": f.label, "type": f.type, "required": f.required, "help": f.help,
                        "options": [{"id": k, "label": v} for k, v in f.options.items()],
                        "max_length": f.max_length, "min": f.minimum, "max": f.maximum, "min_days": f.min_days}
                       for f in item.fields]}
