"""What-if replay (pure): each past ticket as it was created, under one ``helpdesk.yml``, then two outcomes compared.

For each ticket the replay recomputes what the policies decide: the ``created`` automation rules (file order), the
priority (catalogue item, else the impact × urgency matrix), the group it is routed to, and its SLA targets judged
on the business calendar against what really happened (first response, resolution, the time spent paused). Nothing
is read from the clock or written anywhere: the caller gives the tickets and « now ».
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ticket_service.domain.automation import Facts, in_business_hours, matches, rules_for
from ticket_service.domain.policies import Policies
from ticket_service.domain.vocabulary import DONE, NEXT_LEVEL, OPEN


@dataclass(frozen=True)
class PastTicket:
    """A ticket as it was created (fields before any later edit) and what then happened to it."""

    id: int
    created_at: datetime
    type: str
    category: str | None
    impact: str
    urgency: str
    title: str
    description: str
    channel: str = "api"
    catalogue_item: str | None = None
    department: str | None = None
    site: str | None = None
    status: str = "new"
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    paused_seconds: float = 0.0  # business seconds the resolution clock stood still (waiting, approval)


@dataclass(frozen=True)
class Outcome:
    """What one set of policies decides for one ticket."""

    priority: str
    group: str
    category: str | None
    rules: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    first_response_breached: bool = False
    resolution_breached: bool = False
    resolution_measured: bool = False  # resolved (or closed after a resolution): counts in the compliance


def outcome(ticket: PastTicket, policies: Policies, calendar, now: datetime) -> Outcome:
    """Return what these policies decide for the ticket: its created rules, priority, group and SLA verdicts."""
    state = {"type": ticket.type, "category": ticket.category, "impact": ticket.impact, "urgency": ticket.urgency,
             "group": policies.default_group, "level": "N1"}
    fired, tags = [], []
    for rule in rules_for(policies.automation, "created"):
        facts = Facts(type=state["type"], category=state["category"], priority=_priority(ticket, state, policies),
                      group=state["group"], title=ticket.title, description=ticket.description, channel=ticket.channel,
                      department=ticket.department, site=ticket.site,
                      in_business_hours=in_business_hours(calendar, ticket.created_at))
        if not matches(rule, facts):
            continue
        fired.append(rule.name)
        for action in rule.actions:
            if action.kind == "set":
                for name, value in action.values:
                    if name == "group":
                        state["group"], state["level"] = value, policies.groups[value].level
                    elif name != "assignee":
                        state[name] = value
            elif action.kind == "tag":
                tags.append(action.tag)
            elif action.kind == "escalate" and state["level"] in NEXT_LEVEL:
                state["level"] = NEXT_LEVEL[state["level"]]
                state["group"] = policies.first_group(state["level"])
    priority = _priority(ticket, state, policies)
    targets = policies.targets(priority, ticket.catalogue_item)
    first_breached = resolution_breached = measured = False
    if ticket.status in OPEN or ticket.first_response_at is not None:
        end = ticket.first_response_at or now
        first_breached = calendar.business_seconds_between(ticket.created_at, end) > targets["first_response"] * 3600
    if ticket.status in DONE and ticket.resolved_at is not None:
        measured = True
        elapsed = calendar.business_seconds_between(ticket.created_at, ticket.resolved_at) - ticket.paused_seconds
        resolution_breached = elapsed > targets["resolution"] * 3600
    elif ticket.status in ("new", "in_progress"):  # still running: breached once past the target
        elapsed = calendar.business_seconds_between(ticket.created_at, now) - ticket.paused_seconds
        resolution_breached = elapsed > targets["resolution"] * 3600
    return Outcome(priority, state["group"], state["category"], tuple(fired), tuple(dict.fromkeys(tags)),
                   first_breached, resolution_breached, measured)


def _priority(ticket: PastTicket, state: dict, policies: Policies) -> str:
    item = policies.catalogue.get(ticket.catalogue_item or "")
    if item is not None and item.priority:
        return item.priority
    impact = state["impact"] if state["impact"] in policies.impact else next(iter(policies.impact))
    urgency = state["urgency"] if state["urgency"] in policies.urgency else next(iter(policies.urgency))
    return policies.priority(impact, urgency)


@dataclass
class Side:
    """The totals of one set of policies over the replayed tickets."""

    first_response_breached: int = 0
    resolution_breached: int = 0
    resolved: int = 0  # tickets whose resolution is measured
    resolved_in_time: int = 0
    rules: dict[str, int] = field(default_factory=dict)  # rule name → tickets it acted on
    tags: dict[str, int] = field(default_factory=dict)

    @property
    def compliance(self) -> float | None:
        """Share of the measured resolutions within their target (None when none was measured)."""
        return self.resolved_in_time / self.resolved if self.resolved else None

    def add(self, o: Outcome) -> None:
        self.first_response_breached += o.first_response_breached
        self.resolution_breached += o.resolution_breached
        if o.resolution_measured:
            self.resolved += 1
            self.resolved_in_time += not o.resolution_breached
        for name in o.rules:
            self.rules[name] = self.rules.get(name, 0) + 1
        for tag in o.tags:
            self.tags[tag] = self.tags.get(tag, 0) + 1


@dataclass
class Comparison:
    """What would have been different: the totals of each side and the tickets that change."""

    tickets: int = 0
    current: Side = field(default_factory=Side)
    proposed: Side = field(default_factory=Side)
    priority_changes: list[tuple[int, str, str]] = field(default_factory=list)  # (ticket, now, proposed)
    group_changes: list[tuple[int, str, str]] = field(default_factory=list)
    category_changes: list[tuple[int, str | None, str | None]] = field(default_factory=list)
    newly_breached: list[int] = field(default_factory=list)  # resolution breached only under the proposal
    no_longer_breached: list[int] = field(default_factory=list)


def compare(tickets: list[PastTicket], current: Policies, current_calendar, proposed: Policies, proposed_calendar,
            now: datetime) -> Comparison:
    """Replay every ticket under both sets of policies and return the differences."""
    result = Comparison()
    for ticket in sorted(tickets, key=lambda t: t.id):
        before = outcome(ticket, current, current_calendar, now)
        after = outcome(ticket, proposed, proposed_calendar, now)
        result.tickets += 1
        result.current.add(before)
        result.proposed.add(after)
        if before.priority != after.priority:
            result.priority_changes.append((ticket.id, before.priority, after.priority))
        if before.group != after.group:
            result.group_changes.append((ticket.id, before.group, after.group))
        if before.category != after.category:
            result.category_changes.append((ticket.id, before.category, after.category))
        if after.resolution_breached and not before.resolution_breached:
            result.newly_breached.append(ticket.id)
        elif before.resolution_breached and not after.resolution_breached:
            result.no_longer_breached.append(ticket.id)
    return result
