"""Dashboard results kept a little while, by what they were asked for and the data version they were computed on.

Every figure is computed from rows that are only ever added (help events, tickets, history rows, comments, links,
followers): while the highest id of each table a result reads is unchanged and the domain clock is less than
``max_age`` past the instant it was computed for, the same request gets the same result again, without reading or
computing anything. Each result carries that instant (``computed_at``: « calculé à HH:MM » on the page). What an id
cannot show (a title edited, a role changed, a row deleted by a purge) and the time passing for open tickets are
seen once the entry is older than ``max_age``.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.domain.vocabulary import STAFF_ROLES
from ticket_service.store.models import (
    ArticleLink, Comment, HelpEvent, IncidentFollower, Person, Ticket, TicketEvent, TicketLink,
)

KNOWLEDGE_TABLES = (HelpEvent, Ticket, TicketEvent, ArticleLink, TicketLink)
DASHBOARD_TABLES = (*KNOWLEDGE_TABLES, Comment, IncidentFollower, Person)
KEPT = 64  # results kept per database: the periods and filters people look at
enabled = True  # False: every request computes (the tests comparing with the live computation)

_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def data_version(db: Session, tables=KNOWLEDGE_TABLES) -> tuple:
    """Return the highest id of each table (index lookups) and the number of staff (whose replies count)."""
    staff = select(func.count(Person.id)).where(Person.role.in_(STAFF_ROLES)).scalar_subquery()
    return tuple(db.execute(select(*(select(func.max(table.id)).scalar_subquery() for table in tables), staff)).one())


def cached(db: Session, key: tuple, now: datetime, max_age: timedelta | None, compute,
           tables=KNOWLEDGE_TABLES) -> tuple[object, datetime]:
    """Return (``compute()``'s result, the instant it was computed for), kept under ``key`` and the data version."""
    if not enabled or max_age is None or max_age <= timedelta(0):
        return compute(), now
    version = data_version(db, tables)
    store = _store(db)
    with _lock:
        entry = store.get(key)
        if entry is not None and entry[0] == version and timedelta(0) <= now - entry[1] <= max_age:
            store.move_to_end(key)
            return _copy(entry[2]), entry[1]  # callers add labels and previous values in place
    result = compute()
    with _lock:
        store[key] = (version, now, _copy(result))
        store.move_to_end(key)
        while len(store) > KEPT:
            store.popitem(last=False)
    return result, now


def forget() -> None:
    """Drop every kept result (tests; a restored database)."""
    with _lock:
        _stores.clear()


def _copy(value):
    """Copy dicts, lists and tuples of them; lists of plain values (ticket ids) copied flat, which is fast."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        if all(isinstance(v, (int, float, str, type(None))) for v in value):
            return list(value)
        return [_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


def _store(db: Session) -> OrderedDict:
    bind = db.get_bind()
    engine = getattr(bind, "engine", bind)
    with _lock:
        return _stores.setdefault(engine, OrderedDict())
