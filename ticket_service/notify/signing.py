"""Standard Webhooks signatures: sign what Guichet sends, and verify it on the receiving side (W-04)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Iterable, Mapping

from ticket_service.domain.webhooks import decode_secret

TOLERANCE_SECONDS = 5 * 60  # older or newer than this, a message is refused as a possible replay


class SignatureError(ValueError):
    """A webhook that must not be trusted: missing headers, stale timestamp or no matching signature."""


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(keys: Iterable[bytes], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Return the three signing headers; with two keys (rotation) both signatures go, space-separated."""
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signature(key, msg_id, timestamp, body) for key in keys)}


def verify(secrets: Iterable[str], received: Mapping[str, str], body: bytes, now: datetime,
           tolerance: int = TOLERANCE_SECONDS) -> str:
    """Check a received webhook against one or two ``whsec_`` secrets; return its id or raise SignatureError.

    Every candidate is compared in constant time, so timing tells nothing about how close a forgery came.
    """
    lower = {k.lower(): v for k, v in received.items()}
    msg_id, stamp, signatures = (lower.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not msg_id or not stamp or not signatures:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a whole number of seconds") from None
    if abs(now.timestamp() - timestamp) > tolerance:
        raise SignatureError("webhook-timestamp is too old or too new (replay?)")
    offered = [s.partition(",")[2] for s in signatures.split() if s.startswith("v1,")]
    matched = False
    for secret in secrets:
        expected = signature(decode_secret(secret), msg_id, timestamp, body).partition(",")[2]
        for candidate in offered:
            matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise SignatureError("no signature matches (wrong secret or tampered body)")
    return msg_id
