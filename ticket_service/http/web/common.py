"""What every page needs: who may open it, safe redirects, labels and the HTML face of domain errors."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from ticket_service.auth.identity import current_user, is_staff
from ticket_service.domain.access import load_ticket
from ticket_service.domain.errors import DomainError, Forbidden, NotFound
from ticket_service.http.errors import ApiError
from ticket_service.http.validation import check_text, parse_id
from ticket_service.runtime import get_ctx, get_session

STATUS_LABELS = {
    "new": _l("Nouveau"), "in_progress": _l("En cours"), "waiting": _l("En attente"),
    "awaiting_approval": _l("En attente de validation"), "resolved": _l("Résolu"), "closed": _l("Clos"),
    "rejected": _l("Refusé"), "cancelled": _l("Annulé"),
}
TYPE_LABELS = {"incident": _l("Incident"), "problem": _l("Problème"), "service_request": _l("Demande de service"),
               "access_request": _l("Demande d'accès")}
FIELD_LABELS = {"status": _l("Statut"), "assignee_id": _l("Assigné"), "level": _l("Niveau"), "group": _l("Groupe"),
                "priority": _l("Priorité"), "impact": _l("Impact"), "urgency": _l("Urgence"), "category": _l("Catégorie"),
                "type": _l("Type"), "article": _l("Fiche liée"), "approval": _l("Validation"),
                "caused_by": _l("Lié au problème"), "duplicate_of": _l("Doublon de"), "related": _l("Lié à"),
                "published": _l("Publié"), "major": _l("Incident majeur"), "public_title": _l("Titre public"),
                "public_text": _l("Texte public"), "attachment": _l("Pièce jointe"),
                "satisfaction_rating": _l("Satisfaction"), "sla": _l("Engagement (SLA)"),
                "delay_first_response": _l("Délai annoncé : première réponse"),
                "delay_resolution": _l("Délai annoncé : résolution"),
                "rule": _l("Règle automatique"), "tag": _l("Étiquette"), "notification": _l("Avis envoyé")}
# What the SLA watch writes in a ticket's history (« resolution: breached », « notify_group_lead: <e-mail> »).
SLA_HISTORY = {"first_response: breached": _l("délai de première réponse dépassé"),
               "resolution: breached": _l("délai de résolution dépassé"),
               "notify_group_lead": _l("responsable du groupe prévenu : %(who)s")}


def sla_history_value(value: str) -> str:
    """Return an SLA history value in the reader's language (unknown values as they are)."""
    step, _sep, argument = value.partition(": ")
    if step == "notify_group_lead":
        return str(SLA_HISTORY[step]) % {"who": argument}
    return str(SLA_HISTORY.get(value, value))


def safe_next(value: str | None, default: str) -> str:
    """Return value when it is a same-origin relative path ("/x", never "//x", "/\\x" or a scheme), else default."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):  # control characters and spaces confuse parsers
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def home_for(user) -> str:
    """Return where a person lands after signing in."""
    return url_for("desk.queue") if is_staff(user) else url_for("portal.requests")


def signed_in(view):
    """Send anonymous visitors to the sign-in page, then back here."""
    @functools.wraps(view)
    def wrapped(**kwargs):
        if current_user() is None:
            target = request.full_path if request.method == "GET" else request.path
            return redirect(url_for("auth_pages.sign_in", next=target.rstrip("?")))
        return view(**kwargs)
    return wrapped


def staff_only(view):
    """Technicians and admins only: everyone else gets 403 (an employee never reaches the desk)."""
    @functools.wraps(view)
    @signed_in
    def wrapped(**kwargs):
        if not is_staff(current_user()):
            abort(403)
        return view(**kwargs)
    return wrapped


def env():
    """Return (db session, context, signed-in person) for a page."""
    return get_session(), get_ctx(), current_user()


def ticket_for(ticket_id: int, *, for_update: bool = False):
    """Load a ticket the person may see (404 otherwise) and remember where a failed action goes back to."""
    db, ctx, user = env()
    return load_ticket(db, ctx, user, ticket_id, for_update=for_update)


def back_to(endpoint: str, **values) -> None:
    """Name the page a failed POST returns to (with the error flashed)."""
    g.back_to = url_for(endpoint, **values)


def handle_domain_error(exc: DomainError):
    """Show a domain refusal as a page: 404/403 pages, otherwise the message flashed on the previous page."""
    if isinstance(exc, NotFound):
        return render_template("error.html", code=404), 404
    if isinstance(exc, Forbidden) and request.method == "GET":
        return render_template("error.html", code=403), 403
    message = exc.message
    if exc.fields:
        message += " (" + "; ".join(f"{k} : {v}" for k, v in exc.fields.items()) + ")"
    flash(message, "error")
    return redirect(g.get("back_to") or url_for("auth_pages.sign_in")), 303


def done(message: str, endpoint: str, **values):
    """Flash a success and redirect (303: the browser GETs the page, a reload never re-posts)."""
    flash(message, "success")
    return redirect(url_for(endpoint, **values)), 303


def form_text(name: str, max_len: int = 10_000) -> str:
    """Return a trimmed form field, bounded in size; NUL and lone surrogates refused, as the API refuses them."""
    value = check_text((request.form.get(name) or "").strip())
    if len(value) > max_len:
        raise ApiError(422, "invalid_fields", "Texte trop long.", {name: f"au plus {max_len} caractères"})
    return value


def form_int(name: str) -> int | None:
    """Return a form field as a positive int (None when empty); 422 when not a number."""
    raw = (request.form.get(name) or "").strip().lstrip("#")
    if not raw:
        return None
    number = parse_id(raw)
    if number is None:
        raise ApiError(422, "invalid_fields", "Numéro invalide.", {name: "nombre entier attendu"})
    return number
