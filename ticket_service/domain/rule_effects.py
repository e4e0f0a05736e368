"""What an automation rule's actions do to a locked ticket, as the system, each step in the history with the rule."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.domain import tickets, transitions
from ticket_service.domain.automation import Action, Facts, Rule, history_reason, in_business_hours
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Conflict, DomainError
from ticket_service.domain.events import RuleNotice, TicketsLinked, emit
from ticket_service.domain.history import record
from ticket_service.domain.vocabulary import ENDED, OPEN, STAFF_ROLES
from ticket_service.store.models import Person, Ticket, TicketLink, TicketTag


def facts_of(db: Session, ctx: Context, ticket: Ticket, now: datetime) -> Facts:
    """Return what the rules' conditions read of a ticket now (with its requester's department and site)."""
    requester = db.get(Person, ticket.requester_id)
    return Facts(type=ticket.type, category=ticket.category, priority=ticket.priority, group=ticket.group,
                 title=ticket.title, description=ticket.description, channel=ticket.channel or "api",
                 department=requester.department if requester else None, site=requester.site if requester else None,
                 in_business_hours=in_business_hours(ctx.calendar, now))


def apply(db: Session, ctx: Context, ticket: Ticket, rule: Rule, trigger: str, now: datetime) -> list[str]:
    """Run a matching rule's actions in order; return what was done (« set:group », « tag:vpn »…).

    A step the ticket refuses (closed, already at N3, unknown assignee) is skipped, the next ones still run.
    """
    reason = history_reason(rule)
    record(db, ticket, None, "rule", None, rule.name, f"déclencheur : {trigger}", now=now)
    done = []
    for action in rule.actions:
        try:
            # no savepoint needed: every refusal (update_ticket, escalate) is raised before the step changes anything
            step = _STEPS[action.kind](db, ctx, ticket, action, rule, now)
        except DomainError:
            step = None
        if step:
            done.append(step)
    return done


def _set(db: Session, ctx: Context, ticket: Ticket, action: Action, rule: Rule, now: datetime) -> str | None:
    reason = history_reason(rule)
    changes, group = {}, None
    for name, value in action.values:
        if name == "assignee":
            person = db.scalar(select(Person).where(func.lower(Person.email) == value))
            if person is None or not person.active or person.role not in STAFF_ROLES:
                continue  # nobody to hand it to: the rest of the rule still applies
            changes["assignee_id"] = person.id
        elif name == "group":
            group = value
        else:
            changes[name] = value
    if ticket.status in ENDED:
        raise Conflict("ticket_closed", "Un ticket clos ne se modifie plus.")  # as update_ticket, before any change
    if group is not None and group != ticket.group:
        _to_group(db, ctx, ticket, group, reason, now)
    if changes:
        tickets.update_ticket(db, ctx, ticket, None, changes, now=now, reason=reason)
    return "set:" + ",".join(name for name, _ in action.values)


def _to_group(db: Session, ctx: Context, ticket: Ticket, group_id: str, reason: str, now: datetime) -> None:
    """Hand the ticket to a group, its level with it, back to that group's queue (as sla.on_breach's reassign)."""
    level = ctx.policies.groups[group_id].level
    for name, new in (("group", group_id), ("level", level), ("assignee_id", None)):
        old = getattr(ticket, name)
        if old != new:
            setattr(ticket, name, new)
            record(db, ticket, None, name, old, new, reason, now=now)
    ticket.updated_at = now


def _tag(db: Session, ctx: Context, ticket: Ticket, action: Action, rule: Rule, now: datetime) -> str | None:
    reason = history_reason(rule)
    if db.get(TicketTag, (ticket.id, action.tag)) is not None:
        return None
    db.add(TicketTag(ticket_id=ticket.id, tag=action.tag, rule=rule.name, created_at=now))
    record(db, ticket, None, "tag", None, action.tag, reason, now=now)
    return f"tag:{action.tag}"


def _escalate(db: Session, ctx: Context, ticket: Ticket, action: Action, rule: Rule, now: datetime) -> str | None:
    reason = history_reason(rule)
    transitions.escalate(db, ctx, ticket, None, f"{action.reason} ({reason})", now=now)
    return "escalate"


def _notify(db: Session, ctx: Context, ticket: Ticket, action: Action, rule: Rule, now: datetime) -> str | None:
    reason = history_reason(rule)
    ids = recipients(db, ctx, ticket, action.to)
    if not ids:
        return None
    emit(db, RuleNotice(ticket.id, None, now, rule=rule.name, template=action.template, recipients=ids))
    record(db, ticket, None, "notification", None, f"{action.template} → {action.to}", reason, now=now)
    return f"notify:{action.to}"


def recipients(db: Session, ctx: Context, ticket: Ticket, to: str) -> tuple[int, ...]:
    """Return the active people a notify action names: requester, assignee, a group's members or one address."""
    if to == "requester":
        ids = [ticket.requester_id]
    elif to == "assignee":
        ids = [ticket.assignee_id] if ticket.assignee_id is not None else []
    else:
        emails = list(ctx.policies.groups[to[6:]].members) if to.startswith("group:") else [to]
        ids = list(db.scalars(select(Person.id).where(func.lower(Person.email).in_(emails))))
    return tuple(sorted(set(db.scalars(select(Person.id).where(Person.id.in_(ids), Person.active.is_(True)))))) \
        if ids else ()


def _link_major(db: Session, ctx: Context, ticket: Ticket, action: Action, rule: Rule, now: datetime) -> str | None:
    reason = history_reason(rule)
    incident = db.scalar(select(Ticket).where(Ticket.major.is_(True), Ticket.published.is_(True),
                                              Ticket.status.in_(OPEN), Ticket.id != ticket.id)
                         .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1))
    if incident is None or db.scalar(select(TicketLink.id).where(
            TicketLink.source_id == ticket.id, TicketLink.target_id == incident.id, TicketLink.kind == "related")):
        return None
    # ticket_links.created_by is required: the requester reported it; the history names the rule that linked it
    db.add(TicketLink(source_id=ticket.id, target_id=incident.id, kind="related", created_by=ticket.requester_id,
                      created_at=now))
    record(db, ticket, None, "related", None, incident.id, reason, now=now)
    emit(db, TicketsLinked(ticket.id, None, now, kind="related", target_id=incident.id))
    db.flush()
    return f"link_major_incident:{incident.id}"


_STEPS = {"set": _set, "tag": _tag, "escalate": _escalate, "notify": _notify, "link_major_incident": _link_major}
