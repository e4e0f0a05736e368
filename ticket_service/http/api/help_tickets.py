"""What the request form needs on the employee's own new ticket: the expected response time and « Finalement c'est résolu »."""

from __future__ import annotations

from flask import jsonify

from ticket_service.actions import workflow
from ticket_service.auth.identity import is_staff
from ticket_service.domain.access import load_ticket
from ticket_service.domain.clock import iso
from ticket_service.domain.errors import not_found
from ticket_service.http.api.common import doc, env
from ticket_service.http.api.events import bp
from ticket_service.http.serializers import ticket_json
from ticket_service.http.validation import Field, read_json, validate

SELF_RESOLUTION = {"article_id": Field("str", min_len=1, max_len=120, nullable=True,
                                       description="The article that solved it, if any (counts in « résolu N fois »).")}


@bp.get("/tickets/<int:ticket_id>/expected-response")
@doc("When the requester can expect an answer: the priority and the SLA due instants (first response, resolution).")
def expected_response(ticket_id: int):
    db, ctx, user = env()
    ticket = load_ticket(db, ctx, user, ticket_id)
    if ticket.requester_id != user.id and not is_staff(user):  # an approver sees the request, not its clock
        raise not_found()
    target = ctx.policies.targets(ticket.priority, ticket.catalogue_item)
    return jsonify(ticket_id=ticket.id, priority=ticket.priority, status=ticket.status,
                   first_response_due=iso(ticket.first_response_due), resolution_due=iso(ticket.resolution_due),
                   business_hours={"first_response": target["first_response"], "resolution": target["resolution"]})


@bp.post("/tickets/<int:ticket_id>/self-resolution")
@doc("« Finalement c'est résolu » : the requester closes their own ticket as self-resolved, while no technician has "
     "taken it (status new).", body=SELF_RESOLUTION,
     responses={200: "closed", 403: "not the requester", 409: "already taken in hand or closed"})
def self_resolution_create(ticket_id: int):
    db, ctx, user = env()
    load_ticket(db, ctx, user, ticket_id)  # 404 for a ticket one may not see, before reading the body
    data = validate(read_json(), SELF_RESOLUTION)
    ticket = workflow.self_resolve(db, ctx, user, ticket_id, data.get("article_id"))
    return jsonify(ticket_json(db, ctx, user, ticket))
