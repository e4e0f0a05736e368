"""Tickets: list (own tickets for employees), create (idempotent), show, update (staff), history."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError

from ticket_service.store import idempotency
from ticket_service.domain import transitions, sla
from ticket_service.domain.access import load_ticket, visible_clause
from ticket_service.auth.identity import is_staff
from ticket_service.runtime import get_ctx
from ticket_service.runtime import get_database
from ticket_service.domain.duplicates import likely_duplicates
from ticket_service.http.errors import ApiError
from ticket_service.store.models import Person, Ticket, TicketEvent, utcnow
from ticket_service.http.serializers import event_json, ticket_json
from ticket_service.http.validation import Field, read_json, read_query, validate
from ticket_service.http.api import bp
from ticket_service.http.api.common import PAGE_QUERY, doc, env, paginate

SORTS = {
    "created_at": Ticket.created_at, "updated_at": Ticket.updated_at, "resolution_due": Ticket.resolution_due,
    "priority": case({"P1": 1, "P2": 2, "P3": 3, "P4": 4}, value=Ticket.priority),
}


def _policy(name):
    return lambda: list(getattr(get_ctx().policies, name))


def create_fields(staff: bool) -> dict[str, Field]:
    """Writable fields on create: an allow-list per role (anything else is 400)."""
    types = ("incident", "service_request", "access_request") + (("problem",) if staff else ())
    fields = {
        "title": Field("str", required=True, min_len=3, max_len=200),
        "description": Field("str", required=True, min_len=3, max_len=10_000),
        "type": Field("enum", choices=types),
        "category": Field("enum", choices=_policy("categories"), nullable=True),
        "impact": Field("enum", choices=_policy("impact")),
        "urgency": Field("enum", choices=_policy("urgency")),
        "catalogue_item": Field("enum", choices=lambda: list(get_ctx().policies.catalogue), nullable=True),
        "help_session_id": Field("str", min_len=1, max_len=64, nullable=True),
    }
    if staff:
        fields["requester_id"] = Field("int", minimum=1, description="Create on behalf of someone (technicians).")
    return fields


UPDATE_FIELDS = {
    "title": Field("str", min_len=3, max_len=200),
    "description": Field("str", min_len=3, max_len=10_000),
    "category": Field("enum", choices=_policy("categories"), nullable=True),
    "impact": Field("enum", choices=_policy("impact")),
    "urgency": Field("enum", choices=_policy("urgency")),
    "assignee_id": Field("int", minimum=1, nullable=True),
    "group": Field("enum", choices=_policy("groups"), description="Another group of the same level."),
}


def list_query(staff: bool) -> dict[str, Field]:
    query = dict(PAGE_QUERY)
    query.update(status=Field("enum", choices=transitions.STATES), type=Field("enum", choices=_policy("request_types")),
                 priority=Field("enum", choices=("P1", "P2", "P3", "P4")),
                 sort=Field("enum", choices=[s for k in SORTS for s in (k, "-" + k)]))
    if staff:
        query.update(level=Field("enum", choices=("N1", "N2", "N3")), group=Field("enum", choices=_policy("groups")),
                     assignee_id=Field("int", minimum=1), requester_id=Field("int", minimum=1),
                     sla=Field("enum", choices=("breached", "at_risk")))
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
    if "sla" in args:
        now = utcnow()
        stmt = stmt.where(sla.breached_clause(now) if args["sla"] == "breached" else sla.at_risk_clause(now))
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
    key = idempotency.header_key()
    digest = idempotency.fingerprint(data)
    if key is not None:
        replay = idempotency.replayed_id(db, user.id, key, "tickets", digest)
        if replay is not None:
            return _replay(db, ctx, user, replay)
    requester = user
    if "requester_id" in data:
        requester = db.get(Person, data.pop("requester_id"))
        if requester is None or not requester.active:
            raise ApiError(422, "invalid_fields", "Demandeur inconnu.", {"requester_id": "personne inconnue ou désactivée"})
    ticket = transitions.create_ticket(db, ctx, requester, data)
    body = ticket_json(db, ctx, user, ticket)  # rendered inside the transaction: no second write lock after COMMIT
    try:
        if key is not None:
            idempotency.remember(db, user.id, key, "tickets", digest, ticket.id)
        db.commit()  # 201 only after COMMIT returned
    except IntegrityError:  # a concurrent twin with the same key committed first (PostgreSQL)
        db.rollback()
        replay = idempotency.replayed_id(db, user.id, key, "tickets", digest) if key else None
        if replay is None:
            raise
        return _replay(db, ctx, user, replay)
    if is_staff(user):  # similarity runs outside the write lock, on a read session
        with get_database().reader() as reader:
            body["likely_duplicates"] = [{"id": t.id, "title": t.title, "score": s}
                                         for t, s in likely_duplicates(reader, ticket)]
    return jsonify(body), 201, {"Location": f"/api/v1/tickets/{ticket.id}"}


def _replay(db, ctx, user, ticket_id: int):
    ticket = load_ticket(db, ctx, user, ticket_id)
    return jsonify(ticket_json(db, ctx, user, ticket)), 201, {
        "Location": f"/api/v1/tickets/{ticket.id}", "Idempotent-Replayed": "true"}


@bp.get("/tickets/<int:ticket_id>")
@doc("Return one ticket (404 when it does not exist or is not yours).")
def ticket_show(ticket_id: int):
    db, ctx, user = env()
    return jsonify(ticket_json(db, ctx, user, load_ticket(db, ctx, user, ticket_id)))


@bp.patch("/tickets/<int:ticket_id>")
@doc("Update a ticket (technicians): text, category, impact/urgency (priority recomputed), assignee, group of the same level.",
     body=UPDATE_FIELDS)
def ticket_update(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), UPDATE_FIELDS)
    ticket = load_ticket(db, ctx, user, ticket_id, for_update=True)
    transitions.update_ticket(db, ctx, ticket, user, data)
    db.commit()
    return jsonify(ticket_json(db, ctx, user, ticket))


@bp.get("/tickets/<int:ticket_id>/history")
@doc("Return the audit history (technicians): who changed what, when, old → new, why.", query=PAGE_QUERY)
def history_list(ticket_id: int):
    db, ctx, user = env()
    args = read_query(PAGE_QUERY)
    load_ticket(db, ctx, user, ticket_id)
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return jsonify(paginate(db, stmt, args, event_json))
