"""Take one parsed mail in: a new ticket, a comment on the ticket it answers, or the quarantine; once, whatever happens.

A new ticket goes through the same create action as every channel (``actions.tickets.create_ticket``), keyed by
the mail's hash: if the importer dies after that commit, the next run gets the same ticket back and finishes.
The mail's row (its dedupe keys) commits with the files and the comment, so a mail is never taken in twice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticket_service.actions.people import find_by_email
from ticket_service.actions.tickets import _attach, create_ticket
from ticket_service.actions.unit import commit, rollback
from ticket_service.domain import tickets
from ticket_service.domain.context import Context
from ticket_service.domain.errors import DomainError, Forbidden, NotFound, StorageFull, not_found
from ticket_service.domain.inbound_mail import Inbound, participants
from ticket_service.domain.vocabulary import COMMENT, DESCRIPTION, ENDED, STAFF_ROLES
from ticket_service.store import faults
from ticket_service.store.files import FileStore
from ticket_service.store.models import Attachment, InboundMail, Person, Ticket

ORIGINAL = "courriel-original.eml"
NO_SUBJECT = "(sans objet)"
NO_TEXT = "(message sans texte : voir le courriel original en pièce jointe)"


@dataclass(frozen=True)
class Intake:
    """How one mailbox takes mail in: its name, what to do with strangers, the per-sender flood limit."""

    mailbox: str
    unknown_senders: str = "quarantine"  # or "create": an employee account for an unknown sender
    per_sender_hour: int = 30
    keep_bytes: int = 25 * 1024 * 1024  # the largest mail kept in quarantine for a release


@dataclass(frozen=True)
class Outcome:
    """What a mail became: ticket, comment, quarantined or duplicate (already taken in)."""

    kind: str
    ticket_id: int | None = None
    comment_id: int | None = None
    reason: str | None = None


def already_taken(db: Session, mailbox: str, uidvalidity: int | None, uid: int | None) -> bool:
    """Return whether an IMAP mail (by UIDVALIDITY and UID) was taken in already, before fetching its bytes."""
    return db.scalar(select(InboundMail.id).where(InboundMail.mailbox == mailbox, InboundMail.uidvalidity == uidvalidity,
                                                  InboundMail.uid == uid)) is not None


def take_in(db: Session, ctx: Context, files: FileStore, intake: Intake, mail: Inbound, raw: bytes, *,
            reply_to: int | None = None, uidvalidity: int | None = None, uid: int | None = None) -> Outcome:
    """Make a mail a ticket, a comment or a quarantined entry, and record it in the same commit as what it made."""
    same = db.scalars(select(InboundMail).where(
        (InboundMail.raw_sha256 == mail.raw_sha256) | (InboundMail.message_id == mail.message_id)
        if mail.message_id else InboundMail.raw_sha256 == mail.raw_sha256)).all()
    if any(r.raw_sha256 == mail.raw_sha256 or r.body_sha256 == mail.body_sha256 for r in same):
        return Outcome("duplicate")  # the same bytes, or the same Message-ID with the same body (E-02)
    flags = list(mail.flags) + (["message_id_reused"] if same else [])  # same id, another body: taken in, flagged
    row = InboundMail(mailbox=intake.mailbox[:100], uidvalidity=uidvalidity, uid=uid, raw_sha256=mail.raw_sha256,
                      body_sha256=mail.body_sha256, message_id=(mail.message_id or "")[:250] or None,
                      sender=mail.sender[:254], subject=mail.subject[:250], sent_at=mail.sent_at,
                      received_at=ctx.clock.now(), flags=",".join(flags)[:200] or None)
    if mail.block:
        return _quarantine(db, intake, row, raw, mail.block)
    since = ctx.clock.now() - timedelta(hours=1)
    recent = db.scalar(select(func.count()).select_from(InboundMail).where(
        InboundMail.sender == row.sender, InboundMail.received_at >= since))
    if recent >= intake.per_sender_hour:
        return _quarantine(db, intake, row, raw, "rate")
    try:
        return _route(db, ctx, files, intake, row, mail, raw, reply_to)
    except StorageFull:
        raise  # the server's state, not the mail's: left unread, taken in once there is room
    except DomainError:  # a rule refused it (e.g. a catalogue rule): kept for the desk, not retried every minute
        rollback(db)
        row.ticket_id = row.comment_id = None
        return _quarantine(db, intake, row, raw, "refused")


def _route(db: Session, ctx: Context, files: FileStore, intake: Intake, row: InboundMail, mail: Inbound, raw: bytes,
           reply_to: int | None) -> Outcome:
    """Send a mail that passed the door to its ticket (a participant's reply), a new ticket, or the quarantine."""
    person = find_by_email(db, mail.sender, active_only=True)
    if reply_to is not None:
        ticket = db.get(Ticket, reply_to)
        if ticket is not None and ticket.status not in ENDED:
            if person is None or person.id not in participants(db, ctx.policies.groups_of, ticket):
                return _quarantine(db, intake, row, raw, "not_participant")  # never on someone else's ticket (E-04)
            return _comment(db, ctx, files, row, person, ticket, mail, raw)
    if person is None:
        if intake.unknown_senders != "create" or find_by_email(db, mail.sender) is not None:
            return _quarantine(db, intake, row, raw, "unknown_sender")  # or a disabled account: never revived by mail
        person = _new_employee(db, mail)
    return _ticket(db, ctx, files, row, person, person, mail, raw)


def release(db: Session, ctx: Context, files: FileStore, actor: Person, mail_id: int, mail: Inbound) -> Outcome:
    """A technician lets a quarantined mail in: a new ticket for its sender (an employee account if unknown)."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("forbidden", "Seuls les techniciens libèrent un courriel en quarantaine.")
    row = db.get(InboundMail, mail_id, with_for_update=True)
    if row is None or row.outcome != "quarantined" or row.raw is None:
        raise not_found()
    raw = row.raw
    person = find_by_email(db, mail.sender, active_only=True) if mail.sender else None
    if person is None:
        if not mail.sender or find_by_email(db, mail.sender) is not None:
            person = actor  # no readable sender, or a disabled account: the technician stands as requester
        else:
            person = _new_employee(db, mail)
    row.released_by = actor.id
    return _ticket(db, ctx, files, row, actor, person, mail, raw, released=True)


def quarantined(db: Session, limit: int = 200) -> list[InboundMail]:
    """Return the mails waiting in quarantine, newest first."""
    return list(db.scalars(select(InboundMail).where(InboundMail.outcome == "quarantined")
                           .order_by(InboundMail.received_at.desc(), InboundMail.id.desc()).limit(limit)))


def _quarantine(db: Session, intake: Intake, row: InboundMail, raw: bytes, reason: str) -> Outcome:
    row.outcome, row.reason = "quarantined", reason
    row.raw = raw if len(raw) <= intake.keep_bytes else None
    db.add(row)
    if not _commit(db):
        return Outcome("duplicate")
    return Outcome("quarantined", reason=reason)


def _new_employee(db: Session, mail: Inbound) -> Person:
    """Add (in the action's transaction) an employee account for an unknown sender; they sign in by password reset."""
    name = mail.sender_name.strip() or mail.sender.partition("@")[0]
    person = Person(email=mail.sender, name=name[:200], role="employee", active=True, session_epoch=0)
    db.add(person)
    db.flush()
    return person


def _ticket(db: Session, ctx: Context, files: FileStore, row: InboundMail, actor: Person, requester: Person,
            mail: Inbound, raw: bytes, *, released: bool = False) -> Outcome:
    data = {"title": _fit(mail.subject, 200) or NO_SUBJECT, "description": _fit(mail.text, DESCRIPTION[1]) or NO_TEXT}
    if len(data["title"]) < 3:
        data["title"] = f"{data['title']} {NO_SUBJECT}"
    if actor.id != requester.id:
        data["requester_id"] = requester.id
    # The key makes the create idempotent: after a crash past this commit, the next run gets this ticket back.
    ticket = create_ticket(db, ctx, actor, data, key=f"mail:{mail.raw_sha256}", channel="mail").ticket
    faults.crash("mail_in.after_create")  # the crash test (E-01) dies here too: ticket committed, mail not recorded
    row.outcome, row.reason, row.ticket_id = ("released" if released else "ticket"), row.reason, ticket.id
    row.raw = None
    stored = _files(db, ctx, files, ticket, requester, mail, raw)
    db.add(row)
    if not _commit(db, files, stored):
        return Outcome("duplicate", ticket_id=ticket.id)
    return Outcome("ticket", ticket_id=ticket.id)


def _comment(db: Session, ctx: Context, files: FileStore, row: InboundMail, person: Person, ticket: Ticket,
             mail: Inbound, raw: bytes) -> Outcome:
    db.refresh(ticket, with_for_update=True)
    stored: list[Attachment] = []
    try:
        created = tickets.add_comment(db, ctx, ticket, person, _fit(mail.text, COMMENT[1]) or NO_TEXT,
                                      now=ctx.clock.now())
        stored = _files(db, ctx, files, ticket, person, mail, raw)
        db.flush()
    except (Forbidden, NotFound):
        rollback(db)
        _discard(files, stored)
        return _quarantine(db, Intake(row.mailbox), row, raw, "not_participant")
    row.outcome, row.ticket_id, row.comment_id = "comment", ticket.id, created.id
    db.add(row)
    if not _commit(db, files, stored):
        return Outcome("duplicate", ticket_id=ticket.id)
    return Outcome("comment", ticket_id=ticket.id, comment_id=created.id)


def _files(db: Session, ctx: Context, files: FileStore, ticket: Ticket, person: Person, mail: Inbound,
           raw: bytes) -> list[Attachment]:
    """Store the mail's files and the original .eml under the upload path's limits; a refused file is skipped."""
    stored = []
    for name, data in [(p.filename, p.data) for p in mail.files] + [(ORIGINAL, raw)]:
        try:
            stored.append(_attach(db, ctx, files, ticket, person, (name, io.BytesIO(data)), False))
        except DomainError:  # a type, size or count the upload path refuses: the .eml still holds it
            continue
    return stored


def _commit(db: Session, files: FileStore | None = None, stored: list[Attachment] = ()) -> bool:
    """Commit; False when a concurrent importer took the same mail in first (the unique hash)."""
    try:
        commit(db)
    except IntegrityError:
        rollback(db)
        _discard(files, stored)
        return False
    except BaseException:
        rollback(db)
        _discard(files, stored)
        raise
    return True


def _discard(files: FileStore | None, stored) -> None:
    for attachment in stored if files is not None else ():
        files.discard(attachment.storage_name)


def _fit(text: str, most: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"
