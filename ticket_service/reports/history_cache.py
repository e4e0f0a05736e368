"""The history rows of the tickets the dashboard has read, kept between requests, a ticket's reread once rows are added
to it: ``ticket_events`` and ``comments`` are append-only (no action updates or deletes them), so every change to what
a timeline holds is a new row, found by id.

A write transaction may commit its rows after rows with higher ids: each request therefore looks again at every row
added since the reset before last and rereads the tickets of those it had not seen. The store starts afresh every
``RESET_SECONDS``, when a staff role changes, when ids go backwards (a restored backup) and when it grows past
``MAX_TICKETS``; so only a write transaction open longer than that (Guichet's actions commit once, in milliseconds)
could be seen late, and by at most that long.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.domain.vocabulary import STAFF_ROLES
from ticket_service.store.models import Comment, Person, TicketEvent

RESET_SECONDS = 600
MAX_TICKETS = 150_000
FIRST_LOOK_BACK = 1_000  # ids looked at again after the very first start (rows that may still be committing)
enabled = True  # False: every request reads every row (the live computation the cache must equal)


@dataclass(frozen=True)
class History:
    """What a ticket's rows say: its tracked changes (time order, and grouped by field), rating instant, staff replies."""

    changes: tuple
    grouped: dict
    rated_at: datetime | None
    staff_replies: tuple


@dataclass
class _Store:
    lock: threading.Lock = field(default_factory=threading.Lock)
    histories: dict = field(default_factory=dict)
    staff: frozenset | None = None
    reset_at: float = 0.0
    marks: tuple = (0, 0)  # the highest event and comment ids at the last reset
    floor: tuple = (0, 0)  # rows above these ids are looked at on every request
    seen: tuple = field(default_factory=lambda: (set(), set()))  # ids above the floor already taken into account


_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def histories(db: Session, ids: list[int], load) -> dict[int, History]:
    """Return the history of each ticket id, calling ``load(db, missing_ids)`` for those not kept (or kept stale)."""
    if not enabled:
        return load(db, ids)
    store = _store(db)
    with store.lock:
        _refresh(db, store)
        missing = [i for i in ids if i not in store.histories]
        if missing:
            store.histories.update(load(db, missing))
        return {i: store.histories[i] for i in ids}


def forget() -> None:
    """Drop every kept history (tests; a restored database)."""
    with _stores_lock:
        _stores.clear()


def _store(db: Session) -> _Store:
    bind = db.get_bind()
    engine = getattr(bind, "engine", bind)
    with _stores_lock:
        if engine not in _stores:
            _stores[engine] = _Store()
        return _stores[engine]


def _refresh(db: Session, store: _Store) -> None:
    staff = frozenset(db.scalars(select(Person.id).where(Person.role.in_(STAFF_ROLES))))
    marks = (db.scalar(select(func.max(TicketEvent.id))) or 0, db.scalar(select(func.max(Comment.id))) or 0)
    now = time.monotonic()
    if (store.staff != staff or now - store.reset_at > RESET_SECONDS or len(store.histories) > MAX_TICKETS
            or marks[0] < store.marks[0] or marks[1] < store.marks[1]):
        first = store.staff is None or marks[0] < store.marks[0] or marks[1] < store.marks[1]
        store.floor = tuple(max(0, m - FIRST_LOOK_BACK) for m in marks) if first else store.marks
        store.histories.clear()
        store.staff, store.reset_at, store.marks = staff, now, marks
        store.seen = tuple(set(db.scalars(select(t.id).where(t.id > f))) for t, f in zip((TicketEvent, Comment),
                                                                                         store.floor))
        return
    for table, ticket, floor, seen in ((TicketEvent, TicketEvent.ticket_id, store.floor[0], store.seen[0]),
                                       (Comment, Comment.ticket_id, store.floor[1], store.seen[1])):
        for row_id, ticket_id in db.execute(select(table.id, ticket).where(table.id > floor)):
            if row_id not in seen:
                seen.add(row_id)
                store.histories.pop(ticket_id, None)
