"""Idempotency keys on creates: the key row is written in the same transaction as the created object."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.errors import Invalid
from ticket_service.store.models import IdempotencyKey


def fingerprint(payload: dict) -> str:
    """Return a stable hash of the request payload."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def replayed_id(db: Session, person_id: int, key: str, endpoint: str, digest: str) -> int | None:
    """Return the id created earlier with this key; Invalid when the key was used for another payload."""
    row = db.scalar(select(IdempotencyKey).where(IdempotencyKey.person_id == person_id, IdempotencyKey.key == key))
    if row is None:
        return None
    if row.endpoint != endpoint or row.request_hash != digest:
        raise Invalid("idempotency_key_reused",
                       "Cette clé Idempotency-Key a déjà servi pour une autre requête : générez une nouvelle clé.")
    return row.resource_id


def remember(db: Session, person_id: int, key: str, endpoint: str, digest: str, resource_id: int) -> None:
    """Store the key with what it created (UNIQUE(person, key) makes concurrent twins fail)."""
    db.add(IdempotencyKey(person_id=person_id, key=key, endpoint=endpoint, request_hash=digest, resource_id=resource_id))
    db.flush()
