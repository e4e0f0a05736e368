"""Object-level access: who sees which ticket, and what of it (deny by default, 404 for the unseen)."""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from ticket_service.domain.approvals import designated_approvers, is_designated
from ticket_service.domain.context import Context
from ticket_service.domain.directory import MANAGER
from ticket_service.domain.errors import not_found
from ticket_service.domain.policies import REQUESTER_DETAILS
from ticket_service.domain.vocabulary import STAFF_ROLES
from ticket_service.store.models import DirectoryEntry, Person, Ticket


def provider_groups(ctx: Context, user: Person) -> list[str] | None:
    """Return the groups a technician is confined to: a provider's, or none at all for a technician in no group
    (None: in-house staff, or not staff)."""
    if user.role != "technician":
        return None
    if not ctx.policies.groups_of(user.email):
        return []  # deny by default: removed from the last group, a technician sees no one else's ticket
    return ctx.policies.provider_scope(user.email)


def requester_details(ctx: Context, user: Person) -> tuple[str, ...]:
    """Return what the user may see of another person's requester record (a provider's group setting)."""
    confined = provider_groups(ctx, user)
    if confined is None:
        return REQUESTER_DETAILS
    allowed = {d for gid in confined for d in ctx.policies.groups[gid].requester_details}
    return tuple(d for d in REQUESTER_DETAILS if d in allowed)


def can_see(ctx: Context, user: Person, ticket: Ticket) -> bool:
    """In-house staff see every ticket, a provider's technicians their group's; others their own, and approvers the
    access requests they decide on."""
    if ticket.requester_id == user.id:
        return True
    if user.role in STAFF_ROLES:
        confined = provider_groups(ctx, user)
        return confined is None or ticket.group in confined
    return is_designated(ctx, ticket, user)


def visible_clause(ctx: Context, user: Person):
    """SQL condition equivalent to can_see, for lists."""
    if user.role in STAFF_ROLES:
        confined = provider_groups(ctx, user)
        return Ticket.id.is_not(None) if confined is None else or_(Ticket.group.in_(confined),
                                                                   Ticket.requester_id == user.id)
    own = Ticket.requester_id == user.id
    by_manager = [cid for cid, item in ctx.policies.catalogue.items() if MANAGER in item.approvers]
    # A manager (any role) sees the access requests of the people the directory says report to them.
    managed = and_(Ticket.type == "access_request", Ticket.catalogue_item.in_(by_manager), Ticket.requester_id.in_(
        select(DirectoryEntry.person_id).where(DirectoryEntry.manager_id == user.id))) if by_manager else false()
    if user.role != "approver":
        return or_(own, managed)
    items = [cid for cid, item in ctx.policies.catalogue.items() if user.email.lower() in item.approvers]
    approvable = and_(Ticket.type == "access_request", Ticket.catalogue_item.in_(items)) if items else false()
    return or_(own, approvable, managed)


def load_ticket(db: Session, ctx: Context, user: Person, ticket_id: int, *, for_update: bool = False) -> Ticket:
    """Return a ticket the user may see, else 404 (same answer as a missing id: no existence oracle)."""
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        # PostgreSQL: serialize concurrent writers on the row; SQLite is already serialized by BEGIN IMMEDIATE.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    ticket = db.scalar(stmt)
    if ticket is None or not can_see(ctx, user, ticket):
        raise not_found()
    return ticket


def approver_view(ctx: Context, user: Person, ticket: Ticket) -> bool:
    """True when the user sees the ticket only as its approver (not staff, not requester)."""
    return not user.role in STAFF_ROLES and ticket.requester_id != user.id and user.email.lower() in designated_approvers(ctx, ticket)
