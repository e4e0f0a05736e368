"""Rate-limit rules: growing sign-in delays per account and address, fixed windows for everything else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SignInLimits:
    """OWASP's advice: free tries per account and address, then doubling delays; a wider cap per address alone."""

    free_failures: int  # per account and address, before the first delay
    first_delay: timedelta  # after the last free failure; each further failure doubles it
    window: timedelta  # failures older than this are forgotten; also the longest delay
    address_failures: int  # per address over all accounts in one window (a whole office may sit behind NAT)

    def delay_after(self, failures: int) -> timedelta | None:
        """Return how long an account and address wait after their ``failures``-th failure (None: no wait)."""
        if failures < self.free_failures:
            return None
        doubled = self.first_delay * (2 ** min(failures - self.free_failures, 30))
        return min(doubled, self.window)


def window_expired(start: datetime, now: datetime, window: timedelta) -> bool:
    """Tell whether a count begun at ``start`` belongs to a window that is over."""
    return start <= now - window


def retry_after(until: datetime, now: datetime) -> int:
    """Whole seconds until ``until`` (at least 1), for a Retry-After header."""
    return max(1, int((until - now).total_seconds() + 0.999))
