"""Retry delays: exponential backoff with jitter, so failing jobs of many workers do not retry in step."""

from __future__ import annotations

import random


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Return the seconds to wait after failed attempt ``attempt`` (1, 2, …): half fixed, half random, capped."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return ceiling / 2 + (rng or random).random() * ceiling / 2
