"""RGPD: export what the helpdesk holds about a person, forget a person, anonymise closed tickets past retention.

Files are removed after the commit: a crash in between leaves orphans, which the start-up sweep deletes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.domain import privacy
from ticket_service.domain.clock import iso
from ticket_service.domain.context import Context
from ticket_service.domain.errors import NotFound
from ticket_service.store import report_snapshots
from ticket_service.store.files import FileStore
from ticket_service.store.models import (
    ApiToken, Approval, Attachment, Base, Comment, HelpEvent, InboundMail, IncidentFollower, LearnedPair, LimitCounter,
    MailOptOut,
    Person, SsoIdentity, Ticket, TicketEvent,
)


def _person(db: Session, email: str) -> Person:
    person = db.scalar(select(Person).where(func.lower(Person.email) == email.strip().lower()))
    if person is None:
        raise NotFound("person_not_found", f"Aucune personne avec l'adresse {email}.")
    return person


def _row(obj, skip: tuple[str, ...] = ()) -> dict:
    """Return a row's columns as JSON-ready values."""
    return {c.key: iso(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in skip}


def export_person(db: Session, email: str) -> dict:
    """Return everything held about a person (subject-access request): profile, requests, words, events."""
    person = _person(db, email)
    tickets = db.scalars(select(Ticket).where(Ticket.requester_id == person.id).order_by(Ticket.id)).all()
    ids = [t.id for t in tickets]
    return {
        "person": _row(person, skip=("password_hash", "session_epoch")),
        "tickets": [{**_row(t, skip=("search_text",)),
                     "comments": [_row(c) for c in db.scalars(select(Comment).where(Comment.ticket_id == t.id)
                                                               .order_by(Comment.id))],
                     "attachments": [_row(a, skip=("storage_name",)) for a in
                                     db.scalars(select(Attachment).where(Attachment.ticket_id == t.id))],
                     "history": [_row(e) for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id)
                                                             .order_by(TicketEvent.id))]}
                    for t in tickets],
        "comments_on_other_tickets": [_row(c) for c in db.scalars(
            select(Comment).where(Comment.author_id == person.id, Comment.ticket_id.not_in(ids or [0])))],
        "approvals": [_row(a) for a in db.scalars(select(Approval).where(Approval.approver_id == person.id))],
        "incidents_followed": list(db.scalars(select(IncidentFollower.ticket_id)
                                              .where(IncidentFollower.person_id == person.id))),
        "help_events": [_row(e) for e in db.scalars(select(HelpEvent).where(HelpEvent.person_id == person.id)
                                                    .order_by(HelpEvent.id))],
        "mail_opt_outs": list(db.scalars(select(MailOptOut.notification).where(MailOptOut.person_id == person.id))),
        "api_tokens": [_row(t, skip=("token_hash",)) for t in
                       db.scalars(select(ApiToken).where(ApiToken.person_id == person.id))],
        "sso_identities": [_row(i) for i in db.scalars(select(SsoIdentity).where(SsoIdentity.person_id == person.id))],
    }


def _placeholder(db: Session, now: datetime) -> Person:
    """Return the inactive person that anonymised tickets name as their requester."""
    found = db.scalar(select(Person).where(Person.email == privacy.PLACEHOLDER_EMAIL))
    if found is None:
        found = Person(email=privacy.PLACEHOLDER_EMAIL, name=privacy.PLACEHOLDER_NAME, role="employee", active=False,
                       session_epoch=0, password_hash=None)
        db.add(found)
        db.flush()
    return found


def _anonymise_ticket(db: Session, ticket: Ticket, names: list[str], placeholder: Person, now: datetime,
                      *, drop_requester_words: bool) -> list[str]:
    """Scrub a ticket's texts, hand it to the placeholder requester, drop its attachments; return their files."""
    requester = db.get(Person, ticket.requester_id)
    names = [*names, requester.name, requester.email] if requester is not None else list(names)
    names += [p.name for p in db.scalars(select(Person).join(Comment, Comment.author_id == Person.id)
                                         .where(Comment.ticket_id == ticket.id))]
    for field in ("title", "resolution_note", "public_title", "public_text"):
        setattr(ticket, field, privacy.scrub(getattr(ticket, field), names))
    ticket.description = privacy.REMOVED_TEXT if drop_requester_words else privacy.scrub(ticket.description, names)
    ticket.satisfaction_comment = None
    for comment in db.scalars(select(Comment).where(Comment.ticket_id == ticket.id)):
        mine = comment.author_id == ticket.requester_id
        comment.body = privacy.REMOVED_TEXT if (mine and drop_requester_words) else privacy.scrub(comment.body, names)
    for event in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)):
        _scrub_event(event, names, drop_words=drop_requester_words and event.actor_id == ticket.requester_id)
    files = list(db.scalars(select(Attachment.storage_name).where(Attachment.ticket_id == ticket.id)))
    db.execute(delete(Attachment).where(Attachment.ticket_id == ticket.id))
    db.execute(delete(LearnedPair).where(LearnedPair.source == f"ticket:{ticket.id}"))
    ticket.requester_id = placeholder.id
    ticket.anonymised_at = now
    return files


