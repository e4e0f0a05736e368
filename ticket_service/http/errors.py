"""The one JSON error envelope of the API: ``{"error": {"code", "message", "fields"}}``, for domain refusals too."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ticket_service.domain.errors import (
    Conflict, DomainError, Forbidden, Invalid, Malformed, NotFound, StorageFull, TooLarge, TooMany, Unsupported,
)
from ticket_service.http.request_log import request_id

log = logging.getLogger(__name__)

# HTTP status → (code, French message) for errors raised by Flask/Werkzeug themselves.
_HTTP = {
    400: ("bad_request", "Requête invalide."),
    401: ("unauthenticated", "Connexion requise."),
    403: ("forbidden", "Action non autorisée."),
    404: ("not_found", "Ressource introuvable."),
    405: ("method_not_allowed", "Méthode non autorisée sur cette adresse."),
    409: ("conflict", "Conflit avec l'état actuel."),
    413: ("payload_too_large", "Contenu trop volumineux."),
    415: ("unsupported_media_type", "Type de contenu non pris en charge."),
    422: ("invalid_fields", "Certains champs sont invalides."),
    429: ("too_many_requests", "Trop de tentatives : réessayez plus tard."),
    431: ("headers_too_large", "En-têtes trop volumineux."),
}


# Domain refusal → HTTP status: the one place where the rules meet HTTP.
STATUS: dict[type[DomainError], int] = {
    Malformed: 400, Forbidden: 403, NotFound: 404, Conflict: 409, TooLarge: 413, Unsupported: 415, Invalid: 422,
    TooMany: 429, StorageFull: 507,
}


class ApiError(DomainError):
    """A refusal of the HTTP layer itself (bad JSON, bad header, CSRF), with its own status."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None):
        super().__init__(code, message, fields)
        self.status = status
        self.headers = headers or {}


def status_of(exc: DomainError) -> int:
    """Return the HTTP status of a refusal."""
    if isinstance(exc, ApiError):
        return exc.status
    return next((status for cls, status in STATUS.items() if isinstance(exc, cls)), 400)


def headers_of(exc: DomainError) -> dict:
    """Return the headers a refusal carries (Retry-After for limits)."""
    if isinstance(exc, ApiError):
        return exc.headers
    if isinstance(exc, TooMany):
        return {"Retry-After": str(exc.retry_after)}
    return {}


def envelope(status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None):
    """Build the error response."""
    response = jsonify(error={"code": code, "message": message, "fields": fields or {}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def is_api_path(path: str) -> bool:
    """True for /api and everything under it (never the site's pages)."""
    return path == "/api" or path.startswith("/api/")


def _is_api() -> bool:
    return is_api_path(request.path)


def _error_page(reference: str) -> str:
    """The page that hides the details: a human message and the reference to give the support."""
    try:
        return render_template("error.html", code=500, reference=reference)
    except Exception:  # the page itself may be what broke (database down under the menu): plain text then
        log.exception("the error page could not be rendered for %s", reference)
        return f"Erreur interne. Référence de l'erreur : {reference}"


def init_app(app: Flask) -> None:
    """Map every error under /api to the envelope; never let a traceback or SQL reach the client."""

    @app.errorhandler(DomainError)
    def _refused(exc: DomainError):
        return envelope(status_of(exc), exc.code, exc.message, exc.fields, headers_of(exc))

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        if not _is_api():
            return exc
        return envelope(403, "csrf_failed", "Jeton CSRF absent ou invalide : rechargez la page "
                        "(GET /api/v1/session donne le jeton à envoyer dans l'en-tête X-CSRFToken).")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if not _is_api():
            return exc
        code, message = _HTTP.get(exc.code or 500, ("http_error", exc.name))
        headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else None
        return envelope(exc.code or 500, code, message, headers=headers)

    @app.errorhandler(OperationalError)
    def _storage(exc: OperationalError):
        # SQLITE_BUSY after busy_timeout, or a lost PostgreSQL connection: retryable, never a 500 or a 201.
        log.warning("storage unavailable: %s", exc.orig)
        if not _is_api():
            return "Service momentanément indisponible.", 503, {"Retry-After": "2"}
        return envelope(503, "storage_busy", "Service momentanément surchargé : réessayez dans quelques secondes.",
                        headers={"Retry-After": "2"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, (UnicodeError, RecursionError)):  # hostile input that slipped past validation
            if _is_api():
                return envelope(400, "bad_request", "Requête invalide.")
            return "Requête invalide.", 400
        incident = request_id() or uuid.uuid4().hex  # the X-Request-Id of the answer and of the log lines
        log.exception("unexpected error %s", incident)
        if not _is_api():
            return _error_page(incident), 500
        return envelope(500, "internal_error", f"Erreur interne (référence de l'erreur : {incident}).")
