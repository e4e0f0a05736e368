"""The dashboard's filters (group, provider, category, request type, priority), read from a query and matched on
each ticket's values at the end of the period."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from ticket_service.domain.policies import Policies
from ticket_service.domain.vocabulary import PRIORITIES, REQUEST_TYPES
from ticket_service.reports.timeline import Timeline

NAMES = ("group", "provider", "category", "type", "priority")


class FilterError(ValueError):
    """A filter value the helpdesk does not know: ``field`` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Filters:
    """Chosen values (None: every ticket); ``groups`` restricts a technician's read-only view to their groups."""

    group: str | None = None
    provider: str | None = None
    category: str | None = None
    type: str | None = None
    priority: str | None = None
    groups: tuple[str, ...] | None = None

    def matches(self, tl: Timeline, moment: datetime) -> bool:
        """Return True when the ticket's values at ``moment`` pass every filter (a provider: it was ever with it)."""
        if (self.groups is None and not self.group and not self.provider
                and self.category is None and self.type is None and self.priority is None):
            return True  # nothing chosen: every ticket passes
        group = tl.value_at("group", moment)
        if self.groups is not None and group not in self.groups:
            return False
        if self.group and group != self.group:
            return False
        if self.provider and not tl.intervals_in_group(self.provider, moment):
            return False
        return all(getattr(self, name) in (None, tl.value_at(name, moment)) for name in ("category", "type", "priority"))

    def as_json(self) -> dict:
        """Return the chosen filters (absent ones left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in NAMES and getattr(self, f.name)}


def read_filters(args, policies: Policies, groups: tuple[str, ...] | None = None) -> Filters:
    """Read the filters from a mapping (query string, CLI options); raise FilterError naming the parameter at fault."""
    allowed = {
        "group": set(policies.groups), "category": set(policies.categories), "type": set(REQUEST_TYPES),
        "priority": set(PRIORITIES), "provider": {g.id for g in policies.groups.values() if g.provider},
    }
    chosen = {}
    for name in NAMES:
        value = args.get(name) or None
        if value is not None and value not in allowed[name]:
            raise FilterError(name, f"{name} is one of: " + ", ".join(sorted(allowed[name])))
        chosen[name] = value
    if groups is not None and chosen["group"] and chosen["group"] not in groups:
        raise FilterError("group", "a technician sees only their own groups")
    return Filters(**chosen, groups=groups)
