"""Moving a ticket through its life: take, wait, resolve, confirm, reopen, cancel, self-resolve, escalate, approve."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticket_service.actions.automation import run_rules
from ticket_service.actions.unit import commit, locked_ticket
from ticket_service.domain import approvals, tickets, transitions
from ticket_service.domain.context import Context
from ticket_service.store.models import Approval, Person, Ticket


def move(db: Session, ctx: Context, actor: Person, ticket_id: int, to: str, *, reason: str | None = None,
         question: str | None = None, **resolution) -> Ticket:
    """Change a ticket's status (resolving needs a note and articles or the KB-gap flag); a question is asked first."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    now = ctx.clock.now()
    if question:
        tickets.add_comment(db, ctx, ticket, actor, question, now=now)
    transitions.transition(db, ctx, ticket, actor, to, reason=reason, now=now, **resolution)
    if to == "resolved":
        run_rules(db, ctx, ticket, "resolved")
    commit(db)
    return ticket


def take(db: Session, ctx: Context, actor: Person, ticket_id: int) -> Ticket:
    """Take a ticket in hand: start a new one (which assigns it), or assign it to oneself."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    now = ctx.clock.now()
    if ticket.status == "new":
        transitions.transition(db, ctx, ticket, actor, "in_progress", now=now)
    if ticket.assignee_id != actor.id:
        tickets.update_ticket(db, ctx, ticket, actor, {"assignee_id": actor.id}, now=now)
    commit(db)
    return ticket


def reopen(db: Session, ctx: Context, actor: Person, ticket_id: int, reason: str) -> Ticket:
    """« Ce n'est pas résolu » : the requester reopens with what still goes wrong (also kept as a reply)."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    now = ctx.clock.now()
    transitions.transition(db, ctx, ticket, actor, "in_progress", reason=reason, now=now)
    if reason:
        tickets.add_comment(db, ctx, ticket, actor, reason, now=now)
    commit(db)
    return ticket


def self_resolve(db: Session, ctx: Context, actor: Person, ticket_id: int, article_id: str | None) -> Ticket:
    """« Finalement c'est résolu » : the requester closes an untaken request, with the article that helped if any."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    transitions.self_resolve(db, ctx, ticket, actor, article_id, now=ctx.clock.now())
    commit(db)
    return ticket


def escalate(db: Session, ctx: Context, actor: Person, ticket_id: int, reason: str) -> Ticket:
    """Send a ticket to the next level with a reason."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    transitions.escalate(db, ctx, ticket, actor, reason, now=ctx.clock.now())
    run_rules(db, ctx, ticket, "escalated")
    commit(db)
    return ticket


def decide(db: Session, ctx: Context, actor: Person, ticket_id: int, decision: str,
           comment: str | None) -> tuple[Approval, Ticket]:
    """Approve or reject an access request; the lock serialises concurrent approvers into one outcome."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    approval = approvals.decide(db, ctx, ticket, actor, decision, comment, now=ctx.clock.now())
    commit(db)
    return approval, ticket


def auto_close(db: Session, ctx: Context) -> list[int]:
    """Close the resolved tickets nobody answered within the configured business days (the system acts)."""
    closed = transitions.auto_close(db, ctx, now=ctx.clock.now())
    commit(db)
    return closed
