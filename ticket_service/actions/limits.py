"""Counting against the shared limits: each call is its own short transaction, visible to every process at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ticket_service.domain.limits import SignInLimits, retry_after, window_expired
from ticket_service.store.models import LimitCounter


class LimitReached(Exception):
    """A limit refuses this attempt; ``seconds`` says when to try again."""

    def __init__(self, seconds: int):
        super().__init__(f"retry in {seconds} s")
        self.seconds = seconds


def _locked(db: Session, key: str, now: datetime) -> LimitCounter:
    """Return the counter of ``key``, created when missing, locked until the commit (PostgreSQL row lock;
    SQLite's write transaction is already exclusive)."""
    insert = (postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert)(LimitCounter)
    db.execute(insert.values(key=key, count=0, window_start=now).on_conflict_do_nothing(index_elements=["key"]))
    return db.scalar(select(LimitCounter).where(LimitCounter.key == key).with_for_update())


def admit_sign_in(db: Session, now: datetime, limits: SignInLimits, pair: str, address: str) -> None:
    """Let one sign-in attempt be checked, counted as a failure until it succeeds; raise LimitReached otherwise.

    Counted before the password check, so parallel attempts cannot pass the limit between check and count.
    """
    try:
        by_address, by_pair = _locked(db, address, now), _locked(db, pair, now)
        for counter in (by_address, by_pair):
            if window_expired(counter.window_start, now, limits.window) and not _blocked(counter, now):
                counter.count, counter.window_start, counter.blocked_until = 0, now, None
        if _blocked(by_pair, now):
            raise LimitReached(retry_after(by_pair.blocked_until, now))
        if by_address.count >= limits.address_failures:
            raise LimitReached(retry_after(by_address.window_start + limits.window, now))
        by_address.count += 1
        by_pair.count += 1
        by_pair.window_start = now  # a pair's failures are forgotten a window after the last one
        delay = limits.delay_after(by_pair.count)
        by_pair.blocked_until = now + delay if delay else None
    except LimitReached:
        db.rollback()
        raise
    db.commit()


def sign_in_succeeded(db: Session, pair: str, address: str) -> None:
    """Clear the account and address's failures and give the address back the attempt counted for it."""
    counter = db.get(LimitCounter, address, with_for_update=True)  # the address first, as admit_sign_in locks them
    if counter is not None and counter.count > 0:
        counter.count -= 1
    db.execute(delete(LimitCounter).where(LimitCounter.key == pair))
    db.commit()


def _blocked(counter: LimitCounter, now: datetime) -> bool:
    return counter.blocked_until is not None and counter.blocked_until > now


def count_in_window(db: Session, now: datetime, window: timedelta, limits: dict[str, int], amount: int) -> None:
    """Add ``amount`` to each key's count in its window, or nothing at all when one would pass its limit."""
    try:
        for key, limit in sorted(limits.items()):  # one lock order for every caller: no deadlock between processes
            counter = _locked(db, key, now)
            if window_expired(counter.window_start, now, window):
                counter.count, counter.window_start = 0, now
            if counter.count + amount > limit:
                raise LimitReached(retry_after(counter.window_start + window, now))
            counter.count += amount
    except LimitReached:
        db.rollback()
        raise
    db.commit()


def purge_counters(db: Session, before: datetime) -> int:
    """Delete counters whose window began before ``before`` and that block nothing any more; return how many."""
    done = db.execute(delete(LimitCounter).where(
        LimitCounter.window_start < before,
        (LimitCounter.blocked_until.is_(None)) | (LimitCounter.blocked_until < before)))
    db.commit()
    return done.rowcount or 0
