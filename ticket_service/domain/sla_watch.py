"""The SLA watch's rule: warn once when a target passes at_risk_ratio, and on a breach run the priority's on_breach steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain import transitions
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Conflict
from ticket_service.domain.events import SlaAtRisk, SlaBreached, SlaLeadNotified, emit
from ticket_service.domain.history import record
from ticket_service.domain.sla import target_states
from ticket_service.store.models import Person, SlaNotice, Ticket

RULE = "règle SLA"
TARGET_LABELS = {"first_response": "première réponse", "resolution": "résolution"}


def watch(db: Session, ctx: Context, ticket: Ticket, now: datetime) -> list[str]:
    """Report each target of a locked ticket once at risk and once breached; return what was done (« resolution:at_risk »)."""
    done = []
    for target, state in target_states(ticket, now, ctx.policies, ctx.calendar).items():
        if state.state == "ok" or not _first_notice(db, ticket, target, state.state, now):
            continue
        recipients = _recipients(db, ctx, ticket)
        done.append(f"{target}:{state.state}")
        if state.state == "at_risk":
            emit(db, SlaAtRisk(ticket.id, None, now, target=target, due=state.due, recipients=recipients))
        else:
            emit(db, SlaBreached(ticket.id, None, now, target=target, due=state.due, recipients=recipients))
            record(db, ticket, None, "sla", None, f"{target}: breached", _reason(ticket, target), now=now)
            done += _on_breach(db, ctx, ticket, target, now)
    return done


def _first_notice(db: Session, ticket: Ticket, target: str, kind: str, now: datetime) -> bool:
    """Write the marker of this ticket, target and kind; False when it was already there (reported before)."""
    if db.get(SlaNotice, (ticket.id, target, kind)) is not None:
        return False
    db.add(SlaNotice(ticket_id=ticket.id, target=target, kind=kind, at=now))
    db.flush()  # a concurrent watcher holding no ticket lock would fail here on the primary key, not send twice
    return True


def _reason(ticket: Ticket, target: str) -> str:
    return f"{RULE} : délai de {TARGET_LABELS[target]} dépassé ({ticket.priority})"


def _recipients(db: Session, ctx: Context, ticket: Ticket) -> tuple[int, ...]:
    """Return the ids of the assignee and of the ticket's group members (active people), sorted."""
    group = ctx.policies.groups.get(ticket.group)
    emails = list(group.members) if group else []
    ids = set(db.scalars(select(Person.id).where(Person.email.in_(emails), Person.active.is_(True)))) if emails else set()
    if ticket.assignee_id is not None:
        ids.add(ticket.assignee_id)
    return tuple(sorted(ids))


def _on_breach(db: Session, ctx: Context, ticket: Ticket, target: str, now: datetime) -> list[str]:
    """Run the steps sla.on_breach names for the ticket's priority, each in the history as the rule's."""
    done, reason = [], _reason(ticket, target)
    for step, argument in ctx.policies.on_breach.get(ticket.priority, ()):
        if step == "notify_group_lead":
            group = ctx.policies.groups.get(ticket.group)
            lead = db.scalar(select(Person.id).where(Person.email == group.lead)) if group else None
            if lead is None:
                continue
            emit(db, SlaLeadNotified(ticket.id, None, now, target=target, group=ticket.group, recipients=(lead,)))
            record(db, ticket, None, "sla", None, f"notify_group_lead: {group.lead}", reason, now=now)
        elif step == "raise_level":
            try:
                transitions.escalate(db, ctx, ticket, None, reason, now=now)
            except Conflict:  # already at N3, or no longer open: nothing to raise
                continue
        elif step == "reassign":
            if not _reassign(db, ctx, ticket, argument, reason, now):
                continue
        done.append(step if argument is None else f"{step}:{argument}")
    return done


def _reassign(db: Session, ctx: Context, ticket: Ticket, group_id: str, reason: str, now: datetime) -> bool:
    """Hand the ticket to a group (its level with it) and back to that group's queue; False if it is there already."""
    if ticket.group == group_id:
        return False
    level = ctx.policies.groups[group_id].level
    for field, new in (("group", group_id), ("level", level), ("assignee_id", None)):
        old = getattr(ticket, field)
        if old != new:
            setattr(ticket, field, new)
            record(db, ticket, None, field, old, new, reason, now=now)
    ticket.updated_at = now
    return True
