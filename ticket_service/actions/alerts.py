"""Monitoring alerts as the system and the admin: absorb a request's alerts in one commit, manage source tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit, rollback
from ticket_service.domain import alerts
from ticket_service.domain.alert_config import SOURCE_NAME
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Conflict, NotFound, invalid
from ticket_service.store.models import AlertSource, Person

TOKEN_PREFIX = "gca_"  # tells an alert source's token from a person's (gct_) at a glance
ATTEMPTS = 5  # a racing twin that opened the same fingerprint's ticket first costs one retry


def receive(db: Session, ctx: Context, source_id: int, batch: list[alerts.Alert]) -> list[alerts.Outcome]:
    """Apply every alert of one request in one transaction; retry when a concurrent request opened a ticket first."""
    for attempt in range(ATTEMPTS):
        try:
            source = db.get(AlertSource, source_id)
            now = ctx.clock.now()
            outcomes = [alerts.absorb(db, ctx, source, alert, now) for alert in batch]
            commit(db)
            return outcomes
        except IntegrityError:  # the unique (source, fingerprint, open) row of a twin: now it is there to repeat on
            rollback(db)
    raise Conflict("alert_busy", "Trop de requêtes simultanées pour ces alertes : réessayez.")


@dataclass(frozen=True)
class NewToken:
    """A source and its token, shown once (only its hash is kept)."""

    source: AlertSource
    token: str


def add_source(db: Session, name: str, now: datetime) -> NewToken:
    """Give a source a new token: a new source, or one whose token was revoked (its open alerts stay its own)."""
    if not SOURCE_NAME.match(name or ""):
        raise invalid("Nom de source invalide.",
                      {"name": "1 à 63 caractères a-z, 0-9, - et _ (commençant par a-z ou 0-9)"})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    source = db.scalar(select(AlertSource).where(AlertSource.name == name).with_for_update())
    if source is not None and source.revoked_at is None:
        raise Conflict("source_exists", f"La source « {name} » a déjà un jeton : révoquez-le d'abord.")
    if source is None:
        # The requester of its tickets: a person who cannot sign in (inactive, no password) and gets no mail.
        person = Person(email=f"alertes.{name}@guichet.invalid", name=f"Supervision ({name})", role="employee",
                        active=False, created_at=now)
        db.add(person)
        db.flush()
        source = AlertSource(name=name, person_id=person.id, token_hash=alerts.token_hash(token), created_at=now)
        db.add(source)
    else:
        source.token_hash, source.revoked_at, source.created_at = alerts.token_hash(token), None, now
    commit(db)
    return NewToken(source, token)


def revoke_source(db: Session, name: str, now: datetime) -> AlertSource:
    """Withdraw a source's token: its next request is refused (401)."""
    source = db.scalar(select(AlertSource).where(AlertSource.name == name).with_for_update())
    if source is None or source.revoked_at is not None:
        raise NotFound("not_found", f"Aucune source active nommée « {name} ».")
    source.revoked_at = now
    commit(db)
    return source
