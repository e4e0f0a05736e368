"""Each ticket's timeline rebuilt from its history rows: states over time, pauses, resolutions, reopens, escalations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ARRAY, Integer, any_, bindparam, select
from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.vocabulary import OPEN, STAFF_ROLES
from ticket_service.reports import history_cache
from ticket_service.store.models import UTC, Comment, IncidentFollower, Person, Ticket, TicketEvent, TicketLink

PAUSED = ("waiting", "awaiting_approval", "resolved")  # the clock stops in these states (domain/sla.py)
TRACKED = ("status", "group", "level", "priority", "category", "type", "assignee_id", "major")
CHUNK = 500  # ids per IN (...) query where arrays cannot be bound
_UNKNOWN = object()  # not answered yet (None is an answer)


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
    # The rows grouped by field and the answers already given, kept while ``changes`` keeps its length.
    _fields: tuple | None = field(default=None, init=False, repr=False, compare=False)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def _grouped(self) -> dict[str, list[Change]]:
        kept = self._fields
        if kept is not None and kept[0] == len(self.changes):
            return kept[1]
        grouped = {}
        for c in self.changes:
            grouped.setdefault(c.field, []).append(c)
        self._fields = (len(self.changes), grouped)
        self._memo.clear()
        return grouped

    def changes_of(self, name: str) -> list[Change]:
        """Return the rows of one field, in time order."""
        return self._grouped().get(name, [])

    def value_at(self, name: str, moment: datetime):
        """Return a field's value at an instant: the last change before it, else the value before the first change."""
        key = (name, moment)
        kept = self._fields
        if kept is not None and kept[0] == len(self.changes):
            found = self._memo.get(key, _UNKNOWN)
            if found is not _UNKNOWN:
                return found
        rows = self._grouped().get(name)
        if not rows:
            found = self.current.get(name)
        else:
            value = rows[0].old
            for row in rows:
                if row.at > moment:
                    break
                value = row.new
            found = None if name == "status" and value is None else _typed(name, value)  # None: before creation
        self._memo[key] = found
        return found

    def status_changes(self) -> list[Change]:
        """Return the status rows, the creation first."""
        return list(self.changes_of("status"))

    def resolutions(self) -> list[datetime]:
        """Return the instants the desk resolved the ticket (entries into « résolu »)."""
        self._grouped()
        if "resolutions" not in self._memo:
            self._memo["resolutions"] = [c.at for c in self.changes_of("status") if c.new == "resolved"]
        return list(self._memo["resolutions"])

    def self_resolution(self) -> datetime | None:
        """Return when the requester closed the ticket as solved by self-service (new → closed by the requester)."""
        for c in self.changes_of("status"):
            if c.old == "new" and c.new == "closed" and c.actor_id == self.requester_id and not self.merged:
                return c.at
        return None

    def reopens(self) -> list[Change]:
        """Return the reopenings (résolu → en cours), by the requester or the desk."""
        return [c for c in self.changes_of("status") if c.old == "resolved" and c.new == "in_progress"]

    def escalations_before(self, moment: datetime) -> int:
        """Return how many level changes happened before an instant."""
        return sum(1 for c in self.changes_of("level") if c.at < moment)

    def pauses(self, until: datetime) -> list[tuple[datetime, datetime]]:
        """Return the intervals spent in a paused state (en attente, validation, résolu) before ``until``."""
        out, start = [], None
        for c in self.changes_of("status"):
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
        self._grouped()
        if "resolutions" not in self._memo:
            self.resolutions()
        inside = [r for r in self._memo["resolutions"] if since <= r < until]
        if not inside:
            return None
        after = self.value_at("status", until - timedelta(microseconds=1))
        return inside[-1] if after in ("resolved", "closed") else None

    def intervals_in_group(self, group: str, until: datetime) -> list[tuple[datetime, datetime]]:
        """Return the intervals the ticket spent in a support group before ``until`` (or its end of work)."""
        rows = [c for c in self.changes_of("group") if c.at < until]
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
    return load_timeline_sets(db, [(since, until)])[0]


