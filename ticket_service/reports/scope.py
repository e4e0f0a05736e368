"""What every panel reads: the period, the instant it is judged at, the filtered timelines, policies and calendars."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.policies import Policies
from ticket_service.reports.filters import Filters
from ticket_service.reports.period import Period
from ticket_service.reports.timeline import Timeline, load_timelines
from ticket_service.store.models import Person


@dataclass
class Scope:
    """One period's data: ``as_of`` is the period's end, or now for a period still running."""

    period: Period
    as_of: datetime
    timelines: list[Timeline]
    policies: Policies
    calendar: BusinessCalendar
    filters: Filters
    people: dict[int, str] = field(default_factory=dict)
    _provider_calendars: dict = field(default_factory=dict)

    def calendar_of(self, group_id: str) -> BusinessCalendar:
        """Return a provider group's own calendar, or the desk's."""
        group = self.policies.groups.get(group_id)
        if group is None or group.calendar is None:
            return self.calendar
        if group_id not in self._provider_calendars:
            tz, days, hours, country = group.calendar
            self._provider_calendars[group_id] = BusinessCalendar(tz, days, hours, country)
        return self._provider_calendars[group_id]

    def window(self) -> dict:
        """Return the window every figure of this scope states."""
        return {"since": _iso(self.period.since), "until": _iso(self.period.until), "as_of": _iso(self.as_of)}


def build_scope(db: Session, policies: Policies, calendar: BusinessCalendar, period: Period, filters: Filters,
                now: datetime) -> Scope:
    """Load the timelines of a period and keep those its filters match at ``as_of``."""
    as_of = min(period.until, now)
    if as_of <= period.since:
        as_of = period.since
    timelines = [tl for tl in load_timelines(db, period.since, as_of) if filters.matches(tl, as_of)]
    people = dict(db.execute(select(Person.id, Person.name)).all())
    return Scope(period, as_of, timelines, policies, calendar, filters, people)


def figure(scope: Scope, key: str, value, ids=(), *, unit: str = "count", numerator=None, denominator=None,
           **extra) -> dict:
    """Return one figure: its value, definition id, window and the tickets behind it."""
    out = {"key": key, "definition_id": key, "value": value, "unit": unit, "window": scope.window(),
           "ticket_ids": sorted(set(ids))}
    if numerator is not None or denominator is not None:
        out.update(numerator=numerator, denominator=denominator)
    out.update(extra)
    return out


def rate(numerator: int, denominator: int) -> float | None:
    """Return a share (None when nothing to divide)."""
    return numerator / denominator if denominator else None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
