"""What a requester follows beyond their own work: the main ticket of a merged duplicate, the incidents they joined.

Only the public side crosses over: status, level and who handles it, the technicians' public replies, the
resolution and its articles; never the other requester's identity, text, files or replies, never internal notes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.store.models import Comment, IncidentFollower, Person, Ticket, TicketLink


def is_merged(ticket: Ticket) -> bool:
    """True for a ticket closed by a merge: closed without ever being resolved (nobody worked on it)."""
    return ticket.status == "closed" and ticket.resolved_at is None


def main_ticket(db: Session, ticket: Ticket) -> Ticket | None:
    """Return the ticket a merged duplicate follows (the end of its duplicate_of chain), None for any other ticket."""
    if not is_merged(ticket):
        return None
    seen, current = {ticket.id}, ticket
    while True:  # #17 merged into #18, itself merged into #20 later: #17 follows #20
        target_id = db.scalar(select(TicketLink.target_id).where(
            TicketLink.source_id == current.id, TicketLink.kind == "duplicate_of").order_by(TicketLink.id.desc()).limit(1))
        if target_id is None or target_id in seen:
            break
        seen.add(target_id)
        current = db.get(Ticket, target_id)
        if not is_merged(current):
            break
    return None if current is ticket else current


def main_tickets(db: Session, tickets: list[Ticket]) -> dict[int, Ticket]:
    """Return, for each merged duplicate among ``tickets``, the main ticket it follows."""
    found = {}
    for ticket in tickets:
        main = main_ticket(db, ticket) if is_merged(ticket) else None
        if main is not None:
            found[ticket.id] = main
    return found


def public_replies(db: Session, main: Ticket) -> list[Comment]:
    """Return the support's public replies on a main ticket (never its requester's own messages nor internal notes)."""
    return list(db.scalars(select(Comment).where(
        Comment.ticket_id == main.id, Comment.internal.is_(False), Comment.author_id != main.requester_id)
        .order_by(Comment.id)))


def followed_incidents(db: Session, person: Person) -> list[Ticket]:
    """Return the incidents a person joined (« Je suis concerné »), latest joined first, their own excepted."""
    return list(db.scalars(select(Ticket).join(IncidentFollower, IncidentFollower.ticket_id == Ticket.id).where(
        IncidentFollower.person_id == person.id, Ticket.requester_id != person.id)
        .order_by(IncidentFollower.created_at.desc(), Ticket.id.desc())))
