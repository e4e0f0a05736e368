"""Published incidents for employees (similar, banner feed, "moi aussi") and per-article resolution counts."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import func, select

from ticket_service.actions import tickets as actions
from ticket_service.domain.duplicates import similar_published
from ticket_service.domain.errors import NotFound
from ticket_service.domain.vocabulary import ARTICLE_ID, DONE
from ticket_service.http import banner
from ticket_service.http.api import bp
from ticket_service.http.api.common import doc, env
from ticket_service.http.serializers import public_incident_json
from ticket_service.http.validation import Field, read_json, validate
from ticket_service.store.models import ArticleLink, Ticket

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
    return jsonify(items=banner.major_feed(db))  # cached briefly, public fields only (see banner.py)


@bp.post("/incidents/<int:ticket_id>/join")
@doc("Join a published incident (« moi aussi ») instead of opening a ticket; joining twice is harmless.",
     responses={201: "joined", 200: "already joined", 404: "not a published open incident"})
def incident_join(ticket_id: int):
    db, ctx, user = env()
    ticket, joined = actions.join_incident(db, ctx, user, ticket_id)
    return jsonify({**public_incident_json(ticket), "joined": True}), 201 if joined else 200


@bp.get("/articles/<string:article_id>/stats")
@doc("How many tickets were resolved with this article (« résolu N fois »).")
def article_stats(article_id: str):
    if not ARTICLE_ID.match(article_id) or len(article_id) > 120:
        raise NotFound("not_found", "Fiche introuvable.")
    db, ctx, user = env()
    count = db.scalar(select(func.count(func.distinct(ArticleLink.ticket_id))).join(Ticket, Ticket.id == ArticleLink.ticket_id)
                      .where(ArticleLink.article_id == article_id, Ticket.status.in_(DONE)))
    return jsonify(article_id=article_id, resolved_count=count)
