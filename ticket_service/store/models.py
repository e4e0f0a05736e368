"""Database tables: people, tickets and everything hanging off a ticket."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON, Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String, Text, TypeDecorator, UniqueConstraint, event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from search.analysis import fold

UTC = timezone.utc


class UTCDateTime(TypeDecorator):
    """Store naive UTC on every backend; always hand back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them)."""

    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class Person(Base):
    """Someone who signs in: employee, technician, approver or admin."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="employee", index=True)
    site: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100))  # the service or team, set on /admin
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)  # bumped to end every session
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for an integration; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Base):
    """An incident, problem, service request or access request."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(50))
    catalogue_item: Mapped[str | None] = mapped_column(String(50))
    # The answers to the catalogue item's own form fields (field id → value), as validated at creation.
    item_fields: Mapped[dict | None] = mapped_column(JSON)
    impact: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(2), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    level: Mapped[str] = mapped_column(String(2), default="N1")
    group: Mapped[str] = mapped_column(String(50))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # indexed with status, below
    help_session_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20), default="api", server_default="api")  # vocabulary.CHANNELS
    # The ticket's id in the helpdesk it was imported from (``guichet import tickets``): a second import skips it.
    # a unique index rather than a constraint: SQLite adds and drops an index in place, a constraint recreates tickets
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SLA clocks: due instants are recomputed on every status change; NULL while paused.
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolution_at_risk: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[float] = mapped_column(default=0.0)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    kb_gap: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    first_contact_resolution: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction_rating: Mapped[int | None] = mapped_column(Integer)
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    # Published incidents (major incident / known issue): the only text employees may see of others' tickets.
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    public_title: Mapped[str | None] = mapped_column(String(200))
    public_text: Mapped[str | None] = mapped_column(Text)
    # Title and description lower-cased without accents, for the desk search (« ecran » finds « Écran »); kept by
    # the listener below on every ORM insert or update.
    search_text: Mapped[str | None] = mapped_column(Text)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # RGPD retention or forget: texts scrubbed


def searchable_text(title: str | None, description: str | None) -> str:
    """Return what the desk search reads of a ticket: title and description, folded."""
    return fold(f"{title or ''}\n{description or ''}")


@event.listens_for(Ticket, "before_insert")
@event.listens_for(Ticket, "before_update")
def _keep_search_text(mapper, connection, ticket: Ticket) -> None:
    ticket.search_text = searchable_text(ticket.title, ticket.description)


class Comment(Base):
    """A public reply or an internal note (technicians only)."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(Base):
    """A file stored under a server-made name in the attachments folder."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketEvent(Base):
    """One line of a ticket's audit history: who changed which field, when, old → new."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # NULL: the system (auto-close)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    field: Mapped[str] = mapped_column(String(50))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class TicketLink(Base):
    """A directed link between tickets: duplicate_of, caused_by (→ problem) or related."""

    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("source_id", "target_id", "kind", name="uq_ticket_links_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleLink(Base):
    """A knowledge-base article used to resolve a ticket, with the KB revision of that build."""

    __tablename__ = "article_links"
    __table_args__ = (UniqueConstraint("ticket_id", "article_id", name="uq_article_links_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    article_id: Mapped[str] = mapped_column(String(120), index=True)
    kb_revision: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Approval(Base):
    """One approver's decision on an access request; one decision per approver."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("ticket_id", "approver_id", name="uq_approvals_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentFollower(Base):
    """An employee who joined a published incident ("moi aussi") instead of opening a ticket."""

    __tablename__ = "incident_followers"
    __table_args__ = (UniqueConstraint("ticket_id", "person_id", name="uq_incident_followers_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(Base):
    """A create request's key, written in the same transaction as what it created."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("person_id", "key", name="uq_idempotency_keys_person_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_tickets_status_due", Ticket.status, Ticket.resolution_due)
# The desk counts « Mes tickets » and « Manque de fiche » on every page: with 120,000 tickets, the single-column
# indexes left 24,000 and 108,000 rows to filter (18 and 26 ms a page); these find them directly (catalogue L-03).
Index("ix_tickets_assignee_status", Ticket.assignee_id, Ticket.status)
Index("ix_tickets_kb_gap_status", Ticket.kb_gap, Ticket.status)
# The dashboard chooses the tickets changed within a period: an index-only range scan of the history (L-03).
Index("ix_ticket_events_at_ticket", TicketEvent.at, TicketEvent.ticket_id)


# --- Help sessions and deflection ------------------------------------------------------------------------


class HelpEvent(Base):
    """One event of a help session (DESIGN §3.5): pseudonymous session id, person only when signed in."""

    __tablename__ = "help_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)  # made by the browser: retries are deduplicated
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    type: Mapped[str] = mapped_column(String(30), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    article_id: Mapped[str | None] = mapped_column(String(120), index=True)
    query: Mapped[str | None] = mapped_column(String(200))  # blanked after QUERY_RETENTION_DAYS (guichet events purge)
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[str | None] = mapped_column(Text)  # JSON of the allow-listed extra fields
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- Learning from resolutions ---------------------------------------------------------------------------


class LearnedPair(Base):
    """A technician's decision on a (request text → articles) pair offered to the suggestion index.

    ``source`` names where the pair came from (``ticket:12`` for a ticket resolved with an article,
    ``help:<event id>`` for « Ça a résolu mon problème »), so each is reviewed once. Only approved pairs,
    with the text as the technician left it, reach the index.
    """

    __tablename__ = "learned_pairs"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(80), unique=True)
    text: Mapped[str] = mapped_column(Text)
    articles: Mapped[str] = mapped_column(Text)  # JSON list of article ids
    decision: Mapped[str] = mapped_column(String(10), index=True)  # approved | rejected
    decided_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEvent(Base):
    """A domain event, written in the transaction of the action that caused it; delivered later by the job runner."""

    __tablename__ = "outbox_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[str] = mapped_column(Text)  # JSON of the event's own fields
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- Durable jobs and outbox delivery ------------------------------------------------------------------------


class Job(Base):
    """A unit of background work: queued, claimed by one worker under a lease, then done or dead."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON object handed to the handler
    status: Mapped[str] = mapped_column(String(10))  # queued | running | done | dead
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the lease: past it, another worker may claim
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)  # e.g. one job per schedule tick
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


Index("ix_jobs_status_run_at", Job.status, Job.run_at)


class JobSchedule(Base):
    """A periodic job's next tick, kept in the database so restarts and several workers enqueue each tick once."""

    __tablename__ = "job_schedules"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxDelivery(Base):
    """Where one outbox event stands with one subscriber: delivered, failed (retried later) or dead."""

    __tablename__ = "outbox_deliveries"
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(80), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # delivered | failed | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SlaNotice(Base):
    """The SLA watch's marker: this ticket's target was reported at risk or breached, once (its key says so)."""

    __tablename__ = "sla_notices"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    target: Mapped[str] = mapped_column(String(20), primary_key=True)  # first_response | resolution
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # at_risk | breached
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Outbound webhooks ------------------------------------------------------------------------------------------


class WebhookDelivery(Base):
    """One event owed to one webhook endpoint: its stable webhook-id, where it stands, and the last try's outcome."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "endpoint"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(63), index=True)
    webhook_id: Mapped[str] = mapped_column(String(40), unique=True)  # the webhook-id header, the same on every try
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending | delivered | failed | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status, None when none came
    last_error: Mapped[str | None] = mapped_column(Text)  # our own words, plus at most a short excerpt of the reply
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpointState(Base):
    """An endpoint the receiver turned off (410 Gone): nothing more goes to it until an admin enables it again."""

    __tablename__ = "webhook_endpoints"
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


# --- Mail preferences -------------------------------------------------------------------------------------------


class MailOptOut(Base):
    """An optional notification one person chose not to receive by mail (essential ones cannot be)."""

    __tablename__ = "mail_opt_outs"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    notification: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Shared limits and versions (several processes and hosts on one database) -----------------------------------


class LimitCounter(Base):
    """One rate-limit counter (a sign-in account and address, an address, a help session), shared by every process."""

    __tablename__ = "limit_counters"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)  # failures or events in the current window
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # when the count began (or last grew)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # no attempt is checked before this


class SharedVersion(Base):
    """A counter bumped when something every process caches changes (the banner feed): caches compare it."""

    __tablename__ = "shared_versions"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class WorkerHeartbeat(Base):
    """A job worker's last sign of life (host:pid:suffix), for readiness probes and `guichet jobs` listings."""

    __tablename__ = "worker_heartbeats"
    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
# --- Single sign-on identities ----------------------------------------------------------------------------------


class SsoIdentity(Base):
    """An OpenID Connect account (issuer and subject, never the e-mail) linked to one person at first sign-in."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # the address that linked it, for the admin's eyes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Announced delays and waiting reminders ---------------------------------------------------------------------


class AnnouncedDelay(Base):
    """A date a technician announced to the requester, with its reason; a later one of the same kind supersedes it."""

    __tablename__ = "announced_delays"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # first_response | resolution
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met: Mapped[bool | None] = mapped_column(Boolean)  # None until the first response / the resolution settles it


class WaitingReminder(Base):
    """The one reminder sent for a waiting period, keyed by the instant the ticket started waiting."""

    __tablename__ = "waiting_reminders"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Automation rules -------------------------------------------------------------------------------------------


class TicketTag(Base):
    """A tag on a ticket, once each: set by an automation rule (its name kept) or by a person (rule NULL)."""

    __tablename__ = "ticket_tags"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)  # the desk list filters on it
    rule: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Company directory (LDAP / Active Directory sync) -----------------------------------------------------------


class DirectoryEntry(Base):
    """A person kept by the directory sync: their entry's DN (lowercase), their manager, enabled or not there."""

    __tablename__ = "directory_entries"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    dn: Mapped[str] = mapped_column(String(500), unique=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DirectoryRun(Base):
    """One directory sync that wrote or was stopped by the safety brake (dry runs leave no row)."""

    __tablename__ = "directory_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(10))  # applied | braked
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    disabled: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)


# --- Monitoring alerts -------------------------------------------------------------------------------------------


class AlertSource(Base):
    """A monitoring system allowed to post alerts: its token's SHA-256 and the inactive person its tickets are from."""

    __tablename__ = "alert_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertTicket(Base):
    """The ticket of one alert fingerprint; ``open`` is 1 while it takes the alert's repeats, NULL once let go.

    NULLs never collide in a unique constraint (SQLite and PostgreSQL alike): one open row per source and
    fingerprint, any number of past ones, and two racing requests cannot both open a ticket.
    """

    __tablename__ = "alert_tickets"
    __table_args__ = (UniqueConstraint("source_id", "fingerprint", "open"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("alert_sources.id"))
    fingerprint: Mapped[str] = mapped_column(String(200))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    open: Mapped[int | None] = mapped_column(Integer)
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Mail in --------------------------------------------------------------------------------------------------------

from sqlalchemy import BigInteger, LargeBinary  # noqa: E402  (here, so this block merges without touching the imports above)


class InboundMail(Base):
    """One mail the mail-in door took in: its dedupe keys, what it became, and its bytes while it is quarantined."""

    __tablename__ = "inbound_mails"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_inbound_mails_mailbox_uid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(100))  # helpdesk.yml mail_in name, or maildir:<path>
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)  # IMAP only: with uid, the server's key of the mail
    uid: Mapped[int | None] = mapped_column(BigInteger)  # 32-bit unsigned: beyond a signed INTEGER
    raw_sha256: Mapped[str] = mapped_column(String(64), unique=True)  # the same bytes are taken in once (E-02)
    body_sha256: Mapped[str] = mapped_column(String(64))  # the bytes after the header block
    message_id: Mapped[str | None] = mapped_column(String(250), index=True)
    sender: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(250))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the Date header
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # ticket | comment | quarantined | released
    reason: Mapped[str | None] = mapped_column(String(40))  # why quarantined (domain.inbound_mail.REASONS)
    flags: Mapped[str | None] = mapped_column(String(200))  # oddities kept for the desk: from_mismatch, message_id_reused
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # kept only while quarantined, for the release
    released_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


# --- Triage from history ----------------------------------------------------------------------------------------


class TriageSuggestion(Base):
    """What the triage model proposed for a new ticket's category or group, how sure it was, and whether it applied."""

    __tablename__ = "triage_suggestions"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(20), primary_key=True)  # category | group
    value: Mapped[str] = mapped_column(String(50))
    confidence: Mapped[float] = mapped_column()  # the model's probability of ``value``, 0..1
    model_version: Mapped[str] = mapped_column(String(40))
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    auto: Mapped[bool] = mapped_column(Boolean, default=False)  # applied by triage.auto_apply_confidence, no one
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Dashboard pre-aggregates -----------------------------------------------------------------------------------


class ReportSnapshot(Base):
    """A dashboard answer the refresh job computed for a standard view, read by every process and host."""

    __tablename__ = "report_snapshots"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the view (reports/snapshots.py)
    data_version: Mapped[str] = mapped_column(String(300))  # the highest ids it was computed on
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)  # the instant its figures are for (« calculé à »)
    cost_ms: Mapped[int] = mapped_column(Integer)  # what computing it took: views cheaper than the budget stay live
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # the answer as JSON (UTF-8)
