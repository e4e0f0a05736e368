"""The knowledge panels' computed results, kept a few minutes by (panel, period, filters, window, data version).

The deflection report and the clustering read every help event and text of the period (seconds at 120,000 tickets),
too slow to run on each request. A result is served again while the data version is unchanged (the highest id of
every table these panels read: a new help event, ticket, history row or link changes it) and while the domain clock
is less than ``max_age`` past the instant it was computed for; it carries ``computed_at`` for the page's
« calculé à HH:MM ». What an id cannot show (a ticket's text edited, a row deleted by a purge) is seen once the
entry is older than ``max_age``.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections import OrderedDict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.store.models import ArticleLink, HelpEvent, Ticket, TicketEvent, TicketLink

KEPT = 64  # results kept per database: the periods and filters people look at
enabled = True  # False: every request computes (the tests comparing with the live computation)

_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def data_version(db: Session) -> tuple:
    """Return the highest id of every table the knowledge panels read (index lookups: a millisecond)."""
    return tuple(db.execute(select(*(select(func.max(table.id)).scalar_subquery() for table in (
        HelpEvent, Ticket, TicketEvent, ArticleLink, TicketLink)))).one())


def cached(db: Session, key: tuple, now: datetime, max_age: timedelta | None, compute) -> tuple[object, datetime]:
    """Return (``compute()``'s result, the instant it was computed for), kept under ``key`` and the data version."""
    if not enabled or max_age is None or max_age <= timedelta(0):
        return compute(), now
    version = data_version(db)
    store = _store(db)
    with _lock:
        entry = store.get(key)
        if entry is not None and entry[0] == version and timedelta(0) <= now - entry[1] <= max_age:
            store.move_to_end(key)
            return copy.deepcopy(entry[2]), entry[1]  # callers add the previous period's values in place
    result = compute()
    with _lock:
        store[key] = (version, now, copy.deepcopy(result))
        store.move_to_end(key)
        while len(store) > KEPT:
            store.popitem(last=False)
    return result, now


def forget() -> None:
    """Drop every kept result (tests; a restored database)."""
    with _lock:
        _stores.clear()


def _store(db: Session) -> OrderedDict:
    bind = db.get_bind()
    engine = getattr(bind, "engine", bind)
    with _lock:
        return _stores.setdefault(engine, OrderedDict())
