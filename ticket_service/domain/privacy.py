"""RGPD rules: what anonymising a ticket or forgetting a person replaces, and when retention applies."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

REDACTED = "[anonymisé]"
REMOVED_TEXT = "[texte supprimé : personne anonymisée]"
PLACEHOLDER_EMAIL = "anonyme@anonyme.invalid"  # the one requester of anonymised tickets (.invalid never resolves)
PLACEHOLDER_NAME = "Personne anonymisée"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
MONTH = timedelta(days=30.4375)  # a mean month: « older than N months » need not follow the calendar to the day


def forgotten_email(person_id: int) -> str:
    """Return the address a forgotten person keeps, unique and meaningless (the column is unique)."""
    return f"anonyme-{person_id}@anonyme.invalid"


def scrub(text: str | None, names: list[str]) -> str | None:
    """Replace every e-mail address and each of ``names`` (whole, any case) in ``text``."""
    if not text:
        return text
    text = EMAIL.sub(REDACTED, text)
    for name in sorted({n for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(re.escape(name.strip()), REDACTED, text, flags=re.IGNORECASE)
    return text


def retention_cutoff(now: datetime, months: int) -> datetime:
    """Return the closing time before which a closed ticket is anonymised."""
    return now - MONTH * months
