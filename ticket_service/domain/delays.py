"""Announced delays: a technician's new date for the first response or the resolution, its reason, whether it was met,
and the one rule for the dates a requester is told to expect (the latest announcement, else the SLA due instant)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.errors import Conflict, Forbidden, Invalid, invalid
from ticket_service.domain.events import DelayAnnounced, emit
from ticket_service.domain.history import record
from ticket_service.domain.vocabulary import OPEN, REASON, STAFF_ROLES, fits
from ticket_service.store.models import AnnouncedDelay, Person, Ticket

KINDS = ("first_response", "resolution")
HORIZON = timedelta(days=366)  # an announcement further away than a year is a typing mistake, not a promise
UTC = timezone.utc


@dataclass(frozen=True)
class Expected:
    """One date the requester is told to expect: from an announcement (with its reason and day) or from the SLA."""

    due: datetime | None
    announced: bool = False
    reason: str | None = None
    announced_at: datetime | None = None


def parse_due(value, tz: tzinfo) -> datetime:
    """Return an aware UTC instant from an ISO 8601 text (a local time without offset is in the org's time zone)."""
    try:
        text = None if isinstance(value, datetime) else str(value).strip().replace("Z", "+00:00")
        moment = value if text is None else datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # unreadable, or so near year 1 that UTC falls outside the calendar
        raise invalid("La date annoncée est illisible.",
                      {"due_at": "date illisible : écrivez AAAA-MM-JJTHH:MM (heure locale)"}) from None


def announce(db: Session, ticket: Ticket, actor: Person, kind: str, due_at, reason: str | None, *, now: datetime,
             tz: tzinfo) -> AnnouncedDelay:
    """Record a technician's new date (in the future, with a reason), supersede the previous one, audit and notify."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("forbidden", "Seul un technicien peut annoncer un délai.")
    now = now.astimezone(UTC)  # stored and answered in UTC whatever zone the clock speaks
    errors = {}
    if kind not in KINDS:
        errors["kind"] = "first_response ou resolution"
    if not fits(reason or "", REASON):
        errors["reason"] = f"obligatoire : dites pourquoi ({REASON[0]} à {REASON[1]} caractères)"
    try:
        due = parse_due(due_at, tz)
    except Invalid as exc:  # reported with the other fields' errors, in one answer
        errors.update(exc.fields)
        due = None
    if due is not None and due <= now:
        errors["due_at"] = "la date annoncée doit être dans le futur"
    elif due is not None and due > now + HORIZON:
        errors["due_at"] = "la date annoncée doit être dans moins d'un an"
    if errors:
        raise invalid("L'annonce de délai est incomplète.", errors)
    if ticket.status not in OPEN:
        raise Conflict("not_open", "Seule une demande ouverte peut recevoir un nouveau délai.")
    if kind == "first_response" and ticket.first_response_at is not None:
        raise Conflict("already_answered", "La première réponse est déjà faite : annoncez plutôt la résolution.")
    previous = current(db, ticket.id).get(kind)
    if previous is not None:
        previous.superseded_at = now
    delay = AnnouncedDelay(ticket_id=ticket.id, kind=kind, due_at=due, reason=reason.strip(), by_id=actor.id, at=now)
    db.add(delay)
    record(db, ticket, actor, f"delay_{kind}", _iso(previous.due_at) if previous else None, _iso(due), delay.reason,
           now=now)
    ticket.updated_at = now
    db.flush()
    emit(db, DelayAnnounced(ticket.id, actor.id, now, kind=kind, due=_iso(due), reason=delay.reason, delay_id=delay.id))
    return delay


def settle(db: Session, ticket: Ticket) -> None:
    """Record whether the latest announcement was met, once the first response is made or the ticket resolved."""
    reached = {"first_response": ticket.first_response_at, "resolution": ticket.resolved_at}
    for kind, delay in current(db, ticket.id).items():
        if delay.met is None and reached[kind] is not None:
            delay.met = reached[kind] <= delay.due_at


def current(db: Session, ticket_id: int) -> dict[str, AnnouncedDelay]:
    """Return the announcement in force for each kind of one ticket (the latest, not superseded)."""
    return current_of(db, [ticket_id]).get(ticket_id, {})


def current_of(db: Session, ticket_ids: list[int]) -> dict[int, dict[str, AnnouncedDelay]]:
    """Return, by ticket id, the announcement in force for each kind."""
    if not ticket_ids:
        return {}
    rows = db.scalars(select(AnnouncedDelay).where(AnnouncedDelay.ticket_id.in_(ticket_ids),
                                                   AnnouncedDelay.superseded_at.is_(None)).order_by(AnnouncedDelay.id))
    found: dict[int, dict[str, AnnouncedDelay]] = {}
    for row in rows:
        found.setdefault(row.ticket_id, {})[row.kind] = row
    return found


def announcements(db: Session, ticket_id: int) -> list[AnnouncedDelay]:
    """Return every announcement of a ticket, oldest first (the history the desk shows)."""
    return list(db.scalars(select(AnnouncedDelay).where(AnnouncedDelay.ticket_id == ticket_id)
                           .order_by(AnnouncedDelay.id)))


def expected(ticket: Ticket, in_force: dict[str, AnnouncedDelay] | None = None) -> dict[str, Expected]:
    """Return the first response and resolution dates to expect: the announcement in force, else the SLA due."""
    in_force = in_force or {}
    sla_due = {"first_response": ticket.first_response_due, "resolution": ticket.resolution_due}
    dates = {}
    for kind in KINDS:
        delay = in_force.get(kind)
        if delay is not None:
            dates[kind] = Expected(delay.due_at, True, delay.reason, delay.at)
        else:
            dates[kind] = Expected(sla_due[kind])
    return dates


def state(delay: AnnouncedDelay) -> str:
    """Return « met », « missed », « superseded » or « pending » (shown as tenu / non tenu / remplacé / en cours)."""
    if delay.met is not None:
        return "met" if delay.met else "missed"
    return "superseded" if delay.superseded_at is not None else "pending"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None
