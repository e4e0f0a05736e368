"""The ``webhooks.deliver`` job: send the due webhook deliveries, signed, and record each try (W-03, W-05, W-06).

A delivery is marked only after its try, in its own transaction: a worker killed mid-send leaves it due, and the
next run sends it again under the same webhook-id (at least once; receivers deduplicate on it).
"""

from __future__ import annotations

import json
import os
from datetime import datetime

from sqlalchemy import and_, or_, select

from ticket_service.actions.webhooks import DEAD, FAILED, PENDING, Outcome, record, set_aside
from ticket_service.domain.clock import Clock
from ticket_service.domain.webhook_targets import TargetRefused
from ticket_service.domain.webhooks import secrets_of
from ticket_service.jobs.backoff import retry_delay
from ticket_service.jobs.outbox import Message
from ticket_service.jobs.registry import job
from ticket_service.notify import signing, webhook_http, webhooks
from ticket_service.store.models import OutboxEvent, WebhookDelivery, WebhookEndpointState


def due(database, now: datetime, batch: int) -> list[tuple[int, str, str, Message]]:
    """Return (delivery id, endpoint, webhook-id, event) of deliveries due now, oldest first, endpoints enabled."""
    with database.reader() as db:
        off = select(WebhookEndpointState.name).where(WebhookEndpointState.disabled_at.is_not(None))
        rows = db.execute(
            select(WebhookDelivery.id, WebhookDelivery.endpoint, WebhookDelivery.webhook_id, OutboxEvent)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .where(or_(WebhookDelivery.status == PENDING,
                       and_(WebhookDelivery.status == FAILED, WebhookDelivery.next_attempt_at <= now)),
                   WebhookDelivery.endpoint.not_in(off))
            .order_by(WebhookDelivery.id).limit(batch)).all()
        return [(i, name, wid, Message(e.id, e.name, e.ticket_id, e.actor_id, e.at, json.loads(e.payload)))
                for i, name, wid, e in rows]


def outcome_of(reply: webhook_http.Reply) -> Outcome:
    """Classify a reply: 2xx delivered; 410 stops the endpoint; anything else (3xx included) failed, not followed."""
    if 200 <= reply.status < 300:
        return Outcome(True, reply.status)
    if reply.status == 410:
        return Outcome(False, 410, "HTTP 410 Gone: the receiver asked to stop; endpoint disabled", gone=True)
    kind = "redirect not followed" if 300 <= reply.status < 400 else "refused"
    detail = f" — {reply.excerpt}" if reply.excerpt.strip() else ""
    return Outcome(False, reply.status, f"HTTP {reply.status} ({kind}){detail}")


def send(app, database, endpoint, webhook_id: str, message: Message, clock: Clock) -> Outcome:
    """Build, sign and POST one delivery; return its outcome (never raises for the receiver's faults)."""
    config = app.config
    with database.reader() as db:
        payload = webhooks.body(db, endpoint, message, str(config["PUBLIC_URL"]))
    try:
        keys = secrets_of(os.environ.get(endpoint.secret_env))
    except ValueError as exc:  # the variable changed since start-up: nothing leaves unsigned
        return Outcome(False, None, f"secret {endpoint.secret_env}: {exc}")
    timestamp = int(clock.now().timestamp())
    headers = signing.headers(keys, webhook_id, timestamp, payload)
    try:
        reply = webhook_http.post(endpoint.url, payload, headers, timeout=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
                                  allow=webhooks.config(app).allow, ca_file=config.get("WEBHOOK_CA_FILE"))
    except TargetRefused as exc:
        return Outcome(False, None, f"target refused: {exc}")
    except webhook_http.SendError as exc:
        return Outcome(False, None, str(exc))
    return outcome_of(reply)


@job("webhooks.deliver")
def deliver(app, database, payload: dict, clock: Clock) -> dict[str, int]:
    """Try every due delivery once; return how many were delivered, failed (retried later) and set aside."""
    config = app.config
    max_attempts = int(config["WEBHOOK_MAX_ATTEMPTS"])
    base, cap = float(config["WEBHOOK_BACKOFF_SECONDS"]), float(config["WEBHOOK_BACKOFF_MAX_SECONDS"])
    counts = {"delivered": 0, "failed": 0, "dead": 0}
    configured = webhooks.config(app)
    for delivery_id, name, webhook_id, message in due(database, clock.now(), int(config["WEBHOOK_BATCH"])):
        endpoint = configured.endpoint(name)
        if endpoint is None:
            with database.writer() as db:
                set_aside(db, delivery_id, f"endpoint {name!r} is no longer in helpdesk.yml", clock.now())
            counts["dead"] += 1
            continue
        outcome = send(app, database, endpoint, webhook_id, message, clock)
        with database.writer() as db:
            status = record(db, delivery_id, outcome, clock.now(), max_attempts=max_attempts,
                            retry_after=lambda attempts: retry_delay(attempts, base, cap))
        counts["delivered" if status == "delivered" else "dead" if status == DEAD else "failed"] += 1
    return counts
