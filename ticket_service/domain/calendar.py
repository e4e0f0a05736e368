"""Business hours arithmetic: working days, opening hours, time zone and public holidays."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays

from ticket_service.domain.policies import Policies

UTC = timezone.utc
_MAX_DAYS = 3660  # ten years: bounds every loop even with a pathological calendar


class BusinessCalendar:
    """Working windows in a time zone; every public method takes and returns aware UTC datetimes."""

    def __init__(self, tz: str, workdays: tuple[int, ...], hours, country: str = "FR"):
        self.tz = ZoneInfo(tz)
        self.workdays = frozenset(workdays)
        self.open, self.close = time(*hours[0]), time(*hours[1])
        self._holidays = holidays.country_holidays(country, language="fr") if country == "FR" else holidays.country_holidays(country)
        self._lock = threading.Lock()  # the holidays object fills years lazily

    @classmethod
    def from_policies(cls, policies: Policies) -> BusinessCalendar:
        """Build the calendar described by ``helpdesk.yml``."""
        return cls(policies.timezone, policies.workdays, policies.hours, policies.holidays_country)

    def is_business_day(self, day: date) -> bool:
        """Return True for a working weekday that is not a public holiday."""
        if day.weekday() not in self.workdays:
            return False
        with self._lock:
            return day not in self._holidays

    def holiday_name(self, day: date) -> str | None:
        """Return the public holiday's name on that day, if any."""
        with self._lock:
            return self._holidays.get(day)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """Return the UTC opening window of a local day, or None when closed (DST-correct)."""
        if not self.is_business_day(day):
            return None
        start = datetime.combine(day, self.open, tzinfo=self.tz).astimezone(UTC)
        end = datetime.combine(day, self.close, tzinfo=self.tz).astimezone(UTC)
        return start, end

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """Return the instant when ``seconds`` of business time have elapsed after ``start``."""
        start = _utc(start)
        remaining = max(0.0, float(seconds))
        day = start.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            win = self.window(day)
            if win is not None:
                begin = max(win[0], start)
                if begin < win[1]:
                    available = (win[1] - begin).total_seconds()
                    if remaining <= available:
                        return begin + timedelta(seconds=remaining)
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("no business time within ten years: check calendar.days in helpdesk.yml")

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        """Return the business seconds elapsed from ``a`` to ``b`` (0 when b <= a)."""
        a, b = _utc(a), _utc(b)
        if b <= a:
            return 0.0
        total = 0.0
        day, last = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS + (last - day).days):
            if day > last:
                break
            win = self.window(day)
            if win is not None:
                lo, hi = max(win[0], a), min(win[1], b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def day_seconds(self) -> float:
        """Return the length of one business day in seconds."""
        return (datetime.combine(date.min, self.close) - datetime.combine(date.min, self.open)).total_seconds()


def _utc(moment: datetime) -> datetime:
    """Treat naive datetimes as UTC (that is how the database stores them)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
