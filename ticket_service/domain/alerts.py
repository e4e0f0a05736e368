"""Monitoring alerts: the normalised alert, a source's token, and how one alert becomes a ticket.

One open ticket per (source, fingerprint): a repeat adds a note to it, a recovery adds a note and, when the
source's rules say ``resolve_on_recovery``, resolves it as the system (no article: nobody worked on a fix).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain import tickets
from ticket_service.domain.alert_config import SourceRules
from ticket_service.domain.context import Context
from ticket_service.domain.transitions import transition
from ticket_service.domain.vocabulary import DESCRIPTION, OPEN, TITLE, WORKING
from ticket_service.store.models import AlertSource, AlertTicket, Person, Ticket, TicketLink

CHANNEL = "monitoring"  # vocabulary.CHANNELS: tickets opened by an alert
STATUSES = ("firing", "resolved")
FINGERPRINT_MAX = 200


@dataclass(frozen=True)
class Alert:
    """One alert, whatever format it came in: what the ticket rules need of it."""

    fingerprint: str
    status: str  # firing | resolved
    title: str
    description: str
    severity: str | None = None
    service: str | None = None
    major_incident: int | None = None  # an open major incident's ticket id to link the alert's ticket to


def token_hash(token: str) -> str:
    """Return what is stored of a source's token: its SHA-256 (as for people's API tokens)."""
    return hashlib.sha256(token.encode()).hexdigest()


def source_for_token(db: Session, token: str) -> AlertSource | None:
    """Return the unrevoked source holding this token, else None."""
    return db.scalar(select(AlertSource).where(AlertSource.token_hash == token_hash(token),
                                               AlertSource.revoked_at.is_(None)))


@dataclass(frozen=True)
class Outcome:
    """What one alert did: created, repeated, recovered (note only), resolved, or ignored (nothing open)."""

    fingerprint: str
    result: str
    ticket_id: int | None = None
    major_incident: int | None = None

    def json(self) -> dict:
        return {"fingerprint": self.fingerprint, "result": self.result, "ticket_id": self.ticket_id,
                "major_incident": self.major_incident}


def absorb(db: Session, ctx: Context, source: AlertSource, alert: Alert, now: datetime) -> Outcome:
    """Apply one alert: open a ticket, note a repeat, or note (and maybe resolve on) a recovery."""
    rules = ctx.policies.alerts.rules(source.name)
    person = db.get(Person, source.person_id)
    row, ticket = _open_row(db, source, alert.fingerprint)
    if alert.status == "resolved":
        if row is None:
            return Outcome(alert.fingerprint, "ignored")
        row.last_seen = now
        text = _recovery_note(alert)
        tickets.add_comment(db, ctx, ticket, person, text, now=now)
        if not rules.resolve_on_recovery or ticket.status not in WORKING:
            return Outcome(alert.fingerprint, "recovered", ticket.id)
        transition(db, ctx, ticket, None, "resolved", reason="alerte rétablie", now=now, note=text)
        row.open = None  # the next firing of this fingerprint is a new incident
        return Outcome(alert.fingerprint, "resolved", ticket.id)
    if row is None:
        ticket = _open_ticket(db, ctx, person, alert, rules, now)
        db.add(AlertTicket(source_id=source.id, fingerprint=alert.fingerprint, ticket_id=ticket.id, open=1, repeats=0,
                           first_seen=now, last_seen=now))
        db.flush()  # a racing twin's row makes this (or its commit) raise IntegrityError: the action retries
        result = "created"
    else:
        row.repeats += 1
        row.last_seen = now
        tickets.add_comment(db, ctx, ticket, person, f"Alerte toujours active (répétition n° {row.repeats}).\n\n"
                            f"{alert.title}", now=now)
        result = "repeated"
    major = _major_incident(db, alert, rules, ticket)
    if major is not None and not _linked(db, ticket, major):
        tickets.link_tickets(db, ticket, major, "related", person, now=now)
    return Outcome(alert.fingerprint, result, ticket.id, major.id if major is not None else None)


def _open_row(db: Session, source: AlertSource, fingerprint: str) -> tuple[AlertTicket | None, Ticket | None]:
    """Return the fingerprint's open row and ticket, both locked; let go of a ticket the desk resolved or closed."""
    row = db.scalar(select(AlertTicket).where(AlertTicket.source_id == source.id,
                                              AlertTicket.fingerprint == fingerprint, AlertTicket.open == 1)
                    .with_for_update()
                    .execution_options(populate_existing=True))
    if row is None:
        return None, None
    ticket = db.scalar(select(Ticket).where(Ticket.id == row.ticket_id).with_for_update()
                       .execution_options(populate_existing=True))
    if ticket.status not in OPEN:
        row.open = None
        db.flush()
        return None, None
    return row, ticket


def _open_ticket(db: Session, ctx: Context, person: Person, alert: Alert, rules: SourceRules, now: datetime) -> Ticket:
    impact, urgency = ctx.policies.alerts.levels(alert.severity)
    title = (f"[{alert.service}] {alert.title}" if alert.service else alert.title)[:TITLE[1]]
    lines = [alert.description.strip() or alert.title]
    lines.append("")
    lines.append(f"Empreinte de l'alerte : {alert.fingerprint}")
    if alert.severity:
        lines.append(f"Sévérité : {alert.severity}")
    if alert.service:
        lines.append(f"Service : {alert.service}")
    data = {"title": title if len(title.strip()) >= TITLE[0] else f"Alerte {title}".strip(),
            "description": "\n".join(lines)[:DESCRIPTION[1]], "type": "incident", "impact": impact, "urgency": urgency}
    if rules.category:
        data["category"] = rules.category
    return tickets.create_ticket(db, ctx, person, data, now=now, channel=CHANNEL)


def _recovery_note(alert: Alert) -> str:
    return f"Alerte rétablie : {alert.title}"[:DESCRIPTION[1]]


def _major_incident(db: Session, alert: Alert, rules: SourceRules, ticket: Ticket) -> Ticket | None:
    """Return the open major incident this alert belongs to: the one it names, else (if set) the newest one."""
    if alert.major_incident is not None:
        target = db.get(Ticket, alert.major_incident)
        ok = target is not None and target.major and target.status in OPEN and target.id != ticket.id
        return target if ok else None
    if not rules.attach_to_open_major:
        return None
    return db.scalar(select(Ticket).where(Ticket.major.is_(True), Ticket.status.in_(OPEN), Ticket.id != ticket.id)
                     .order_by(Ticket.id.desc()).limit(1))


def _linked(db: Session, ticket: Ticket, major: Ticket) -> bool:
    return db.scalar(select(TicketLink.id).where(TicketLink.source_id == ticket.id, TicketLink.target_id == major.id,
                                                 TicketLink.kind == "related")) is not None