def load_timeline_sets(db: Session, windows: list[tuple[datetime, datetime]]) -> list[list[Timeline]]:
    """Load, in one pass, the tickets of several windows (each as ``load_timelines`` chooses them, sharing objects)."""
    since, until = min(w[0] for w in windows), max(w[1] for w in windows)
    # Created before the end and (created within, open now, or changed within): index scans, not one OR over every
    # ticket; the ticket's own columns are read on every request, its history rows kept (history_cache).
    touched = [{row[0] for row in _execute(db, select(TicketEvent.ticket_id).where(
        TicketEvent.at >= start, TicketEvent.at < end).distinct())} for start, end in windows]
    columns = select(*_TICKET_COLUMNS).where(Ticket.created_at < until)
    found = {row[0]: row for query in (columns.where(Ticket.created_at >= since), columns.where(Ticket.status.in_(OPEN)))
             for row in _execute(db, query)}
    found.update((row[0], row) for row in _rows(db, columns, Ticket.id, sorted(set().union(*touched) - found.keys())))
    ids = sorted(found)
    if not ids:
        return [[] for _ in windows]
    kept = history_cache.histories(db, ids, _load_histories)
    timelines = {}
    for (tid, requester, created, title, status, group, level, priority, category, kind, assignee, major, answered,
         rating, comment, item) in (found[i] for i in ids):
        history = kept[tid]
        tl = timelines[tid] = Timeline(
            id=tid, requester_id=requester, created_at=_aware(created), title=title,
            current={"status": status, "group": group, "level": level, "priority": priority, "category": category,
                     "type": kind, "assignee_id": assignee, "major": bool(major)},
            first_response_at=_aware(answered), rating=rating, rating_comment=comment, rated_at=history.rated_at,
            catalogue_item=item, changes=list(history.changes), staff_replies=list(history.staff_replies))
        tl._fields = (len(tl.changes), history.grouped)
    for (source,) in _rows(db, select(TicketLink.source_id).where(TicketLink.kind == "duplicate_of"),
                           TicketLink.source_id, ids):
        timelines[source].merged = True
    for (ticket_id,) in _rows(db, select(IncidentFollower.ticket_id), IncidentFollower.ticket_id, ids):
        timelines[ticket_id].followers += 1
    return [[tl for tl in timelines.values() if tl.created_at < end and (
        tl.created_at >= start or tl.current["status"] in OPEN or tl.id in changed)]
        for (start, end), changed in zip(windows, touched)]


def _load_histories(db: Session, ids: list[int]) -> dict[int, history_cache.History]:
    """Read the history rows of these tickets: tracked changes, rating instant, public replies by staff."""
    changes, rated, replies = {i: [] for i in ids}, {}, {i: [] for i in ids}
    for ticket_id, at, name, old, new, actor in _rows(db, select(
            TicketEvent.ticket_id, TicketEvent.at, TicketEvent.field, TicketEvent.old, TicketEvent.new,
            TicketEvent.actor_id).where(TicketEvent.field.in_((*TRACKED, "satisfaction_rating"))),
            TicketEvent.ticket_id, ids, TicketEvent.at, TicketEvent.id):
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        if name == "satisfaction_rating":
            rated[ticket_id] = at
        else:
            changes[ticket_id].append(Change(at, name, old, new, actor))
    staff = select(Person.id).where(Person.role.in_(STAFF_ROLES))
    for ticket_id, at, author in _rows(db, select(Comment.ticket_id, Comment.created_at, Comment.author_id).where(
            Comment.internal.is_(False), Comment.author_id.in_(staff)), Comment.ticket_id, ids, Comment.created_at,
            Comment.id):
        replies[ticket_id].append((_aware(at), author))
    out = {}
    for i in ids:
        grouped = {}
        for c in changes[i]:
            grouped.setdefault(c.field, []).append(c)
        out[i] = history_cache.History(tuple(changes[i]), grouped, rated.get(i), tuple(replies[i]))
    return out


_TICKET_COLUMNS = (Ticket.id, Ticket.requester_id, Ticket.created_at, Ticket.title, Ticket.status, Ticket.group,
                   Ticket.level, Ticket.priority, Ticket.category, Ticket.type, Ticket.assignee_id, Ticket.major,
                   Ticket.first_response_at, Ticket.satisfaction_rating, Ticket.satisfaction_comment,
                   Ticket.catalogue_item)


def _rows(db: Session, query, column, ids: list[int], *order) -> list:
    """Return the rows of ``query`` for these ticket ids, in ``order`` within each chunk (a ticket's rows together):
    one array parameter on PostgreSQL, chunks of IN (...) elsewhere."""
    if not ids:
        return []
    if db.get_bind().dialect.name == "postgresql":
        return _execute(db, query.where(column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))).order_by(*order))
    return [row for i in range(0, len(ids), CHUNK)
            for row in _execute(db, query.where(column.in_(ids[i:i + CHUNK])).order_by(*order))]


def _execute(db: Session, query) -> list:
    """Return a query's rows; on PostgreSQL straight from the driver, its instants naive UTC (see ``_aware``).

    A hundred thousand rows take half the time without SQLAlchemy's row objects and type processing."""
    connection = db.connection()
    if connection.dialect.name != "postgresql":
        return list(connection.execute(query))
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _aware(moment: datetime | None) -> datetime | None:
    """Return an instant as UTCDateTime hands it back (the driver's rows carry naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


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

