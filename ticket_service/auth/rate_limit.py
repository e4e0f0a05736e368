"""Token buckets per client: a burst at once, then a steady rate (per process; waitress serves from one process)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

from ticket_service.http.errors import ApiError


class TokenBuckets:
    """``burst`` requests at once per key, refilled at ``rate`` per second; bounded memory."""

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


class EventLimiter:
    """Events per help session (and, ten times more, per address) in a sliding minute, per process."""

    def __init__(self, per_minute: int, window: float = 60.0):
        self.per_minute, self.window = per_minute, window
        self._seen: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def take(self, session_id: str, address: str | None, count: int) -> None:
        """Count ``count`` events or raise 429 (nothing counted) when a limit would be passed."""
        now = time.monotonic()
        keys = {f"s:{session_id}": self.per_minute, f"ip:{address}": self.per_minute * 10}
        with self._lock:
            for key, limit in keys.items():
                queue = self._seen[key]
                while queue and queue[0] < now - self.window:
                    queue.popleft()
                if len(queue) + count > limit:
                    raise ApiError(429, "too_many_events", "Trop d'événements : réessayez dans une minute.",
                                   headers={"Retry-After": str(int(self.window))})
            for key in keys:
                self._seen[key].extend([now] * count)
            if len(self._seen) > 50_000:  # forget idle sessions so memory stays bounded
                for key in [k for k, q in self._seen.items() if not q or q[-1] < now - self.window]:
                    del self._seen[key]
