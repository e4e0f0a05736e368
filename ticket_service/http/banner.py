"""The known-issue banner feed: published open incidents, cached in each process (every page asks for it).

A version row in the database says when the feed changed, so every process and host drops its copy at once.
"""

from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ticket_service.domain.vocabulary import OPEN
from ticket_service.http.serializers import public_incident_json
from ticket_service.store.models import SharedVersion, Ticket

VERSION = "banner"

_lock = threading.Lock()


def major_feed(db: Session) -> list[dict]:
    """Return the public view of published open incidents, major first (at most BANNER_CACHE_SECONDS old)."""
    ttl = float(current_app.config.get("BANNER_CACHE_SECONDS", 15))
    generation = db.scalar(select(SharedVersion.version).where(SharedVersion.name == VERSION)) or 0
    state = current_app.extensions.setdefault("guichet_banner", {"cached": None})  # per app: one app, one database
    with _lock:
        cached = state["cached"]  # (version row's value, monotonic time, items)
    if cached is not None and cached[0] == generation and time.monotonic() - cached[1] < ttl:
        return cached[2]
    rows = db.scalars(select(Ticket).where(Ticket.published.is_(True), Ticket.status.in_(OPEN))
                      .order_by(Ticket.major.desc(), Ticket.id.desc()).limit(20))
    items = [public_incident_json(t) for t in rows]  # public title and text only, never the private ticket
    with _lock:
        state["cached"] = (generation, time.monotonic(), items)
    return items


def _watch(session, _flush_context) -> None:
    """Bump the feed's version, in the same transaction, when a flush publishes, unpublishes or moves an incident."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Ticket):
            state = inspect(obj)
            if obj.published or any(state.attrs[name].history.has_changes() for name in ("published", "major", "status")):
                connection = session.connection()
                insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(SharedVersion)
                connection.execute(insert.values(name=VERSION, version=1).on_conflict_do_update(
                    index_elements=["name"], set_={"version": SharedVersion.version + 1}))
                return


def init_app(app) -> None:
    """Watch ticket writes (once per process) so that a change shows at once in every process."""
    if not event.contains(Session, "after_flush", _watch):
        event.listen(Session, "after_flush", _watch)
