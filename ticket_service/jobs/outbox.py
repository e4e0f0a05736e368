"""Outbox delivery: every committed event reaches every subscriber at least once, in event order per subscriber."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from ticket_service.domain.clock import Clock
from ticket_service.jobs.backoff import retry_delay
from ticket_service.jobs.registry import HANDLERS, Handler
from ticket_service.store.models import OutboxDelivery, OutboxEvent

log = logging.getLogger(__name__)
DELIVERED, FAILED, DEAD = "delivered", "failed", "dead"


@dataclass(frozen=True)
class Message:
    """One outbox event as a subscriber sees it; ``id`` is stable across redeliveries (deduplicate on it)."""

    id: int
    name: str
    ticket_id: int | None
    actor_id: int | None
    at: datetime
    payload: dict


Subscriber = Callable[[Message], None]


class Postpone(Exception):
    """Raised by a subscriber that cannot work yet (e.g. no SMTP server set): the event stays pending, no try counted."""

# name → subscriber; the name keys the delivery record, so renaming a subscriber makes it start over.
SUBSCRIBERS: dict[str, Subscriber] = {}


def subscriber(name: str) -> Callable[[Subscriber], Subscriber]:
    """Register the decorated function as the outbox subscriber ``name`` (it must tolerate redelivery)."""
    def register(function: Subscriber) -> Subscriber:
        SUBSCRIBERS[name] = function
        return function
    return register


def deliverer(subscribers: Mapping[str, Subscriber]) -> Handler:
    """Return the job handler that delivers pending events to these subscribers."""
    def deliver(app, database, payload: dict, clock: Clock) -> int:
        config = app.config
        with app.app_context():  # subscribers read the app's settings through current_app
            return sum(deliver_to(database, name, subscribers[name], clock, batch=int(config["OUTBOX_BATCH"]),
                                  max_attempts=int(config["OUTBOX_MAX_ATTEMPTS"]),
                                  backoff=(float(config["JOB_BACKOFF_SECONDS"]),
                                           float(config["JOB_BACKOFF_MAX_SECONDS"])))
                       for name in sorted(subscribers))
    return deliver


def deliver_to(database, name: str, function: Subscriber, clock: Clock, *, batch: int, max_attempts: int,
               backoff: tuple[float, float]) -> int:
    """Deliver up to ``batch`` pending events to one subscriber; return how many it accepted.

    The mark is written after the call, in its own transaction: a crash in between means redelivery, never loss.
    An event the subscriber refuses blocks the later ones (order is kept) until it succeeds or is set aside as dead.
    """
    with database.reader() as db:
        rows = db.execute(
            select(OutboxEvent, OutboxDelivery.status, OutboxDelivery.next_attempt_at)
            .outerjoin(OutboxDelivery, and_(OutboxDelivery.event_id == OutboxEvent.id, OutboxDelivery.subscriber == name))
            .where(or_(OutboxDelivery.status.is_(None), OutboxDelivery.status == FAILED))
            .order_by(OutboxEvent.id).limit(batch)).all()
        messages = [(_message(event), status, next_at) for event, status, next_at in rows]
    delivered = 0
    for message, status, next_at in messages:
        if status == FAILED and next_at is not None and next_at > clock.now():
            break
        try:
            function(message)
        except Postpone:  # not an attempt: this event and the later ones wait, untouched, for the next run
            break
        except Exception as exc:  # the subscriber's failure is recorded; the job itself goes on
            if _record(database, message.id, name, clock.now(), error=f"{type(exc).__name__}: {exc}",
                       max_attempts=max_attempts, backoff=backoff) != DEAD:
                break
            continue
        _record(database, message.id, name, clock.now())
        delivered += 1
    return delivered


def _message(event: OutboxEvent) -> Message:
    return Message(event.id, event.name, event.ticket_id, event.actor_id, event.at, json.loads(event.payload))


def _record(database, event_id: int, name: str, now: datetime, *, error: str | None = None, max_attempts: int = 1,
            backoff: tuple[float, float] = (0, 0)) -> str | None:
    """Write the outcome of one delivery; return the status written (None when a concurrent worker wrote it)."""
    try:
        with database.write() as db:
            row = db.get(OutboxDelivery, (event_id, name), with_for_update=True)
            if row is None:
                row = OutboxDelivery(event_id=event_id, subscriber=name, attempts=0)
                db.add(row)
            elif row.status == DELIVERED:  # a concurrent run got there first; its success stands
                return DELIVERED
            row.attempts += 1
            if error is None:
                row.status, row.delivered_at, row.next_attempt_at = DELIVERED, now, None
            else:
                row.last_error = error[:4000]
                row.status = DEAD if row.attempts >= max_attempts else FAILED
                row.next_attempt_at = now + timedelta(seconds=retry_delay(row.attempts, *backoff))
                log.warning("outbox event %s to %s failed (attempt %s, %s): %s", event_id, name, row.attempts,
                            row.status, error)
            return row.status
    except IntegrityError:  # another worker recorded this pair first (it ran the same delivery): keep theirs
        return None


HANDLERS["outbox.deliver"] = deliverer(SUBSCRIBERS)
