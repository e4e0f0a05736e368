"""Read a dashboard request (period, days, filters) the same way for the page, the API and the CLI."""

from __future__ import annotations

from datetime import datetime

from ticket_service.domain.policies import Policies
from ticket_service.domain.vocabulary import STAFF_ROLES
from ticket_service.reports.filters import FilterError, Filters, read_filters
from ticket_service.reports.period import NAMES, Period, PeriodError, parse_day, resolve_period

DEFAULT_PERIOD = "this_month"


class OptionError(ValueError):
    """A request option at fault: ``field`` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def visible_groups(person, policies: Policies) -> tuple[str, ...] | None:
    """Return the groups a person's view is limited to: None (all) for admins, a technician's own groups."""
    if person.role == "admin":
        return None
    if person.role in STAFF_ROLES:
        return tuple(policies.groups_of(person.email))
    raise PermissionError("the dashboard is for technicians and administrators")


def read_options(args, policies: Policies, now: datetime, groups: tuple[str, ...] | None = None) -> tuple[Period, Filters]:
    """Return the period and filters of a request; raise OptionError naming the parameter at fault."""
    name = args.get("period") or DEFAULT_PERIOD
    if name not in NAMES:
        raise OptionError("period", "period is one of " + ", ".join(NAMES))
    try:
        first, last = parse_day(args.get("since")), parse_day(args.get("until"))
    except PeriodError as exc:
        raise OptionError("since" if "since" in str(exc) else "until", str(exc)) from None
    if name != "custom" and (first or last):
        name = "custom"  # days given: they are the period
    try:
        period = resolve_period(name, now, policies.organisation.zone, first, last)
    except PeriodError as exc:
        raise OptionError("since", str(exc)) from None
    try:
        filters = read_filters(args, policies, groups)
    except FilterError as exc:
        raise OptionError(exc.field, str(exc)) from None
    return period, filters
