"""JSON shapes per viewer: employees get an allow-list of fields, never another person's data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ticket_service.auth.identity import is_staff
from ticket_service.domain.clock import iso
from ticket_service.domain import delays
from ticket_service.domain.access import requester_details
from ticket_service.domain.context import Context
from ticket_service.domain.policies import REQUESTER_DETAILS
from ticket_service.domain.sla import sla_view
from ticket_service.store.models import (
    AnnouncedDelay, Approval, ArticleLink, Attachment, Comment, Person, Ticket, TicketEvent, TicketLink, utcnow,
)

EMPLOYEE_FIELDS = ("id", "title", "description", "type", "category", "catalogue_item", "item_fields", "impact", "urgency",
                   "priority", "status", "level", "created_at", "updated_at", "resolved_at", "closed_at", "resolution_note",
                   "satisfaction_rating", "satisfaction_comment")
STAFF_FIELDS = EMPLOYEE_FIELDS + ("group", "assignee_id", "requester_id", "help_session_id", "first_response_at",
                                  "kb_gap", "escalation_count", "reopen_count", "first_contact_resolution",
                                  "published", "major", "public_title", "public_text")


def person_brief(person: Person | None) -> dict | None:
    return None if person is None else {"id": person.id, "name": person.name}


def requester_json(ctx: Context, viewer: Person, requester: Person) -> dict:
    """Return the requester as staff see them: id and name, and what the viewer's group may see of the rest."""
    shown = requester_details(ctx, viewer) if requester.id != viewer.id else REQUESTER_DETAILS
    return {"id": requester.id, **{d: getattr(requester, d) for d in shown}}


def ticket_json(db: Session, ctx: Context, viewer: Person, ticket: Ticket, now: datetime | None = None) -> dict:
    """Return a ticket as the viewer may see it."""
    staff = is_staff(viewer)
    data = {name: iso(getattr(ticket, name)) for name in (STAFF_FIELDS if staff else EMPLOYEE_FIELDS)}
    if staff:
        data["requester"] = requester_json(ctx, viewer, db.get(Person, ticket.requester_id))
        data["assignee"] = person_brief(db.get(Person, ticket.assignee_id)) if ticket.assignee_id else None
        data["sla"] = sla_view(ticket, now or utcnow(), ctx.policies, ctx.calendar)
    elif ticket.requester_id != viewer.id:  # an approver deciding: the request, not the person's history
        data = {k: data[k] for k in ("id", "title", "description", "type", "catalogue_item", "item_fields", "status",
                                     "created_at")}
        data["requester"] = person_brief(db.get(Person, ticket.requester_id))
        return data
    in_force = delays.current(db, ticket.id)
    data["expected"] = expected_json(delays.expected(ticket, in_force))
    if staff:
        data["announced_delays"] = [delay_json(d) for d in delays.announcements(db, ticket.id)] if in_force else []
    return data


def expected_json(dates: dict) -> dict:
    """Return the dates the requester is told to expect (an announcement's reason and day when one is in force)."""
    return {kind: {"due": iso(e.due), "announced": e.announced, "reason": e.reason, "announced_at": iso(e.announced_at)}
            for kind, e in dates.items()}


def delay_json(delay: AnnouncedDelay) -> dict:
    return {"id": delay.id, "ticket_id": delay.ticket_id, "kind": delay.kind, "due_at": iso(delay.due_at),
            "reason": delay.reason, "by_id": delay.by_id, "at": iso(delay.at),
            "superseded_at": iso(delay.superseded_at), "met": delay.met, "state": delays.state(delay)}


def comment_json(comment: Comment, author: Person | None) -> dict:
    return {"id": comment.id, "ticket_id": comment.ticket_id, "author": person_brief(author), "body": comment.body,
            "internal": comment.internal, "created_at": iso(comment.created_at)}


def attachment_json(att: Attachment) -> dict:
    return {"id": att.id, "ticket_id": att.ticket_id, "filename": att.filename, "content_type": att.content_type,
            "size": att.size, "sha256": att.sha256, "internal": att.internal, "created_at": iso(att.created_at),
            "download_url": f"/api/v1/tickets/{att.ticket_id}/attachments/{att.id}"}


def event_json(event: TicketEvent) -> dict:
    return {"id": event.id, "actor_id": event.actor_id, "at": iso(event.at), "field": event.field, "old": event.old,
            "new": event.new, "reason": event.reason}


def link_json(link: TicketLink) -> dict:
    return {"id": link.id, "source_id": link.source_id, "target_id": link.target_id, "kind": link.kind,
            "created_by": link.created_by, "created_at": iso(link.created_at)}


def article_link_json(link: ArticleLink) -> dict:
    return {"article_id": link.article_id, "kb_revision": link.kb_revision, "created_at": iso(link.created_at)}


def approval_json(approval: Approval, approver: Person | None) -> dict:
    return {"id": approval.id, "approver": person_brief(approver), "decision": approval.decision,
            "comment": approval.comment, "decided_at": iso(approval.decided_at)}


def public_incident_json(ticket: Ticket, score: float | None = None) -> dict:
    """Only what a technician published: never the requester, the private text or counts by person."""
    data = {"id": ticket.id, "title": ticket.public_title, "text": ticket.public_text, "major": ticket.major,
            "status": ticket.status, "since": iso(ticket.created_at)}
    if score is not None:
        data["score"] = score
    return data


def person_json(person: Person, ctx: Context) -> dict:
    data = {"id": person.id, "email": person.email, "name": person.name, "role": person.role}
    if is_staff(person):
        data["level"] = ctx.policies.level_of(person.email)
        data["groups"] = ctx.policies.groups_of(person.email)
    return data
