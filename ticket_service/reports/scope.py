"""What every panel reads: the period, the instant it is judged at, the filtered timelines, policies and calendars."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.policies import Policies
from ticket_service.reports.calendars import cached, provider_calendar
from ticket_service.reports.filters import Filters
from ticket_service.reports.period import Period
from ticket_service.reports.timeline import Timeline, load_timeline_sets
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
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # figures' shared intermediate results

    def calendar_of(self, group_id: str) -> BusinessCalendar:
        """Return a provider group's own calendar, or the desk's."""
        group = self.policies.groups.get(group_id)
        if group is None or group.calendar is None:
            return self.calendar
        if group_id not in self._provider_calendars:
            self._provider_calendars[group_id] = provider_calendar(group.calendar)
        return self._provider_calendars[group_id]

    def window(self) -> dict:
        """Return the window every figure of this scope states."""
        return {"since": _iso(self.period.since), "until": _iso(self.period.until), "as_of": _iso(self.as_of)}


def build_scope(db: Session, policies: Policies, calendar: BusinessCalendar, period: Period, filters: Filters,
                now: datetime) -> Scope:
    """Load the timelines of a period and keep those its filters match at ``as_of``."""
    return build_scopes(db, policies, calendar, [period], filters, now)[0]


def build_scopes(db: Session, policies: Policies, calendar: BusinessCalendar, periods: list[Period], filters: Filters,
                 now: datetime) -> list[Scope]:
    """Build the scope of each period (as ``build_scope`` does), their history read in one pass."""
    ends = [_as_of(period, now) for period in periods]
    loaded = load_timeline_sets(db, [(period.since, as_of) for period, as_of in zip(periods, ends)])
    people = dict(db.execute(select(Person.id, Person.name)).all())
    return [Scope(period, as_of, [tl for tl in timelines if filters.matches(tl, as_of)], policies, cached(calendar),
                  filters, people) for period, as_of, timelines in zip(periods, ends, loaded)]


def _as_of(period: Period, now: datetime) -> datetime:
    as_of = min(period.until, now)
    return period.since if as_of <= period.since else as_of


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
