"""Published incidents for employees (similar, banner feed, "moi aussi") and per-article resolution counts."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ticket_service.http import banner
from ticket_service.domain.context import ARTICLE_ID
from ticket_service.domain.duplicates import similar_published
from ticket_service.http.errors import ApiError, not_found
from ticket_service.domain.transitions import OPEN
from ticket_service.store.models import ArticleLink, IncidentFollower, Ticket
from ticket_service.http.serializers import public_incident_json
from ticket_service.http.validation import Field, read_json, validate
from ticket_service.http.api import bp
from ticket_service.http.api.common import doc, env

SIMILAR = {"text": Field("str", required=True, min_len=3, max_len=2000)}


@bp.post("/incidents/similar")
@doc("Published incidents resembling the text typed in the request form (public title and text only).", body=SIMILAR)
def incidents_similar():
    db, ctx, user = env()
    data = validate(read_json(), SIMILAR)
    return jsonify(items=[public_incident_json(t, s) for t, s in similar_published(db, data["text"])])


@bp.get("/incidents/major")
@doc("The known-issue banner feed: published open incidents, major first (public title and text only; "
     "cached BANNER_CACHE_SECONDS; readable before signing in).")
def incidents_major():
    db, ctx, user = env()
    return jsonify(items=banner.major_feed(db))  # issue 5: cached briefly, public fields only (see banner.py)


@bp.post("/incidents/<int:ticket_id>/join")
@doc("Join a published incident (« moi aussi ») instead of opening a ticket; joining twice is harmless.",
     responses={201: "joined", 200: "already joined", 404: "not a published open incident"})
def incident_join(ticket_id: int):
    db, ctx, user = env()
    ticket = db.get(Ticket, ticket_id)
    if ticket is None or not ticket.published or ticket.status not in OPEN:
        raise not_found()
    existing = db.scalar(select(IncidentFollower).where(IncidentFollower.ticket_id == ticket_id,
                                                        IncidentFollower.person_id == user.id))
    if existing is not None:
        return jsonify({**public_incident_json(ticket), "joined": True}), 200
    db.add(IncidentFollower(ticket_id=ticket_id, person_id=user.id))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return jsonify({**public_incident_json(ticket), "joined": True}), 200
    return jsonify({**public_incident_json(ticket), "joined": True}), 201


@bp.get("/articles/<string:article_id>/stats")
@doc("How many tickets were resolved with this article (« résolu N fois »).")
def article_stats(article_id: str):
    if not ARTICLE_ID.match(article_id) or len(article_id) > 120:
        raise ApiError(404, "not_found", "Fiche introuvable.")
    db, ctx, user = env()
    count = db.scalar(select(func.count(func.distinct(ArticleLink.ticket_id))).join(Ticket, Ticket.id == ArticleLink.ticket_id)
                      .where(ArticleLink.article_id == article_id, Ticket.status.in_(("resolved", "closed"))))
    return jsonify(article_id=article_id, resolved_count=count)
