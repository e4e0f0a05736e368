"""What people do to a ticket besides moving it: open it, edit it, write on it, attach, link, merge, rate, publish."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticket_service.actions.automation import run_rules
from search import SearchError
from ticket_service.actions.unit import commit, locked_ticket, rollback
from ticket_service.domain import tickets, triage
from ticket_service.domain.access import load_ticket
from ticket_service.domain.context import Context
from ticket_service.domain.errors import DomainError, invalid
from ticket_service.domain.events import emit, take_pending
from ticket_service.store import faults, idempotency
from ticket_service.store.files import FileStore
from ticket_service.store.models import Attachment, Comment, Person, Ticket, TicketLink

log = logging.getLogger(__name__)


@dataclass
class Created:
    """A create's outcome: the object, and whether an earlier request with the same key had made it."""

    ticket: Ticket
    replayed: bool = False


def create_ticket(db: Session, ctx: Context, actor: Person, data: dict, *, key: str | None = None,
                  channel: str = "api") -> Created:
    """Open a ticket (for oneself, or for ``requester_id`` when staff); a repeated key returns the first ticket."""
    data = dict(data)
    digest = idempotency.fingerprint(data)
    if key is not None:
        replay = idempotency.replayed_id(db, actor.id, key, "tickets", digest)
        if replay is not None:
            return Created(load_ticket(db, ctx, actor, replay), replayed=True)
    requester = actor
    if "requester_id" in data:
        requester = db.get(Person, data.pop("requester_id"))
        if requester is None or not requester.active:
            raise invalid("Demandeur inconnu.", {"requester_id": "personne inconnue ou désactivée"})
    ticket = tickets.create_ticket(db, ctx, requester, data, now=ctx.clock.now(), channel=channel)
    _triage_new(db, ctx, ticket)
    run_rules(db, ctx, ticket, "created")
    try:
        if key is not None:
            idempotency.remember(db, actor.id, key, "tickets", digest, ticket.id)
        commit(db)
    except IntegrityError:  # a concurrent twin with the same key committed first (PostgreSQL)
        rollback(db)
        replay = idempotency.replayed_id(db, actor.id, key, "tickets", digest) if key else None
        if replay is None:
            raise
        return Created(load_ticket(db, ctx, actor, replay), replayed=True)
    return Created(ticket)


def _triage_new(db: Session, ctx: Context, ticket: Ticket) -> None:
    """Store the triage model's suggestions for a new ticket (applied above the configured confidence).

    A missing or failing model never stops a ticket from being opened: it only costs the suggestion.
    """
    try:
        with db.begin_nested():
            triage.suggest(db, ctx, ticket, ctx.clock.now())
    except (SearchError, ValueError, KeyError, OSError) as exc:
        log.warning("no triage suggestion for ticket %s: %s", ticket.id, exc)


def update_ticket(db: Session, ctx: Context, actor: Person, ticket_id: int, changes: dict) -> Ticket:
    """Change a ticket's fields (staff); the priority and SLA follow."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    tickets.update_ticket(db, ctx, ticket, actor, changes, now=ctx.clock.now())
    run_rules(db, ctx, ticket, "updated")
    commit(db)
    return ticket


def comment(db: Session, ctx: Context, actor: Person, ticket_id: int, body: str, *, internal: bool = False,
            key: str | None = None, files: FileStore | None = None,
            upload: tuple[str | None, BinaryIO] | None = None) -> tuple[Comment, bool]:
    """Reply or write an internal note, with an optional file of the same visibility; returns (comment, replayed)."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    digest = idempotency.fingerprint({"body": body, "internal": internal, "ticket_id": ticket.id})
    if key is not None:
        replay = idempotency.replayed_id(db, actor.id, key, "comments", digest)
        if replay is not None:
            return db.get(Comment, replay), True
    stored = None
    try:
        if upload is not None:
            stored = _attach(db, ctx, files, ticket, actor, upload, internal)
        created = tickets.add_comment(db, ctx, ticket, actor, body, internal=internal, now=ctx.clock.now())
        run_rules(db, ctx, ticket, "commented")
        if key is not None:
            idempotency.remember(db, actor.id, key, "comments", digest, created.id)
        commit(db)
    except BaseException:
        rollback(db)
        if stored is not None:
            files.discard(stored.storage_name)  # no file without its row
        raise
    return created, False


