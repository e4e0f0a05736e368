"""Access-request approvals: designated approvers only, quorum, exactly one outcome under concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.domain.context import Context
from ticket_service.domain.errors import Conflict, Forbidden
from ticket_service.domain.events import ApprovalDecided, emit
from ticket_service.domain.history import record
from ticket_service.domain.transitions import transition
from ticket_service.store.models import Approval, Person, Ticket, utcnow


def designated_approvers(ctx: Context, ticket: Ticket) -> tuple[str, ...]:
    """Return the e-mails allowed to decide on an access request."""
    item = ctx.policies.catalogue.get(ticket.catalogue_item or "")
    return item.approvers if item is not None and ticket.type == "access_request" else ()


def is_designated(ctx: Context, ticket: Ticket, person: Person) -> bool:
    """True when the person may decide: listed for the item, approver role, and not the requester."""
    return (person.role == "approver" and person.email.lower() in designated_approvers(ctx, ticket)
            and person.id != ticket.requester_id)


def decide(db: Session, ctx: Context, ticket: Ticket, approver: Person, decision: str, comment: str | None,
           now: datetime | None = None) -> Approval:
    """Record a decision on a ticket locked by the caller; one rejection rejects, the quorum approves.

    The caller loads the ticket FOR UPDATE (PostgreSQL) inside BEGIN IMMEDIATE (SQLite), so two
    concurrent decisions are serialized: the second sees the new status and gets 409.
    """
    now = now or utcnow()
    if ticket.type != "access_request":
        raise Conflict("not_an_access_request", "Ce ticket n'est pas une demande d'accès.")
    if not is_designated(ctx, ticket, approver):
        raise Forbidden("not_an_approver", "Vous n'êtes pas valideur désigné pour cette demande.")
    if ticket.status != "awaiting_approval":
        raise Conflict("already_decided", "Cette demande a déjà été traitée.")
    if db.scalar(select(Approval).where(Approval.ticket_id == ticket.id, Approval.approver_id == approver.id)):
        raise Conflict("already_decided", "Vous avez déjà donné votre avis sur cette demande.")
    approval = Approval(ticket_id=ticket.id, approver_id=approver.id, decision=decision, comment=comment, decided_at=now)
    db.add(approval)
    db.flush()
    record(db, ticket, approver, "approval", None, decision, comment, now=now)
    if decision == "rejected":
        transition(db, ctx, ticket, None, "rejected", reason=f"refusée par {approver.name}", now=now)
    else:
        approvals = db.scalar(select(func.count()).select_from(Approval).where(
            Approval.ticket_id == ticket.id, Approval.decision == "approved"))
        quorum = ctx.policies.catalogue[ticket.catalogue_item].quorum
        if approvals >= quorum:
            transition(db, ctx, ticket, None, "new", reason=f"validée ({approvals}/{quorum})", now=now)
    settled = ticket.status if ticket.status != "awaiting_approval" else None
    emit(db, ApprovalDecided(ticket.id, approver.id, now, decision=decision, outcome=settled))
    return approval