def _scrub_event(event: TicketEvent, names: list[str], *, drop_words: bool) -> None:
    """Scrub one history line: file names go (the files do), free-text reasons are scrubbed or dropped."""
    if event.field == "attachment":
        event.old = event.new = privacy.REDACTED
    else:
        event.old, event.new = privacy.scrub(event.old, names), privacy.scrub(event.new, names)
    if event.reason:
        event.reason = privacy.REMOVED_TEXT if drop_words else privacy.scrub(event.reason, names)


def forget_person(db: Session, ctx: Context, email: str, files: FileStore) -> dict:
    """Anonymise a person who left: profile, requests, words, uploads, help events; counts and times stay."""
    now = ctx.clock.now()
    person = _person(db, email)
    names = [person.name, person.email]
    placeholder = _placeholder(db, now)
    removed: list[str] = []
    tickets = db.scalars(select(Ticket).where(Ticket.requester_id == person.id)).all()
    for ticket in tickets:
        removed += _anonymise_ticket(db, ticket, names, placeholder, now, drop_requester_words=True)
    for comment in db.scalars(select(Comment).where(Comment.author_id == person.id)):
        comment.body = privacy.REMOVED_TEXT
    for event in db.scalars(select(TicketEvent).where(TicketEvent.actor_id == person.id)):
        _scrub_event(event, names, drop_words=True)
    uploads = db.scalars(select(Attachment).where(Attachment.uploader_id == person.id)).all()
    removed += [a.storage_name for a in uploads]
    for attachment in uploads:
        db.delete(attachment)
    events = db.scalars(select(HelpEvent).where(HelpEvent.person_id == person.id)).all()
    db.execute(delete(LearnedPair).where(LearnedPair.source.in_([f"help:{e.event_id}" for e in events] or [""])))
    for event in events:
        event.person_id, event.query, event.data = None, None, None
    db.execute(delete(ApiToken).where(ApiToken.person_id == person.id))
    db.execute(delete(MailOptOut).where(MailOptOut.person_id == person.id))
    db.execute(delete(SsoIdentity).where(SsoIdentity.person_id == person.id))  # a new sign-in would find no one
    db.execute(delete(IncidentFollower).where(IncidentFollower.person_id == person.id))
    db.execute(delete(LimitCounter).where(LimitCounter.key.contains(person.email.lower())))
    db.execute(update(InboundMail).where(func.lower(InboundMail.sender) == person.email.lower())
               .values(raw=None, subject=privacy.REDACTED))  # a quarantined mail's bytes: their words, their address
    swept = _sweep(db, names, keep=person)
    person.email, person.name = privacy.forgotten_email(person.id), privacy.PLACEHOLDER_NAME
    person.site = person.department = person.password_hash = None
    person.active, person.session_epoch = False, person.session_epoch + 1
    report_snapshots.drop_all(db)  # refreshed dashboard views quote titles and searches
    commit(db)
    for name in removed:
        files.discard(name)
    return {"tickets": len(tickets), "attachments": len(removed), "help_events": len(events), "other_texts": swept}


def _sweep(db: Session, names: list[str], keep: Person) -> int:
    """Scrub the person's name and address from every other text column (outbox payloads, deliveries, jobs…)."""
    changed = 0
    for table in Base.metadata.sorted_tables:
        texts = [c for c in table.columns if isinstance(c.type, (String, Text)) and not c.primary_key]
        keys = list(table.primary_key.columns)
        if not texts or not keys or table.name == "people":
            continue
        hit = or_(*(func.lower(c).contains(n.lower()) for c in texts for n in names if n))
        for row in db.execute(select(*keys, *texts).where(hit)).mappings().all():
            values = {c.key: privacy.scrub(row[c.key], names) for c in texts if row[c.key]}
            db.execute(update(table).where(*(k == row[k.key] for k in keys)).values(**values))
            changed += 1
    return changed


def apply_retention(db: Session, ctx: Context, files: FileStore, months: int, *, dry_run: bool = False) -> list[int]:
    """Anonymise closed tickets closed more than ``months`` ago (names, addresses, attachments); return their ids."""
    now = ctx.clock.now()
    due = db.scalars(select(Ticket).where(Ticket.status == "closed", Ticket.anonymised_at.is_(None),
                                          Ticket.closed_at < privacy.retention_cutoff(now, months))
                     .order_by(Ticket.id)).all()
    if dry_run or not due:
        db.rollback()
        return [t.id for t in due]
    placeholder = _placeholder(db, now)
    removed: list[str] = []
    for ticket in due:
        removed += _anonymise_ticket(db, ticket, [], placeholder, now, drop_requester_words=False)
    ids = [t.id for t in due]
    report_snapshots.drop_all(db)  # refreshed dashboard views quote titles and searches
    commit(db)
    for name in removed:
        files.discard(name)
    return ids


