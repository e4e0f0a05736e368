"""What the help form and the learning review record: help-session events, and past requests taught to the index."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit, rollback
from ticket_service.domain import help_events, learning
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Conflict
from ticket_service.store.models import Person


def record_events(db: Session, ctx: Context, session_id: str, batch: list[dict],
                  person: Person | None) -> tuple[int, int]:
    """Store a batch of help-session events once each; (accepted, duplicates)."""
    try:
        counts = help_events.store(db, session_id, batch, person, now=ctx.clock.now())
        commit(db)
    except IntegrityError:  # a concurrent retry of the same batch committed first: store what is left
        rollback(db)
        counts = help_events.store(db, session_id, batch, person, now=ctx.clock.now())
        commit(db)
    return counts


def purge_query_texts(db: Session, ctx: Context, retention_days: int) -> int:
    """Blank typed query texts and feedback reasons older than the retention."""
    touched = help_events.purge(db, retention_days, now=ctx.clock.now())
    commit(db)
    return touched


def decide_learning(db: Session, ctx: Context, actor: Person, sources: list[str], *, approve: bool, text: str,
                    articles: list[str]) -> None:
    """Approve (with the reviewed text and the articles kept) or reject candidates for the suggestion index."""
    try:
        learning.decide(db, actor, sources, approve=approve, text=text, articles=articles,
                        known_articles={a for a in articles if ctx.article_exists(a)})
        commit(db)
    except IntegrityError:  # another technician decided the same request at the same moment (PostgreSQL)
        rollback(db)
        raise Conflict("already_decided", "Cette proposition a déjà été traitée.") from None


def withdraw_learning(db: Session, actor: Person, pair_id: int) -> None:
    """Stop using an approved pair."""
    learning.withdraw(db, actor, pair_id)
    commit(db)
