"""Ticket actions: transitions, escalation, approvals, links, articles, duplicates, merge, satisfaction, publication."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import or_, select

from ticket_service.actions import delays as delay_actions
from ticket_service.actions import tickets as ticket_actions
from ticket_service.actions import workflow
from ticket_service.auth.identity import is_staff
from ticket_service.domain import delays, transitions
from ticket_service.domain.access import load_ticket
from ticket_service.domain.duplicates import likely_duplicates
from ticket_service.domain.vocabulary import (
    ARTICLE_ID, COMMENT, DECISIONS, ESCALATION_REASON, LINK_KINDS, PUBLIC_TEXT, PUBLIC_TITLE, RATING_COMMENT, REASON,
    STATUSES,
)
from ticket_service.http.api import bp
from ticket_service.http.api.common import doc, env
from ticket_service.http.errors import ApiError
from ticket_service.http.serializers import approval_json, article_link_json, delay_json, link_json, ticket_json
from ticket_service.http.validation import Field, read_json, validate
from ticket_service.store.models import Approval, ArticleLink, Person, TicketLink

TRANSITION = {
    "to": Field("enum", required=True, choices=STATUSES),
    "reason": Field("str", min_len=REASON[0], max_len=REASON[1], nullable=True),
    "note": Field("str", max_len=COMMENT[1], description="Resolution note (to=resolved)."),
    "articles": Field("strs", description="KB article ids used to resolve (to=resolved)."),
    "kb_gap": Field("bool", description="No article fits: a gap in the knowledge base (to=resolved)."),
    "resolve_incidents": Field("bool", description="Problems: also resolve the linked open incidents."),
}
ESCALATION = {"reason": Field("str", required=True, min_len=ESCALATION_REASON[0], max_len=ESCALATION_REASON[1])}
DECISION = {"decision": Field("enum", required=True, choices=DECISIONS),
            "comment": Field("str", max_len=REASON[1], nullable=True)}
LINK = {"target_id": Field("int", required=True, minimum=1),
        "kind": Field("enum", required=True, choices=LINK_KINDS)}
ARTICLE = {"article_id": Field("str", required=True, min_len=1, max_len=120)}
MERGE = {"into": Field("int", required=True, minimum=1)}
RATING = {"rating": Field("int", required=True, minimum=1, maximum=5),
          "comment": Field("str", max_len=RATING_COMMENT[1], nullable=True)}
DELAY = {"due_at": Field("str", required=True, min_len=10, max_len=40,
                         description="The new date, ISO 8601: with an offset, or local time in the org's time zone."),
         "reason": Field("str", required=True, min_len=REASON[0], max_len=REASON[1],
                         description="Why (shown and mailed to the requester), e.g. « pièce commandée »."),
         "kind": Field("enum", choices=delays.KINDS, description="What the date is for (default resolution).")}
PUBLICATION = {"public_title": Field("str", required=True, min_len=PUBLIC_TITLE[0], max_len=PUBLIC_TITLE[1]),
               "public_text": Field("str", required=True, min_len=PUBLIC_TEXT[0], max_len=PUBLIC_TEXT[1]),
               "major": Field("bool"), "published": Field("bool")}


@bp.post("/tickets/<int:ticket_id>/transitions")
@doc("Change the status. Resolving needs `note` and `articles` or `kb_gap`; reopening (requester) needs `reason`.",
     body=TRANSITION, responses={200: "moved", 409: "invalid_transition", 422: "missing note/articles/reason"})
def transitions_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), TRANSITION)
    extra = {k: data[k] for k in ("note", "articles", "kb_gap", "resolve_incidents") if k in data}
    ticket = workflow.move(db, ctx, user, ticket_id, data["to"], reason=data.get("reason"), **extra)
    body = ticket_json(db, ctx, user, ticket)
    if is_staff(user) and ticket.type == "problem" and ticket.status == "resolved":
        body["open_incidents"] = [t.id for t in transitions.open_incidents_of(db, ticket)]  # offer to resolve them too
    return jsonify(body)


@bp.post("/tickets/<int:ticket_id>/escalations")
@doc("Escalate to the next level (N1 → N2 → N3) with a mandatory reason.", body=ESCALATION)
def escalations_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), ESCALATION)
    ticket = workflow.escalate(db, ctx, user, ticket_id, data["reason"])
    return jsonify(ticket_json(db, ctx, user, ticket))


@bp.get("/tickets/<int:ticket_id>/approvals")
@doc("List the decisions on an access request.")
def approvals_list(ticket_id: int):
    db, ctx, user = env()
    ticket = load_ticket(db, ctx, user, ticket_id)
    rows = db.scalars(select(Approval).where(Approval.ticket_id == ticket.id).order_by(Approval.id))
    return jsonify(items=[approval_json(a, db.get(Person, a.approver_id)) for a in rows])


@bp.post("/tickets/<int:ticket_id>/approvals")
@doc("Approve or reject an access request (designated approvers only, never the requester). "
     "Concurrent decisions leave one outcome; the later one gets 409.", body=DECISION,
     responses={201: "recorded", 403: "not_an_approver", 409: "already_decided"})
def approvals_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), DECISION)
    approval, ticket = workflow.decide(db, ctx, user, ticket_id, data["decision"], data.get("comment"))
    return jsonify(approval=approval_json(approval, user), status=ticket.status), 201


@bp.get("/tickets/<int:ticket_id>/links")
@doc("List links from and to this ticket (technicians).")
def links_list(ticket_id: int):
    db, ctx, user = env()
    load_ticket(db, ctx, user, ticket_id)
    rows = db.scalars(select(TicketLink).where(or_(TicketLink.source_id == ticket_id, TicketLink.target_id == ticket_id))
                      .order_by(TicketLink.id))
    return jsonify(items=[link_json(link) for link in rows])


@bp.post("/tickets/<int:ticket_id>/links")
@doc("Link this ticket to another: duplicate_of, caused_by (the target is a problem) or related.", body=LINK)
def links_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), LINK)
    link = ticket_actions.link(db, ctx, user, ticket_id, data["target_id"], data["kind"])
    return jsonify(link_json(link)), 201


@bp.get("/tickets/<int:ticket_id>/articles")
@doc("List the KB articles linked to the ticket (with the KB revision).")
def articles_list(ticket_id: int):
    db, ctx, user = env()
    load_ticket(db, ctx, user, ticket_id)
    rows = db.scalars(select(ArticleLink).where(ArticleLink.ticket_id == ticket_id).order_by(ArticleLink.id))
    return jsonify(items=[article_link_json(a) for a in rows])


@bp.post("/tickets/<int:ticket_id>/articles")
@doc("Link a KB article (by its front-matter id) to the ticket.", body=ARTICLE)
def articles_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), ARTICLE)
    if not ARTICLE_ID.match(data["article_id"]):
        raise ApiError(422, "invalid_fields", "Identifiant de fiche invalide.", {"article_id": "kebab-case attendu"})
    link = ticket_actions.link_article(db, ctx, user, ticket_id, data["article_id"])
    return jsonify(article_link_json(link)), 201


@bp.get("/tickets/<int:ticket_id>/duplicates")
@doc("Open tickets whose text resembles this one (technicians), best first.")
def duplicates_list(ticket_id: int):
    db, ctx, user = env()
    ticket = load_ticket(db, ctx, user, ticket_id)
    return jsonify(items=[{"id": t.id, "title": t.title, "status": t.status, "score": s}
                          for t, s in likely_duplicates(db, ticket)])


@bp.post("/tickets/<int:ticket_id>/merge")
@doc("Merge this ticket into another: links it as duplicate_of and closes it (technicians).", body=MERGE)
def merge_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), MERGE)
    ticket = ticket_actions.merge(db, ctx, user, ticket_id, data["into"])
    return jsonify(ticket_json(db, ctx, user, ticket))


@bp.post("/tickets/<int:ticket_id>/satisfaction")
@doc("Rate a resolved or closed ticket 1–5 with an optional comment (the requester, once).", body=RATING)
def satisfaction_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), RATING)
    ticket = ticket_actions.rate(db, ctx, user, ticket_id, data["rating"], data.get("comment"))
    return jsonify(ticket_json(db, ctx, user, ticket)), 201


@bp.post("/tickets/<int:ticket_id>/publication")
@doc("Publish an incident (technicians): the public title and text are all employees will ever see of it.",
     body=PUBLICATION)
def publication_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), PUBLICATION)
    # The API sets the whole publication: an omitted flag means published, not major.
    ticket = ticket_actions.publish(db, ctx, user, ticket_id, {
        "public_title": data["public_title"], "public_text": data["public_text"],
        "major": data.get("major", False), "published": data.get("published", True)})
    return jsonify(ticket_json(db, ctx, user, ticket)), 201


@bp.post("/tickets/<int:ticket_id>/delays")
@doc("Announce a new date for the resolution (or the first response) with its reason (technicians): kept in the "
     "history, shown to the requester and mailed. The ticket's `expected` dates follow it.", body=DELAY,
     responses={201: "announced", 403: "not a technician", 409: "ticket not open, first response already made",
                422: "due_at in the past or unreadable, reason missing"})
def delays_create(ticket_id: int):
    db, ctx, user = env()
    data = validate(read_json(), DELAY)
    delay = delay_actions.announce_delay(db, ctx, user, ticket_id, data["due_at"], data["reason"],
                                         data.get("kind") or "resolution")
    return jsonify(delay_json(delay)), 201
