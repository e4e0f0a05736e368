"""The known-issue banner feed: published open incidents, cached briefly in memory (every page asks for it)."""

from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ticket_service.domain.vocabulary import OPEN
from ticket_service.http.serializers import public_incident_json
from ticket_service.store.models import Ticket

_lock = threading.Lock()
_state = {"generation": 0, "cached": None}  # cached: (generation, monotonic time, items)


def major_feed(db: Session) -> list[dict]:
    """Return the public view of published open incidents, major first (at most BANNER_CACHE_SECONDS old)."""
    ttl = float(current_app.config.get("BANNER_CACHE_SECONDS", 15))
    with _lock:
        cached, generation = _state["cached"], _state["generation"]
    if cached is not None and cached[0] == generation and time.monotonic() - cached[1] < ttl:
        return cached[2]
    rows = db.scalars(select(Ticket).where(Ticket.published.is_(True), Ticket.status.in_(OPEN))
                      .order_by(Ticket.major.desc(), Ticket.id.desc()).limit(20))
    items = [public_incident_json(t) for t in rows]  # public title and text only, never the private ticket
    with _lock:
        if _state["generation"] == generation:
            _state["cached"] = (generation, time.monotonic(), items)
    return items


def _watch(session, _flush_context) -> None:
    """Drop the cache when this process publishes, unpublishes or moves a published incident."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Ticket):
            state = inspect(obj)
            if obj.published or any(state.attrs[name].history.has_changes() for name in ("published", "major", "status")):
                with _lock:
                    _state["generation"] += 1
                return


def init_app(app) -> None:
    """Watch ticket writes (once per process) so a change shows at once in this process; others wait the TTL."""
    if not event.contains(Session, "after_flush", _watch):
        event.listen(Session, "after_flush", _watch)
