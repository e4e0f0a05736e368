"""Domain events: small typed facts an action records in the outbox, in the same transaction as its change."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened to a ticket; subscribers (mail, webhooks, rules) read it from the outbox."""

    name: ClassVar[str] = "event"
    ticket_id: int
    actor_id: int | None  # None: the system (a rule, the clock)
    at: datetime

    def payload(self) -> dict:
        """Return the event's own fields as JSON-ready values (ticket, actor and time travel beside it)."""
        data = asdict(self)
        for common in ("ticket_id", "actor_id", "at"):
            data.pop(common)
        return data


@dataclass(frozen=True)
class TicketCreated(DomainEvent):
    name: ClassVar[str] = "ticket.created"
    type: str = ""
    priority: str = ""
    channel: str = "api"


@dataclass(frozen=True)
class TicketUpdated(DomainEvent):
    name: ClassVar[str] = "ticket.updated"
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TicketTransitioned(DomainEvent):
    name: ClassVar[str] = "ticket.transitioned"
    old: str = ""
    new: str = ""
    reason: str | None = None


@dataclass(frozen=True)
class TicketResolved(DomainEvent):
    name: ClassVar[str] = "ticket.resolved"
    articles: tuple[str, ...] = ()
    kb_gap: bool = False
    self_service: bool = False


@dataclass(frozen=True)
class TicketReopened(DomainEvent):
    name: ClassVar[str] = "ticket.reopened"
    reason: str | None = None


@dataclass(frozen=True)
class TicketClosed(DomainEvent):
    name: ClassVar[str] = "ticket.closed"
    reason: str | None = None


@dataclass(frozen=True)
class CommentAdded(DomainEvent):
    name: ClassVar[str] = "ticket.commented"
    comment_id: int = 0
    internal: bool = False
    by_requester: bool = False


@dataclass(frozen=True)
class AttachmentAdded(DomainEvent):
    name: ClassVar[str] = "ticket.attachment_added"
    attachment_id: int = 0
    internal: bool = False


@dataclass(frozen=True)
class TicketEscalated(DomainEvent):
    name: ClassVar[str] = "ticket.escalated"
    from_level: str = ""
    to_level: str = ""
    group: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class ApprovalDecided(DomainEvent):
    name: ClassVar[str] = "ticket.approval_decided"
    decision: str = ""
    outcome: str | None = None  # the ticket's new status when the decision settled it


@dataclass(frozen=True)
class TicketsLinked(DomainEvent):
    name: ClassVar[str] = "ticket.linked"
    kind: str = ""
    target_id: int = 0


@dataclass(frozen=True)
class TicketMerged(DomainEvent):
    name: ClassVar[str] = "ticket.merged"
    into: int = 0


@dataclass(frozen=True)
class ArticleLinked(DomainEvent):
    name: ClassVar[str] = "ticket.article_linked"
    article_id: str = ""
    kb_revision: str | None = None


@dataclass(frozen=True)
class SatisfactionRated(DomainEvent):
    name: ClassVar[str] = "ticket.rated"
    rating: int = 0


@dataclass(frozen=True)
class IncidentPublished(DomainEvent):
    name: ClassVar[str] = "incident.published"
    published: bool = True
    major: bool = False


@dataclass(frozen=True)
class IncidentJoined(DomainEvent):
    name: ClassVar[str] = "incident.joined"
    person_id: int = 0


@dataclass(frozen=True)
class SlaAtRisk(DomainEvent):
    name: ClassVar[str] = "sla.at_risk"
    target: str = "resolution"  # first_response | resolution
    due: datetime | None = None
    recipients: tuple[int, ...] = ()  # people to warn: the assignee and the group's members


@dataclass(frozen=True)
class SlaBreached(DomainEvent):
    name: ClassVar[str] = "sla.breached"
    target: str = "resolution"
    due: datetime | None = None
    recipients: tuple[int, ...] = ()


@dataclass(frozen=True)
class SlaLeadNotified(DomainEvent):
    name: ClassVar[str] = "sla.lead_notified"  # sla.on_breach's notify_group_lead
    target: str = "resolution"
    group: str = ""
    recipients: tuple[int, ...] = ()  # the group's lead


@dataclass(frozen=True)
class DelayAnnounced(DomainEvent):
    name: ClassVar[str] = "ticket.delay_announced"
    kind: str = "resolution"  # first_response | resolution
    due: str = ""  # ISO 8601, UTC
    reason: str = ""
    delay_id: int = 0


@dataclass(frozen=True)
class WaitingReminded(DomainEvent):
    name: ClassVar[str] = "ticket.waiting_reminder"
    waiting_since: str = ""  # ISO 8601, UTC: the waiting period this reminder belongs to
    reason: str | None = None  # the question the requester was asked


@dataclass(frozen=True)
class RuleNotice(DomainEvent):
    name: ClassVar[str] = "rule.notice"  # an automation rule's notify action
    rule: str = ""
    template: str = "rule_notice"
    recipients: tuple[int, ...] = ()  # the people the rule names: the requester, the assignee, a group, a person


@dataclass(frozen=True)
class MonthlySummaryDue(DomainEvent):
    """Last month's key figures for the team lead(s); ``ticket_id`` is None (the mail is about the whole desk)."""

    name: ClassVar[str] = "reports.monthly_summary"
    month: str = ""  # YYYY-MM, the month summarised
    recipients: tuple[int, ...] = ()  # person ids
    summary: dict = field(default_factory=dict)  # reports.monthly_summary.key_figures(), as computed at the event


EVENT_TYPES: dict[str, type[DomainEvent]] = {cls.name: cls for cls in (
    TicketCreated, TicketUpdated, TicketTransitioned, TicketResolved, TicketReopened, TicketClosed, CommentAdded,
    AttachmentAdded, TicketEscalated, ApprovalDecided, TicketsLinked, TicketMerged, ArticleLinked, SatisfactionRated,
    IncidentPublished, IncidentJoined, SlaAtRisk, SlaBreached, SlaLeadNotified, DelayAnnounced, WaitingReminded,
    RuleNotice, MonthlySummaryDue)}


def field_names(cls: type[DomainEvent]) -> list[str]:
    """Return the names of an event type's own fields (for documentation)."""
    return [f.name for f in fields(cls) if f.name not in ("ticket_id", "actor_id", "at")]


_PENDING = "guichet.pending_events"


def emit(db, event: DomainEvent) -> DomainEvent:
    """Note an event on the unit of work (the session); the action writes it to the outbox when it commits."""
    db.info.setdefault(_PENDING, []).append(event)
    return event


def take_pending(db) -> list[DomainEvent]:
    """Return and forget the events noted on the session (at commit, or at rollback to drop them)."""
    return db.info.pop(_PENDING, [])
