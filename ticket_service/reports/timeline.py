"""Each ticket's timeline rebuilt from its history rows: states over time, pauses, resolutions, reopens, escalations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.vocabulary import OPEN, STAFF_ROLES
from ticket_service.store.models import Comment, IncidentFollower, Person, Ticket, TicketEvent, TicketLink

PAUSED = ("waiting", "awaiting_approval", "resolved")  # the clock stops in these states (domain/sla.py)
TRACKED = ("status", "group", "level", "priority", "category", "type", "assignee_id", "major")
CHUNK = 500  # ids per IN (...) query


@dataclass
class Change:
    """One history row: when, which field, old → new, who."""

    at: datetime
    field: str
    old: str | None
    new: str | None
    actor_id: int | None


@dataclass
class Timeline:
    """A ticket with its history, answering « what was true at instant T » from the audit rows alone."""

    id: int
    requester_id: int
    created_at: datetime
    current: dict  # the ticket's fields now (status, group, level, priority, category, type, assignee_id, major)
    title: str = ""
    first_response_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None
    rated_at: datetime | None = None
    catalogue_item: str | None = None
    merged: bool = False  # a duplicate merged into another ticket: nobody worked on it
    followers: int = 0
    changes: list[Change] = field(default_factory=list)  # in time order
    staff_replies: list[tuple[datetime, int]] = field(default_factory=list)  # public replies by staff: (at, author)

    def value_at(self, name: str, moment: datetime):
        """Return a field's value at an instant: the last change before it, else the value before the first change."""
        rows = [c for c in self.changes if c.field == name]
        if not rows:
            return self.current.get(name)
        value = rows[0].old
        for row in rows:
            if row.at > moment:
                break
            value = row.new
        if name == "status" and value is None:
            return None  # before creation
        return _typed(name, value)

    def status_changes(self) -> list[Change]:
        """Return the status rows, the creation first."""
        return [c for c in self.changes if c.field == "status"]

    def resolutions(self) -> list[datetime]:
        """Return the instants the desk resolved the ticket (entries into « résolu »)."""
        return [c.at for c in self.status_changes() if c.new == "resolved"]

    def self_resolution(self) -> datetime | None:
        """Return when the requester closed the ticket as solved by self-service (new → closed by the requester)."""
        for c in self.status_changes():
            if c.old == "new" and c.new == "closed" and c.actor_id == self.requester_id and not self.merged:
                return c.at
        return None

    def reopens(self) -> list[Change]:
        """Return the reopenings (résolu → en cours), by the requester or the desk."""
        return [c for c in self.status_changes() if c.old == "resolved" and c.new == "in_progress"]

    def escalations_before(self, moment: datetime) -> int:
        """Return how many level changes happened before an instant."""
        return sum(1 for c in self.changes if c.field == "level" and c.at < moment)

    def pauses(self, until: datetime) -> list[tuple[datetime, datetime]]:
        """Return the intervals spent in a paused state (en attente, validation, résolu) before ``until``."""
        out, start = [], None
        for c in self.status_changes():
            if c.at >= until:
                break
            if c.new in PAUSED and start is None:
                start = c.at
            elif c.new not in PAUSED and start is not None:
                out.append((start, c.at))
                start = None
        if start is not None:
            out.append((start, until))
        return out

    def is_open_at(self, moment: datetime) -> bool:
        """Return True when the ticket existed and was open (nouveau, en cours, en attente, validation) then."""
        return self.created_at <= moment and self.value_at("status", moment) in OPEN

    def last_resolution_standing(self, since: datetime, until: datetime) -> datetime | None:
        """Return the last desk resolution in [since, until) if the ticket was still resolved or closed at ``until``."""
        inside = [r for r in self.resolutions() if since <= r < until]
        if not inside:
            return None
        after = self.value_at("status", until - timedelta(microseconds=1))
        return inside[-1] if after in ("resolved", "closed") else None

    def intervals_in_group(self, group: str, until: datetime) -> list[tuple[datetime, datetime]]:
        """Return the intervals the ticket spent in a support group before ``until`` (or its end of work)."""
        rows = [c for c in self.changes if c.field == "group" and c.at < until]
        current = rows[0].old if rows else self.current.get("group")
        marks = [(self.created_at, current)] + [(c.at, c.new) for c in rows]
        out = []
        for i, (start, name) in enumerate(marks):
            end = marks[i + 1][0] if i + 1 < len(marks) else until
            if name == group and end > start:
                out.append((start, end))
        return out


def net_business_seconds(cal: BusinessCalendar, start: datetime, end: datetime,
                         pauses: list[tuple[datetime, datetime]]) -> float:
    """Return the business seconds from start to end, less the business seconds of the pauses within."""
    total = cal.business_seconds_between(start, end)
    for a, b in pauses:
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            total -= cal.business_seconds_between(lo, hi)
    return max(total, 0.0)


def load_timelines(db: Session, since: datetime, until: datetime) -> list[Timeline]:
    """Load every ticket that can count in [since, until): created before its end and open, or changed, within it."""
    touched = select(TicketEvent.ticket_id).where(TicketEvent.at >= since, TicketEvent.at < until)
    rows = db.scalars(select(Ticket).where(Ticket.created_at < until, or_(
        Ticket.created_at >= since, Ticket.status.in_(OPEN), Ticket.id.in_(touched))).order_by(Ticket.id)).all()
    timelines = {t.id: Timeline(
        id=t.id, requester_id=t.requester_id, created_at=t.created_at, title=t.title,
        current={"status": t.status, "group": t.group, "level": t.level, "priority": t.priority, "category": t.category,
                 "type": t.type, "assignee_id": t.assignee_id, "major": bool(t.major)},
        first_response_at=t.first_response_at, rating=t.satisfaction_rating, rating_comment=t.satisfaction_comment,
        catalogue_item=t.catalogue_item) for t in rows}
    staff = set(db.scalars(select(Person.id).where(Person.role.in_(STAFF_ROLES))))
    ids = sorted(timelines)
    for chunk in (ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)):
        for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id.in_(chunk))
                            .order_by(TicketEvent.at, TicketEvent.id)):
            tl = timelines[e.ticket_id]
            if e.field in TRACKED:
                tl.changes.append(Change(e.at, e.field, e.old, e.new, e.actor_id))
            elif e.field == "satisfaction_rating":
                tl.rated_at = e.at
        for c in db.scalars(select(Comment).where(Comment.ticket_id.in_(chunk), Comment.internal.is_(False))
                            .order_by(Comment.created_at, Comment.id)):
            if c.author_id in staff:
                timelines[c.ticket_id].staff_replies.append((c.created_at, c.author_id))
        for source in db.scalars(select(TicketLink.source_id).where(TicketLink.source_id.in_(chunk),
                                                                    TicketLink.kind == "duplicate_of")):
            timelines[source].merged = True
        for f in db.scalars(select(IncidentFollower.ticket_id).where(IncidentFollower.ticket_id.in_(chunk))):
            timelines[f].followers += 1
    return list(timelines.values())


def percentile(values: list[float], share: float) -> float | None:
    """Return the nearest-rank percentile (p90: the value at rank ⌈0.9 × n⌉ of the sorted values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(round(share * 1000)) * len(ordered) // 1000))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    """Return the median (the mean of the two middle values for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _typed(name: str, value: str | None):
    if name == "assignee_id":
        return int(value) if value not in (None, "", "None") else None
    if name == "major":
        return value == "True"
    return value

