"""Helpers shared by the API views: OpenAPI metadata, pagination, the request's context."""

from __future__ import annotations

import re
from typing import Callable

from flask import request
from sqlalchemy import func, select

from ticket_service.auth.identity import current_user
from ticket_service.http.errors import ApiError
from ticket_service.http.validation import Field
from ticket_service.runtime import get_ctx, get_session

PAGE_QUERY = {
    "page": Field("int", minimum=1, maximum=100_000, description="Page number, from 1."),
    "per_page": Field("int", minimum=1, maximum=100, description="Items per page (default 25)."),
}


def doc(summary: str, *, body: dict[str, Field] | Callable[[], dict[str, Field]] | None = None,
        query: dict[str, Field] | None = None, responses: dict[int, str] | None = None, multipart: bool = False,
        idempotent_create: bool = False, raw_body: Callable[[], dict] | None = None):
    """Attach OpenAPI metadata to a view (read by api/openapi.py); ``raw_body`` gives a JSON Schema of its own."""
    def wrap(view):
        view.openapi = {"summary": summary, "body": body, "query": query, "responses": responses or {},
                        "multipart": multipart, "idempotent_create": idempotent_create, "raw_body": raw_body}
        return view
    return wrap


def env():
    """Return (db session, context, current user) for a view."""
    return get_session(), get_ctx(), current_user()


def paginate(db, stmt, args: dict, render) -> dict:
    """Run a select page by page and return the list envelope."""
    page, per_page = args.get("page", 1), args.get("per_page", 25)
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [render(r) for r in rows], "page": page, "per_page": per_page, "total": total,
            "next_page": page + 1 if page * per_page < total else None}


_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")


def idempotency_key() -> str | None:
    """Return the request's Idempotency-Key, or None; 400 when it is malformed."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.match(key):
        raise ApiError(400, "invalid_idempotency_key", "En-tête Idempotency-Key invalide : 8 à 100 caractères parmi "
                       "lettres, chiffres, _ . : - (un UUID convient).")
    return key