def attach(db: Session, ctx: Context, files: FileStore, actor: Person, ticket_id: int,
           upload: tuple[str | None, BinaryIO], *, internal: bool = False) -> Attachment:
    """Store a file on an open ticket, for someone who may write on it (the file exists only if its row commits)."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    stored = None
    try:
        stored = _attach(db, ctx, files, ticket, actor, upload, internal)
        commit(db)
    except BaseException:
        rollback(db)
        if stored is not None:
            files.discard(stored.storage_name)
        raise
    return stored


def _attach(db: Session, ctx: Context, files: FileStore, ticket: Ticket, actor: Person,
            upload: tuple[str | None, BinaryIO], internal: bool) -> Attachment:
    """Check who may attach, store the file durably, then add its row to the action's transaction."""
    tickets.attachment_allowed(db, ticket, actor, files.per_ticket, internal=internal)
    meta = files.store(*upload)
    try:
        att = Attachment(ticket_id=ticket.id, uploader_id=actor.id, internal=internal, **meta)
        db.add(att)
        tickets.attachment_added(db, ticket, actor, att, now=ctx.clock.now())
        faults.pause("attachment.before_commit")
    except BaseException:
        files.discard(meta["storage_name"])
        raise
    return att


def link(db: Session, ctx: Context, actor: Person, ticket_id: int, target_id: int, kind: str) -> TicketLink:
    """Link a ticket to another; a duplicate_of link from the desk merges instead (see merge)."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    target = load_ticket(db, ctx, actor, target_id)
    created = tickets.link_tickets(db, ticket, target, kind, actor, now=ctx.clock.now())
    commit(db)
    return created


def link_many_to_problem(db: Session, ctx: Context, actor: Person, ticket_ids: list[int],
                         problem_id: int) -> tuple[list[int], list[tuple[int, str]]]:
    """Link several incidents to one problem, each on its own (a refusal leaves the others linked)."""
    problem = load_ticket(db, ctx, actor, problem_id)
    return _each(db, ctx, actor, ticket_ids, lambda t: tickets.link_tickets(db, t, problem, "caused_by", actor,
                                                                             now=ctx.clock.now()))


def assign_many(db: Session, ctx: Context, actor: Person, ticket_ids: list[int],
                assignee_id: int | None) -> tuple[list[int], list[tuple[int, str]]]:
    """Assign several tickets, each on its own (a refusal leaves the others assigned)."""
    def assign(ticket: Ticket) -> None:
        tickets.update_ticket(db, ctx, ticket, actor, {"assignee_id": assignee_id}, now=ctx.clock.now())
        run_rules(db, ctx, ticket, "updated")
    return _each(db, ctx, actor, ticket_ids, assign)


def _each(db: Session, ctx: Context, actor: Person, ticket_ids: list[int], apply) -> tuple[list[int], list[tuple[int, str]]]:
    """Apply a change to each ticket in a savepoint; commit the ones that passed, report the others."""
    done, failed, kept = [], [], []
    for ticket_id in ticket_ids:
        try:
            with db.begin_nested():
                apply(locked_ticket(db, ctx, actor, ticket_id))
            kept.extend(take_pending(db))
            done.append(ticket_id)
        except DomainError as exc:
            take_pending(db)  # the savepoint rolled back: so did its events
            failed.append((ticket_id, exc.message))
    for event in kept:
        emit(db, event)
    commit(db)
    return done, failed


def merge(db: Session, ctx: Context, actor: Person, ticket_id: int, into: int) -> Ticket:
    """Close a ticket as a duplicate of another (both open)."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    target = load_ticket(db, ctx, actor, into)
    tickets.merge(db, ctx, ticket, target, actor, now=ctx.clock.now())
    commit(db)
    return ticket


def link_article(db: Session, ctx: Context, actor: Person, ticket_id: int, article_id: str):
    """Link a KB article (it must exist in the KB) to a ticket."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    created = tickets.link_article(db, ctx, ticket, actor, article_id, now=ctx.clock.now())
    commit(db)
    return created


def rate(db: Session, ctx: Context, actor: Person, ticket_id: int, rating: int, comment_text: str | None) -> Ticket:
    """Record the requester's satisfaction on a resolved or closed ticket."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    tickets.rate(db, ctx, ticket, actor, rating, comment_text, now=ctx.clock.now())
    commit(db)
    return ticket


def publish(db: Session, ctx: Context, actor: Person, ticket_id: int, values: dict) -> Ticket:
    """Publish, declare major or withdraw an incident (its public title and text feed the banner)."""
    ticket = locked_ticket(db, ctx, actor, ticket_id)
    tickets.publish(db, ticket, actor, values, now=ctx.clock.now())
    commit(db)
    return ticket


def join_incident(db: Session, ctx: Context, actor: Person, ticket_id: int) -> tuple[Ticket, bool]:
    """« Moi aussi » : follow a published incident instead of opening a ticket; (incident, newly joined)."""
    ticket = db.get(Ticket, ticket_id)
    joined = tickets.join_incident(db, ticket, actor, now=ctx.clock.now())
    if not joined:
        return ticket, False
    try:
        commit(db)
    except IntegrityError:  # the same person joined from two tabs at once
        rollback(db)
        return ticket, False
    return ticket, True
