"""Business calendars for the figures: each local day's opening window computed once and kept, the arithmetic unchanged."""

from __future__ import annotations

import threading
import weakref
from datetime import date, datetime, timedelta, timezone

from ticket_service.domain.calendar import BusinessCalendar

UTC = timezone.utc
_cached: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_providers: dict[str, CachedCalendar] = {}
_lock = threading.Lock()
_ONE_DAY = timedelta(days=1)


class CachedCalendar:
    """A BusinessCalendar whose ``window(day)`` is remembered; ``business_seconds_between`` adds the same windows."""

    def __init__(self, calendar: BusinessCalendar):
        self.calendar = calendar
        self.tz = calendar.tz
        self._windows: dict[date, tuple[datetime, datetime] | None] = {}

    def __getattr__(self, name):
        return getattr(self.calendar, name)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """Return the UTC opening window of a local day, or None when closed (the calendar's own answer, kept)."""
        try:
            return self._windows[day]
        except KeyError:
            found = self._windows[day] = self.calendar.window(day)
            return found

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        """Return the business seconds from ``a`` to ``b``, day by day in the same order as BusinessCalendar."""
        a, b = _utc(a), _utc(b)
        if b <= a:
            return 0.0
        total = 0.0
        tz = self.tz
        day, last = a.astimezone(tz).date(), b.astimezone(tz).date()
        windows, one = self._windows, _ONE_DAY
        while day <= last:
            win = windows[day] if day in windows else self.window(day)
            if win is not None:
                lo, hi = max(win[0], a), min(win[1], b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += one
        return total


def cached(calendar: BusinessCalendar) -> CachedCalendar:
    """Return the remembering calendar of a BusinessCalendar (one per calendar object, kept while it lives)."""
    if isinstance(calendar, CachedCalendar):
        return calendar
    with _lock:
        found = _cached.get(calendar)
        if found is None:
            found = _cached[calendar] = CachedCalendar(calendar)
        return found


def provider_calendar(spec: tuple) -> CachedCalendar:
    """Return the remembering calendar of a provider's (timezone, workdays, hours, holidays_country)."""
    key = repr(spec)
    with _lock:
        found = _providers.get(key)
        if found is None:
            tz, days, hours, country = spec
            found = _providers[key] = CachedCalendar(BusinessCalendar(tz, days, hours, country))
        return found


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

