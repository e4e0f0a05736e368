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
# That is the lexical scale, in force when the encoder is off or cannot load.
SIMILAR_FLOOR = 0.35
# With the encoder the score is search.TicketSimilarity's fused one (0.4 lexical + 0.6 rescaled e5 cosine), another
# scale. Chosen by 5-fold cross-validation on 164 hand-labelled pairs (benchmarks/duplicate-pairs-{fr,en}.jsonl,
# benchmarks/duplicates.py) as the most recall at precision >= 0.8: 0.58 on all pairs. Held-out folds (median of 3
# splits): precision 0.67, recall 0.29, against 0.67/0.10 for the lexical score alone and 0.65/0.17 for e5 alone
# (a set full of reworded duplicates and same-word near misses). On the 50 demo pairs, never tuned on: precision
# 1.00, recall 0.67 (no dissimilar pair shown).
FUSED_SIMILAR_FLOOR = 0.58
# Employees' « similar published incident »: a missed incident costs a duplicate ticket, a wrong one a glance, so the
# floor maximises F2 at the same weight: 0.40 (held-out precision 0.56, recall 0.96). Lexical: 0.2 as before.
PUBLISHED_FLOOR = 0.2
FUSED_PUBLISHED_FLOOR = 0.40


def _rank(pairs: list[tuple[str, str]], text: str, k: int, min_score: float | None,
          floors: tuple[float, float]) -> list[tuple[int, float]]:
    """Rank ``pairs`` by similarity to ``text``; without ``min_score``, the (lexical, fused) floor of the scale used."""
    if not pairs:
        return []
    from search import TicketSimilarity

    similarity = TicketSimilarity(pairs)
    if min_score is None:
        min_score = floors[1] if similarity.fused else floors[0]
    return [(int(key), score) for key, score in similarity.most_similar(text, k=k, min_score=min_score)]


def likely_duplicates(db: Session, ticket: Ticket, k: int = 5,
                      min_score: float | None = None) -> list[tuple[Ticket, float]]:
    """Return open tickets whose text resembles this ticket's, best first (for technicians only).

    Without ``min_score`` the floor is that of the score in force: fused with the encoder, lexical without it.
    """
    rows = db.scalars(select(Ticket).where(Ticket.status.in_(OPEN), Ticket.id != ticket.id)
                      .order_by(Ticket.id.desc()).limit(MAX_CANDIDATES)).all()
    by_id = {t.id: t for t in rows}
    ranked = _rank([(str(t.id), f"{t.title}\n{t.description}") for t in rows],
                   f"{ticket.title}\n{ticket.description}", k, min_score, (SIMILAR_FLOOR, FUSED_SIMILAR_FLOOR))
    return [(by_id[i], score) for i, score in ranked]


def similar_floor() -> float:
    """Return the « similar tickets » floor on the scale in force (fused with the encoder, lexical without)."""
    from search import TicketSimilarity

    return FUSED_SIMILAR_FLOOR if TicketSimilarity([]).fused else SIMILAR_FLOOR


def similar_published(db: Session, text: str, k: int = 3,
                      min_score: float | None = None) -> list[tuple[Ticket, float]]:
    """Return published open incidents matching an employee's text, on their public title and text only."""
    rows = db.scalars(select(Ticket).where(Ticket.published.is_(True), Ticket.status.in_(OPEN))
                      .order_by(Ticket.id.desc()).limit(200)).all()
    by_id = {t.id: t for t in rows}
    ranked = _rank([(str(t.id), f"{t.public_title}\n{t.public_text or ''}") for t in rows], text, k, min_score,
                   (PUBLISHED_FLOOR, FUSED_PUBLISHED_FLOOR))
    return [(by_id[i], score) for i, score in ranked]
