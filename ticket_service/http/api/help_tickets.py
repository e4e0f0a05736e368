"""What the request form needs on the employee's own new ticket: the expected response time and « Finalement c'est résolu »."""

from __future__ import annotations

from flask import jsonify

from ticket_service.domain import transitions, sla
from ticket_service.domain.access import load_ticket
from ticket_service.auth.identity import is_staff
from ticket_service.domain.context import ARTICLE_ID
from ticket_service.http.errors import ApiError, not_found
from ticket_service.store.models import utcnow
from ticket_service.http.serializers import iso, ticket_json
from ticket_service.http.validation import Field, read_json, validate
from ticket_service.http.api.common import doc, env
from ticket_service.http.api.events import bp

SELF_RESOLUTION = {"article_id": Field("str", min_len=1, max_len=120, nullable=True,
                                       description="The article that solved it, if any (counts in « résolu N fois »).")}


@bp.get("/tickets/<int:ticket_id>/expected-response")
@doc("When the requester can expect an answer: the priority and the SLA due instants (first response, resolution).")
def expected_response(ticket_id: int):
    db, ctx, user = env()
    ticket = load_ticket(db, ctx, user, ticket_id)
    if ticket.requester_id != user.id and not is_staff(user):  # an approver sees the request, not its clock
        raise not_found()
    target = ctx.policies.sla[ticket.priority]
    return jsonify(ticket_id=ticket.id, priority=ticket.priority, status=ticket.status,
                   first_response_due=iso(ticket.first_response_due), resolution_due=iso(ticket.resolution_due),
                   business_hours={"first_response": target["first_response"], "resolution": target["resolution"]})


@bp.post("/tickets/<int:ticket_id>/self-resolution")
@doc("« Finalement c'est résolu » : the requester closes their own ticket as self-resolved, while no technician has "
     "taken it (status new).", body=SELF_RESOLUTION,
     responses={200: "closed", 403: "not the requester", 409: "already taken in hand or closed"})
def self_resolution_create(ticket_id: int):
    db, ctx, user = env()
    ticket = load_ticket(db, ctx, user, ticket_id, for_update=True)
    data = validate(read_json(), SELF_RESOLUTION)
    if ticket.requester_id != user.id:
        raise ApiError(403, "forbidden", "Seul le demandeur peut déclarer sa demande résolue.")
    if ticket.status != "new" or ticket.type not in ("incident", "service_request"):
        raise ApiError(409, "invalid_transition", "Un technicien a déjà pris la demande en charge : répondez-lui plutôt.")
    article = data.get("article_id")
    if article is not None and not ARTICLE_ID.match(article):
        raise ApiError(422, "invalid_fields", "Fiche inconnue.", {"article_id": "identifiant de fiche invalide"})
    now = utcnow()
    # Not a TRANSITIONS move (new → closed is the system's for merges): a narrow, audited shortcut for the requester.
    ticket.resolution_note = "Résolu par le demandeur" + (f" avec la fiche {article}." if article else ".")
    ticket.resolved_at = ticket.closed_at = ticket.updated_at = now
    ticket.first_contact_resolution = None  # no technician contact to judge
    sla.pause(ticket, now, keep_due=True)
    if article:
        transitions.link_article(db, ctx, ticket, user, article, now)
    transitions.record(db, ticket, user, "status", "new", "closed", "résolu par le demandeur (libre-service)", now=now)
    ticket.status = "closed"
    db.commit()
    return jsonify(ticket_json(db, ctx, user, ticket))
