"""Webhook deliveries as the system and the admin: owe an event to endpoints, record each try, redeliver, re-enable."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Forbidden, NotFound
from ticket_service.store.models import Person, WebhookDelivery, WebhookEndpointState

log = logging.getLogger(__name__)
PENDING, DELIVERED, FAILED, DEAD = "pending", "delivered", "failed", "dead"
ERROR_CHARS = 1000  # what the delivery log keeps of one failure


@dataclass(frozen=True)
class Outcome:
    """What one try gave: success, or a failure with the receiver's status (if any) and our description."""

    ok: bool
    status: int | None = None
    error: str | None = None
    gone: bool = False  # 410: the receiver asks us to stop


def owe(db: Session, event_id: int, endpoints: list[str], now: datetime) -> int:
    """Create the missing deliveries of one event to these endpoints, each with its own webhook-id; return how many."""
    have = set(db.scalars(select(WebhookDelivery.endpoint).where(WebhookDelivery.event_id == event_id)))
    missing = [name for name in endpoints if name not in have]
    db.add_all(WebhookDelivery(event_id=event_id, endpoint=name, webhook_id="msg_" + secrets.token_hex(16),
                               status=PENDING, attempts=0, created_at=now) for name in missing)
    try:
        commit(db)
    except IntegrityError:  # another worker owed them first: theirs stand, with their webhook-ids
        db.rollback()
        return 0
    return len(missing)


def record(db: Session, delivery_id: int, outcome: Outcome, now: datetime, *, max_attempts: int,
           retry_after: Callable[[int], float]) -> str | None:
    """Write one try's outcome (a 410 also turns the endpoint off); return the delivery's new status.

    ``retry_after(attempts)`` gives the seconds before the next try (the job runner's backoff with jitter).
    """
    row = db.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None or row.status == DELIVERED:
        db.rollback()
        return None if row is None else DELIVERED
    row.attempts += 1
    row.last_status = outcome.status
    if outcome.ok:
        row.status, row.delivered_at, row.next_attempt_at, row.last_error = DELIVERED, now, None, None
    else:
        row.last_error = (outcome.error or "")[:ERROR_CHARS]
        if outcome.gone:
            _disable(db, row.endpoint, now, f"HTTP 410 Gone ({row.webhook_id})")
            row.status, row.next_attempt_at = DEAD, None
        else:
            row.status = DEAD if row.attempts >= max_attempts else FAILED
            row.next_attempt_at = None if row.status == DEAD else now + timedelta(seconds=retry_after(row.attempts))
        log.warning("webhook %s to %s failed (attempt %s, %s): %s", row.webhook_id, row.endpoint, row.attempts,
                    row.status, row.last_error)
    status = row.status
    commit(db)
    return status


def set_aside(db: Session, delivery_id: int, reason: str, now: datetime) -> None:
    """Mark a delivery dead without a try (its endpoint left helpdesk.yml)."""
    row = db.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is not None and row.status in (PENDING, FAILED):
        row.status, row.last_error, row.next_attempt_at = DEAD, reason[:ERROR_CHARS], None
    commit(db)


def _disable(db: Session, name: str, now: datetime, reason: str) -> None:
    state = db.get(WebhookEndpointState, name, with_for_update=True)
    if state is None:
        db.add(WebhookEndpointState(name=name, disabled_at=now, reason=reason))
    else:
        state.disabled_at, state.reason = now, reason


def _admin(actor: Person) -> None:
    if actor.role != "admin":
        raise Forbidden("forbidden", "Seuls les administrateurs gèrent les webhooks.")


def redeliver(db: Session, ctx: Context, actor: Person, delivery_id: int) -> WebhookDelivery:
    """Make a delivery due now with a fresh count of tries, under the same webhook-id (administrators only)."""
    _admin(actor)
    row = db.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None:
        raise NotFound("not_found", "Aucun envoi de webhook sous ce numéro.")
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, None
    commit(db)
    return row


def enable_endpoint(db: Session, ctx: Context, actor: Person, name: str) -> None:
    """Turn an endpoint back on after a 410: its held deliveries go at the next run (administrators only)."""
    _admin(actor)
    state = db.get(WebhookEndpointState, name, with_for_update=True)
    if state is None or state.disabled_at is None:
        raise NotFound("not_found", "Ce webhook n'est pas désactivé.")
    state.disabled_at, state.reason = None, None
    commit(db)
