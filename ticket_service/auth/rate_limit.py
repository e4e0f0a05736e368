"""Rate limits: suggestion token buckets per process; sign-in and event limits shared through the database."""

from __future__ import annotations

import math
import threading
import time
from datetime import timedelta

from sqlalchemy.orm import Session

from ticket_service.actions import limits
from ticket_service.domain.context import Context
from ticket_service.domain.limits import SignInLimits
from ticket_service.http.errors import ApiError


class TokenBuckets:
    """``burst`` requests at once per key, refilled at ``rate`` per second; bounded memory.

    Kept in each process on purpose: a suggestion is typed-ahead traffic (tens per second), a database write for each
    would cost more than the suggestion; with N processes a client may get up to N times the rate.
    """

    def __init__(self, rate: float, burst: float, max_keys: int = 50_000, clock=time.monotonic):
        self.rate, self.burst, self.max_keys = float(rate), float(burst), max_keys
        self.clock = clock  # seconds, monotonic; a test drives it instead of waiting
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str, scale: float = 1.0) -> int | None:
        """Spend one token of ``key`` (a bucket ``scale`` times larger); return None, or the seconds to wait."""
        now = self.clock()
        rate, burst = self.rate * scale, self.burst * scale
        with self._lock:
            tokens, last = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / rate))
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:  # forget full buckets: they are the same as new ones
                for stale in [k for k, (t, at) in self._buckets.items() if t + (now - at) * rate >= burst]:
                    del self._buckets[stale]
        return None


class SharedLimits:
    """Sign-in and event limits counted in the database, so they hold across processes and hosts."""

    def __init__(self, ctx: Context, sign_in: SignInLimits, events_per_minute: int):
        self.ctx, self.sign_in = ctx, sign_in  # the context's clock: tests move it
        self.events_per_minute = events_per_minute

    @staticmethod
    def _keys(email: str, address: str | None) -> tuple[str, str]:
        return f"login:{email}|{address}", f"login-ip:{address}"

    def admit_sign_in(self, db: Session, email: str, address: str | None) -> None:
        """Raise 429 while this account and address wait, or this address made too many failures (commits)."""
        pair, by_address = self._keys(email, address)
        try:
            limits.admit_sign_in(db, self.ctx.clock.now(), self.sign_in, pair, by_address)
        except limits.LimitReached as exc:
            raise ApiError(429, "too_many_attempts", "Trop de tentatives de connexion : réessayez dans quelques minutes.",
                           headers={"Retry-After": str(exc.seconds)}) from None

    def sign_in_succeeded(self, db: Session, email: str, address: str | None) -> None:
        """Forget this account and address's failures (commits)."""
        pair, by_address = self._keys(email, address)
        limits.sign_in_succeeded(db, pair, by_address)

    def take_events(self, db: Session, session_id: str, address: str | None, count: int) -> None:
        """Count ``count`` events of a help session (ten times more per address) or raise 429 counting nothing (commits)."""
        keys = {f"events:{session_id}": self.events_per_minute, f"events-ip:{address}": self.events_per_minute * 10}
        try:
            limits.count_in_window(db, self.ctx.clock.now(), timedelta(minutes=1), keys, count)
        except limits.LimitReached as exc:
            raise ApiError(429, "too_many_events", "Trop d'événements : réessayez dans une minute.",
                           headers={"Retry-After": str(exc.seconds)}) from None


def shared_limits(app) -> SharedLimits:
    """Return the app's shared limits, made on first use from its settings."""
    found = app.extensions.get("guichet_shared_limits")
    if found is None:
        from ticket_service.runtime import get_ctx

        config = app.config
        sign_in = SignInLimits(
            free_failures=int(config["LOGIN_MAX_FAILURES"]),
            first_delay=timedelta(seconds=float(config["LOGIN_FIRST_DELAY_SECONDS"])),
            window=timedelta(seconds=float(config["LOGIN_WINDOW_SECONDS"])),
            address_failures=int(config["LOGIN_MAX_FAILURES"]) * 5)
        with app.app_context():
            found = SharedLimits(get_ctx(), sign_in, int(config["EVENTS_PER_MINUTE"]))
        app.extensions["guichet_shared_limits"] = found
    return found
