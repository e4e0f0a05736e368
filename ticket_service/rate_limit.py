"""Token buckets per client: a burst at once, then a steady rate (per process; waitress serves from one process)."""

from __future__ import annotations

import math
import threading
import time


class TokenBuckets:
    """``burst`` requests at once per key, refilled at ``rate`` per second; bounded memory."""

    def __init__(self, rate: float, burst: float, max_keys: int = 50_000):
        self.rate, self.burst, self.max_keys = float(rate), float(burst), max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str, scale: float = 1.0) -> int | None:
        """Spend one token of ``key`` (a bucket ``scale`` times larger); return None, or the seconds to wait."""
        now = time.monotonic()
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
