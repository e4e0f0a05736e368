"""The one clock of the helpdesk: every rule asks it for the time, so tests can move time without sleeping."""

from __future__ import annotations

from datetime import datetime, timezone

UTC = timezone.utc


class Clock:
    """Aware UTC time; a test replaces ``now`` with a fixed or advancing value."""

    def now(self) -> datetime:
        """Return the current time, aware, in UTC."""
        return datetime.now(UTC)


class FixedClock(Clock):
    """A clock that says what it is told (tests, replays, demo data)."""

    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        """Move time forward (``advance(hours=2)``) and return the new instant."""
        from datetime import timedelta

        self.at += timedelta(**delta)
        return self.at


SYSTEM_CLOCK = Clock()


def iso(value):
    """Return an aware datetime as ISO 8601 with ``Z`` (what the API and the reports print); other values as given."""
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value
