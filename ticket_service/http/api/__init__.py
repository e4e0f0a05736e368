"""The JSON API under /api/v1: one blueprint, one permission table checked before every view."""

from __future__ import annotations

from flask import Blueprint, Flask, request
from werkzeug.routing import IntegerConverter

from ticket_service.auth.identity import current_user, role_of
from ticket_service.domain.errors import not_found
from ticket_service.domain.vocabulary import ROLES, STAFF_ROLES
from ticket_service.http.errors import ApiError, is_api_path

bp = Blueprint("api", __name__, url_prefix="/api/v1")
fallback = Blueprint("api_fallback", __name__)

ANYONE = frozenset(ROLES) | {"anonymous"}
SIGNED_IN = frozenset(ROLES)
STAFF = STAFF_ROLES
APPROVER = frozenset({"approver"})
# Not a person's role: the view checks a monitoring source's own token (http/api/alerts.py), nothing else opens it.
ALERT_SOURCE = frozenset({"alert_source"})

# Function-level permissions: endpoint → roles that may call it. Object-level checks (own ticket,
# designated approver) happen in the views through access.load_ticket. An endpoint missing here is denied.
PERMISSIONS: dict[str, frozenset[str]] = {
    "api.session_show": ANYONE,
    "api.session_create": ANYONE,
    "api.session_delete": SIGNED_IN,
    "api.openapi": ANYONE,
    "api.me": SIGNED_IN,
    "api.policies_show": ANYONE,  # the request form lists the catalogue before sign-in; no approver is named
    "api.tickets_list": SIGNED_IN,
    "api.tickets_create": SIGNED_IN,
    "api.ticket_show": SIGNED_IN,
    "api.ticket_update": STAFF,
    "api.history_list": STAFF,
    "api.comments_list": SIGNED_IN,
    "api.comments_create": SIGNED_IN,
    "api.attachments_list": SIGNED_IN,
    "api.attachments_create": SIGNED_IN,
    "api.attachment_download": SIGNED_IN,
    "api.transitions_create": SIGNED_IN,
    "api.escalations_create": STAFF,
    "api.approvals_list": SIGNED_IN,
    # An employee decides only as the requester's manager (`approvers: [manager]`): checked on the ticket, 404 otherwise.
    "api.approvals_create": APPROVER | {"employee"},
    "api.links_list": STAFF,
    "api.links_create": STAFF,
    "api.articles_list": SIGNED_IN,
    "api.articles_create": STAFF,
    "api.duplicates_list": STAFF,
    "api.merge_create": STAFF,
    "api.satisfaction_create": SIGNED_IN,
    "api.publication_create": STAFF,
    "api.delays_create": STAFF,  # the action refuses anyone else too (the desk form calls it)
    "api.incidents_similar": SIGNED_IN,
    "api.incidents_major": ANYONE,  # the banner shows before sign-in; public title/text only
    "api.incident_join": SIGNED_IN,
    "api.article_stats": ANYONE,
    "api.alerts_create": ALERT_SOURCE,
    "api_fallback.unknown": ANYONE,
    "suggest.suggest": ANYONE,  # http/api/suggest.py: employee-audience article suggestions
    # help sessions and deflection (http/api/events.py, metrics.py, help_tickets.py)
    "help.events_create": ANYONE,  # pseudonymous; the person is linked only when signed in
    "help.deflection_metrics": STAFF,  # team lead = a technician or admin (auth.ROLES has no other role)
    "help.panel_metrics": STAFF,  # dashboard panels: admins see every group, technicians their own (reports/options)
    "help.self_resolution_create": SIGNED_IN,  # object check: the requester of a new ticket
    "help.expected_response": SIGNED_IN,  # object check: the requester (or staff)
}


def _authorize():
    """Deny by default on every /api path, whatever blueprint serves it: unlisted 404, anonymous 401, other roles 403."""
    if not is_api_path(request.path):
        return
    allowed = PERMISSIONS.get(request.endpoint or "")
    if allowed is None:
        raise not_found()
    if allowed is ALERT_SOURCE:
        return  # a source's token is no person's: the view authenticates it, and it opens no other endpoint
    role = role_of(current_user())
    if role not in allowed:
        if role == "anonymous":
            raise ApiError(401, "unauthenticated", "Connexion requise.")
        raise ApiError(403, "forbidden", "Action non autorisée pour votre rôle.")


def _api_headers(response):
    """Every /api answer (any blueprint, errors included): never cached, never sniffed, never framed."""
    if is_api_path(request.path):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@fallback.route("/api", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@fallback.route("/api/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str):
    """Keep every /api path away from the site's catch-all."""
    raise not_found()


class BoundedInt(IntegerConverter):
    """``<int:…>`` ids stop at 2**31-1: larger ones match no route (404) instead of overflowing the database bind."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(url_map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    """Register the API (before the site's catch-all)."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(_authorize)
    app.after_request(_api_headers)
    from ticket_service.http.api import (  # noqa: F401  (routes)
        alerts, incidents, openapi, session, ticket_actions, ticket_items, tickets,
    )

    app.register_blueprint(bp)
    app.register_blueprint(fallback)
