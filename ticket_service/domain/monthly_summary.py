"""When the monthly summary mail is due: on the month's first business day (or the first tick after it), once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ticket_service.domain.calendar import BusinessCalendar

MONTH_DAYS_MAX = 31


def first_business_day(calendar: BusinessCalendar, month: date) -> date:
    """Return the first working day of ``month``'s month that is not a public holiday."""
    day = month.replace(day=1)
    for _ in range(MONTH_DAYS_MAX):
        if calendar.is_business_day(day):
            return day
        day += timedelta(days=1)
    return month.replace(day=1)  # a calendar with no working day at all: the 1st rather than never


def month_due(calendar: BusinessCalendar, now: datetime) -> str | None:
    """Return the month to summarise (« 2026-11 ») once its successor's first business day has come, else None.

    A tick missed on that day (worker down) is caught up by the next one in the month; the caller sends it once.
    """
    today = now.astimezone(calendar.tz).date()
    if today < first_business_day(calendar, today):
        return None
    previous = today.replace(day=1) - timedelta(days=1)
    return f"{previous:%Y-%m}"
