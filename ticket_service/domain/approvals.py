"""Access-request approvals: designated approvers only, quorum, exactly one outcome under concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from ticket_service.domain.context import Context
from ticket_service.domain.directory import MANAGER, manager_of
from ticket_service.domain.errors import Conflict, Forbidden, invalid
from ticket_service.domain.events import ApprovalDecided, emit
from ticket_service.domain.history import record
from ticket_service.domain.transitions import transition
from ticket_service.store.models import Approval, DirectoryEntry, Person, Ticket, utcnow


def requester_manager(ctx: Context, ticket: Ticket) -> Person | None:
    """Return the requester's manager when the ticket's item names `manager` among its approvers (else None)."""
    item = ctx.policies.catalogue.get(ticket.catalogue_item or "")
    if item is None or ticket.type != "access_request" or MANAGER not in item.approvers:
        return None
    db = object_session(ticket)
    return manager_of(db, ticket.requester_id) if db is not None else None


def designated_approvers(ctx: Context, ticket: Ticket) -> tuple[str, ...]:
    """Return the e-mails allowed to decide on an access request (`manager`: the requester's, from the directory)."""
    item = ctx.policies.catalogue.get(ticket.catalogue_item or "")
    if item is None or ticket.type != "access_request":
        return ()
    manager = requester_manager(ctx, ticket)
    listed = tuple(e for e in item.approvers if e != MANAGER)
    return listed + ((manager.email.lower(),) if manager is not None else ())


def is_designated(ctx: Context, ticket: Ticket, person: Person) -> bool:
    """True when the person may decide: listed for the item with the approver role, or the requester's manager
    (whatever their role: the directory names them); never the requester."""
    if person.id == ticket.requester_id:
        return False
    manager = requester_manager(ctx, ticket)
    if manager is not None and manager.id == person.id:
        return True
    item = ctx.policies.catalogue.get(ticket.catalogue_item or "")
    listed = item.approvers if item is not None and ticket.type == "access_request" else ()
    return person.role == "approver" and person.email.lower() in listed


def decides_as_manager(db: Session, ctx: Context, person: Person) -> bool:
    """True when the catalogue has `manager` approvals and the directory names someone reporting to this person."""
    if not any(MANAGER in item.approvers for item in ctx.policies.catalogue.values()):
        return False
    return db.scalar(select(DirectoryEntry.person_id).where(DirectoryEntry.manager_id == person.id).limit(1)) is not None


def check_someone_can_approve(db: Session, ctx: Context, item, requester: Person) -> None:
    """Refuse an access request whose quorum cannot be reached because the requester has no known manager."""
    if item is None or MANAGER not in item.approvers:
        return
    manager = manager_of(db, requester.id)
    reachable = len([e for e in item.approvers if e != MANAGER and e != requester.email.lower()])
    if manager is None and reachable < item.quorum:
        raise invalid("Cette demande est validée par votre responsable, et l'annuaire de l'entreprise n'en indique "
                      "aucun pour vous (ou son compte est désactivé) : demandez au support de le renseigner.",
                      {"catalogue_item": "aucun responsable connu pour valider"})


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
