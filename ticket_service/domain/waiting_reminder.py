"""« En attente de votre réponse » : one reminder per waiting period, after waiting.reminder_after business hours."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.clock import iso
from ticket_service.domain.events import WaitingReminded, emit
from ticket_service.domain.policies import Policies
from ticket_service.store.models import Ticket, TicketEvent, WaitingReminder


def reminder_due(ticket: Ticket, policies: Policies, cal: BusinessCalendar) -> datetime | None:
    """Return when a waiting ticket's reminder is due (business hours after it started waiting), else None."""
    if ticket.status != "waiting" or ticket.waiting_since is None:
        return None
    return cal.add_business_seconds(ticket.waiting_since, policies.waiting_reminder_hours * 3600)


def remind_due(db: Session, policies: Policies, cal: BusinessCalendar, now: datetime) -> list[int]:
    """Note a reminder for each waiting ticket past its delay and not yet reminded in this period; return their ids."""
    reminded = []
    # FOR UPDATE: two workers at once (PostgreSQL) cannot both remind the same ticket; the marker's key settles SQLite
    for ticket in db.scalars(select(Ticket).where(Ticket.status == "waiting").order_by(Ticket.id).with_for_update()):
        due = reminder_due(ticket, policies, cal)
        if due is None or due > now or db.get(WaitingReminder, (ticket.id, ticket.waiting_since)) is not None:
            continue
        db.add(WaitingReminder(ticket_id=ticket.id, waiting_since=ticket.waiting_since, sent_at=now))
        emit(db, WaitingReminded(ticket.id, None, now, waiting_since=iso(ticket.waiting_since),
                                 reason=_question(db, ticket)))
        reminded.append(ticket.id)
    return reminded


def _question(db: Session, ticket: Ticket) -> str | None:
    """Return the reason given when the ticket was last put on hold (what the requester was asked), if any."""
    return db.scalar(select(TicketEvent.reason).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.field == "status", TicketEvent.new == "waiting")
        .order_by(TicketEvent.id.desc()).limit(1))
