"""Tickets: list (own tickets for employees), create (idempotent), show, update (staff), history."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import case, select

from ticket_service.actions import tickets as actions
from ticket_service.auth.identity import is_staff
from ticket_service.domain import sla, triage
from ticket_service.domain.access import load_ticket, visible_clause
from ticket_service.domain.duplicates import likely_duplicates
from ticket_service.domain.vocabulary import LEVELS, OPEN, PRIORITIES, PRIORITY_RANK, STATUSES
from ticket_service.http.api import bp
from ticket_service.http.api.common import PAGE_QUERY, doc, env, idempotency_key, paginate
from ticket_service.http.serializers import event_json, ticket_json
from ticket_service.http.ticket_fields import UPDATE_FIELDS, create_fields, policy_choices
from ticket_service.http.validation import Field, read_json, read_query, validate
from ticket_service.runtime import get_database
from ticket_service.store.models import Ticket, TicketEvent, TicketTag, utcnow

SORTS = {
    "created_at": Ticket.created_at, "updated_at": Ticket.updated_at, "resolution_due": Ticket.resolution_due,
    "priority": case(PRIORITY_RANK, value=Ticket.priority),
}


def list_query(staff: bool) -> dict[str, Field]:
    query = dict(PAGE_QUERY)
    query.update(status=Field("enum", choices=STATUSES), type=Field("enum", choices=policy_choices("request_types")),
                 priority=Field("enum", choices=PRIORITIES),
                 sort=Field("enum", choices=[s for k in SORTS for s in (k, "-" + k)]))
    if staff:
        query.update(level=Field("enum", choices=LEVELS), group=Field("enum", choices=policy_choices("groups")),
                     assignee_id=Field("int", minimum=1), requester_id=Field("int", minimum=1),
                     sla=Field("enum", choices=("breached", "at_risk")),
                     tag=Field("str", min_len=1, max_len=40,
                               description="A tag an automation rule set (« vpn »): the tickets carrying it."))
    return query


@bp.get("/tickets")
@doc("List tickets: employees their own; technicians all, with filters. Sort by an allowed field (prefix - for descending).",
     query=list_query(True))
def tickets_list():
    db, ctx, user = env()
    args = read_query(list_query(is_staff(user)))
    stmt = select(Ticket).where(visible_clause(ctx, user))
    for name in ("status", "type", "priority", "level", "group", "assignee_id", "requester_id"):
        if name in args:
            stmt = stmt.where(getattr(Ticket, name) == args[name])
    if "tag" in args:  # the desk's ?tag= queue: a rule's tag
        stmt = stmt.where(Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.tag == args["tag"])))
    if "sla" in args:  # the desk's « à risque » / « dépassé » queues and the SLA watch: one computation
        stmt = stmt.where(Ticket.id.in_(sla.queue_ids(db, ctx.clock.now(), ctx.policies, ctx.calendar)[args["sla"]]))
    sort = args.get("sort", "-created_at")
    column = SORTS[sort.lstrip("-")]
    stmt = stmt.order_by(column.desc() if sort.startswith("-") else column.asc(), Ticket.id.desc())
    now = utcnow()
    return jsonify(paginate(db, stmt, args, lambda t: ticket_json(db, ctx, user, t, now)))


@bp.post("/tickets")
@doc("Create a ticket. Send an Idempotency-Key header (a UUID per form) so a retry never makes a second ticket.",
     body=lambda: create_fields(True), idempotent_create=True,
     responses={201: "created (or replayed: Idempotent-Replayed: true)", 422: "invalid fields or key reused"})
def tickets_create():
    db, ctx, user = env()
    data = validate(read_json(), create_fields(is_staff(user)))
    created = actions.create_ticket(db, ctx, user, data, key=idempotency_key(), channel="api")
    ticket = created.ticket
    headers = {"Location": f"/api/v1/tickets/{ticket.id}"}
    if created.replayed:
        return jsonify(ticket_json(db, ctx, user, ticket)), 201, {**headers, "Idempotent-Replayed": "true"}
    with get_database().reader() as reader:  # rendered on a read session: no second write lock after COMMIT
        body = ticket_json(reader, ctx, user, ticket)
        if is_staff(user):
            body["likely_duplicates"] = [{"id": t.id, "title": t.title, "score": s}
                                         for t, s in likely_duplicates(reader, ticket)]
    return jsonify(body), 201, headers


@bp.get("/tickets/<int:ticket_id>")
@doc("Return one ticket (404 when it does not exist or is not yours); technicians also get its `tags` and the "
     "`triage` suggestions (category, group: value, confidence, model, applied, pending).")
def ticket_show(ticket_id: int):
    db, ctx, user = env()
    ticket = load_ticket(db, ctx, user, ticket_id)
    body = ticket_json(db, ctx, user, ticket)
    if is_staff(user):  # the desk's extras (lists leave them out: one query per ticket; filter with ?tag=)
        body["tags"] = [{"tag": t.tag, "rule": t.rule} for t in db.scalars(
            select(TicketTag).where(TicketTag.ticket_id == ticket.id).order_by(TicketTag.tag))]
        suggestions = triage.suggestions_of(db, ticket.id)
        waiting = triage.pending(ticket, suggestions) if ticket.status in OPEN else []
        body["triage"] = {name: {"value": s.value, "confidence": round(s.confidence, 3), "model": s.model_version,
                                 "applied": s.applied, "auto": s.auto, "pending": name in waiting}
                          for name, s in sorted(suggestions.items())}
    return jsonify(body)


@bp.patch("/tickets/<int:ticket_id>")
@doc("Update a ticket (technicians): text, category, impact/urgency (priority recomputed), assignee, group of the same level.",
     body=UPDATE_FIELDS)
def ticket_update(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), UPDATE_FIELDS)
    ticket = actions.update_ticket(db, ctx, user, ticket_id, data)
    return jsonify(ticket_json(db, ctx, user, ticket))


@bp.get("/tickets/<int:ticket_id>/history")
@doc("Return the audit history (technicians): who changed what, when, old → new, why.", query=PAGE_QUERY)
def history_list(ticket_id: int):
    db, ctx, user = env()
    args = read_query(PAGE_QUERY)
    load_ticket(db, ctx, user, ticket_id)
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return jsonify(paginate(db, stmt, args, event_json))
