"""Idempotency-Key on creates: the key row is written in the same transaction as the created object."""

from __future__ import annotations

import hashlib
import json
import re

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.errors import Invalid, Malformed
from ticket_service.store.models import IdempotencyKey

_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")


def header_key() -> str | None:
    """Return the request's Idempotency-Key, or None; 400 when it is malformed."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.match(key):
        raise Malformed("invalid_idempotency_key",
                       "En-tête Idempotency-Key invalide : 8 à 100 caractères parmi lettres, chiffres, _ . : - (un UUID convient).")
    return key


def fingerprint(payload: dict) -> str:
    """Return a stable hash of the request payload."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def replayed_id(db: Session, person_id: int, key: str, endpoint: str, digest: str) -> int | None:
    """Return the id created earlier with this key; 422 when the key was used for another payload."""
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
