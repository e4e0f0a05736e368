"""Help-session events: deduplicated storage of what the browser reports, and the query-text purge."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ticket_service.domain.errors import Invalid
from ticket_service.store.models import UTC, HelpEvent, Person, Ticket, utcnow


def _when(ms: int | None, now: datetime) -> datetime:
    """Trust the browser's clock only within the last hour (batches are sent within seconds)."""
    if ms is None:
        return now
    at = datetime.fromtimestamp(ms / 1000, UTC)
    return at if now - timedelta(hours=1) <= at <= now else now


def store(db: Session, session_id: str, events: list[dict], person: Person | None, now: datetime | None = None) -> tuple[int, int]:
    """Insert the events not seen before (dedup by event id); return (accepted, duplicates). Caller commits."""
    now = now or utcnow()
    ids = list(dict.fromkeys(e["id"] for e in events))
    seen = set(db.scalars(select(HelpEvent.event_id).where(HelpEvent.event_id.in_(ids))))
    accepted = 0
    for event in events:
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        if event["type"] == "ticket_created":
            ticket = db.get(Ticket, event["ticket"])
            if person is None or ticket is None or ticket.requester_id != person.id:  # only one's own ticket
                raise Invalid("invalid_fields", "Demande inconnue.", {"ticket": "pas une de vos demandes"})
        extra = {k: v for k, v in event.items() if k not in ("id", "type", "at", "article", "query", "ticket")}
        db.add(HelpEvent(event_id=event["id"], session_id=session_id, person_id=person.id if person else None,
                         type=event["type"], at=_when(event.get("at"), now), article_id=event.get("article"),
                         query=(" ".join(event["query"].split())[:200] or None) if "query" in event else None,
                         ticket_id=event.get("ticket") or event.get("incident"),
                         data=json.dumps(extra, ensure_ascii=False) if extra else None, received_at=now))
        accepted += 1
    return accepted, len(events) - accepted


def purge(db: Session, retention_days: int, now: datetime | None = None) -> int:
    """Blank query texts and feedback reasons older than the retention; return how many events were touched."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    touched = db.execute(update(HelpEvent).where(HelpEvent.at < cutoff, HelpEvent.query.is_not(None))
                         .values(query=None)).rowcount or 0
    for event in db.scalars(select(HelpEvent).where(HelpEvent.at < cutoff, HelpEvent.type == "page_feedback",
                                                    HelpEvent.data.like('%"reason"%'))):
        data = json.loads(event.data)
        data.pop("reason", None)
        event.data = json.dumps(data, ensure_ascii=False)
        touched += 1
    return touched
