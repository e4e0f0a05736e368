"""Report periods in the organisation's time zone: this month, last month, the last 30 or 90 days, or custom days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

UTC = timezone.utc
NAMES = ("this_month", "last_month", "30d", "90d", "custom")
MAX_DAYS = 400  # a custom period stays within about a year (and bounds every loop)


class PeriodError(ValueError):
    """A period that cannot be read: the message names the fix."""


@dataclass(frozen=True)
class Period:
    """Half-open window [since, until) in UTC, made of whole days of ``zone``; ``name`` says how it was chosen."""

    name: str
    since: datetime
    until: datetime
    zone: tzinfo

    @property
    def first_day(self) -> date:
        """Return the first local day of the period."""
        return self.since.astimezone(self.zone).date()

    @property
    def last_day(self) -> date:
        """Return the last local day included."""
        return (self.until.astimezone(self.zone) - timedelta(seconds=1)).date()

    def contains(self, moment: datetime | None) -> bool:
        """Return True when an instant falls in [since, until)."""
        return moment is not None and self.since <= moment < self.until

    def previous(self) -> Period:
        """Return the period just before, for comparison: the month before a month, else as many days just before."""
        if self.name in ("this_month", "last_month"):
            start = _month_start(self.first_day)
            before = _month_start(start - timedelta(days=1))
            return Period("previous", midnight(before, self.zone), midnight(start, self.zone), self.zone)
        days = (self.last_day - self.first_day).days + 1
        start = self.first_day - timedelta(days=days)
        return Period("previous", midnight(start, self.zone), self.since, self.zone)

    def as_json(self) -> dict:
        """Return the period as the API and the exports write it."""
        return {"name": self.name, "since": _iso(self.since), "until": _iso(self.until),
                "first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat(),
                "timezone": getattr(self.zone, "key", None) or str(self.zone)}


def midnight(day: date, zone: tzinfo) -> datetime:
    """Return the UTC instant a local day starts (2026-11-01 in Paris starts at 2026-10-31 23:00 UTC)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def resolve_period(name: str, now: datetime, zone: tzinfo, first: date | None = None, last: date | None = None) -> Period:
    """Return the named period as of ``now``; ``custom`` takes its first and last local days (both included)."""
    today = now.astimezone(zone).date()
    if name == "this_month":
        start, end = _month_start(today), today + timedelta(days=1)
    elif name == "last_month":
        end = _month_start(today)
        start = _month_start(end - timedelta(days=1))
    elif name in ("30d", "90d"):
        end = today + timedelta(days=1)
        start = end - timedelta(days=int(name[:-1]))
    elif name == "custom":
        if first is None or last is None:
            raise PeriodError("a custom period needs its first and last days (YYYY-MM-DD)")
        if last < first:
            raise PeriodError("the last day comes before the first")
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(f"a custom period spans at most {MAX_DAYS} days")
        start, end = first, last + timedelta(days=1)
    else:
        raise PeriodError("period is one of " + ", ".join(NAMES))
    return Period(name, midnight(start, zone), midnight(end, zone), zone)


def parse_day(text: str | None) -> date | None:
    """Read a YYYY-MM-DD day, or None when absent; raise PeriodError otherwise."""
    if not text:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else _bad(text)
    except ValueError:
        _bad(text)


def _bad(text: str):
    raise PeriodError(f"{text[:20]!r} is not a day (YYYY-MM-DD)")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
