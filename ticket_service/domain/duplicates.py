"""Likely duplicates through ``search`` (never sklearn directly): open tickets for technicians, published incidents for employees."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.vocabulary import OPEN
from ticket_service.store.models import Ticket

MAX_CANDIDATES = 2000  # the most recent open tickets; older ones are unlikely duplicates
# Below this a « similar » ticket is noise. On 50 labelled pairs of the demo's tickets (tests/fixtures/
# similar_tickets.json: 24 similar, 26 dissimilar) 0.25 showed 9 dissimilar pairs (precision 0.71, recall 0.92),
# 0.30 showed 4 (0.84, 0.88), 0.35 shows 1 (0.95, 0.79), 0.40 loses 4 more similar ones (0.94, 0.62). The similar
# pairs below 0.35 say it in other words (« je perds le réseau » for « VPN coupé ») or share a cause, not a text.
SIMILAR_FLOOR = 0.35


def _rank(pairs: list[tuple[str, str]], text: str, k: int, min_score: float) -> list[tuple[int, float]]:
    if not pairs:
        return []
    from search import TextSimilarity

    return [(int(key), score) for key, score in TextSimilarity(pairs).most_similar(text, k=k, min_score=min_score)]


def likely_duplicates(db: Session, ticket: Ticket, k: int = 5,
                      min_score: float = SIMILAR_FLOOR) -> list[tuple[Ticket, float]]:
    """Return open tickets whose text resembles this ticket's, best first (for technicians only)."""
    rows = db.scalars(select(Ticket).where(Ticket.status.in_(OPEN), Ticket.id != ticket.id)
                      .order_by(Ticket.id.desc()).limit(MAX_CANDIDATES)).all()
    by_id = {t.id: t for t in rows}
    ranked = _rank([(str(t.id), f"{t.title}\n{t.description}") for t in rows],
                   f"{ticket.title}\n{ticket.description}", k, min_score)
    return [(by_id[i], score) for i, score in ranked]


def similar_published(db: Session, text: str, k: int = 3, min_score: float = 0.2) -> list[tuple[Ticket, float]]:
    """Return published open incidents matching an employee's text, on their public title and text only."""
    rows = db.scalars(select(Ticket).where(Ticket.published.is_(True), Ticket.status.in_(OPEN))
                      .order_by(Ticket.id.desc()).limit(200)).all()
    by_id = {t.id: t for t in rows}
    ranked = _rank([(str(t.id), f"{t.public_title}\n{t.public_text or ''}") for t in rows], text, k, min_score)
    return [(by_id[i], score) for i, score in ranked]
