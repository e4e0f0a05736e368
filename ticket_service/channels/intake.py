"""The mail-in loop shared by every source: parse, classify, take in (one commit), then mark it read at the source."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from email.utils import parseaddr

from ticket_service.channels.mail_in import parse, reply_ticket
from ticket_service.store import faults

log = logging.getLogger("guichet.mail_in")


@dataclass
class Report:
    """What one run did, by outcome (ticket, comment, quarantined, duplicate), and the mails that failed."""

    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def line(self) -> str:
        done = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "nothing waiting"
        return done + (f"; {len(self.errors)} failed (left unread, tried again next run)" if self.errors else "")


def own_addresses(app) -> set[str]:
    """Return Guichet's own addresses: MAIL_FROM, each mailbox's username, MAIL_IN_ADDRESSES (a mail from one is a loop)."""
    from ticket_service.runtime import get_ctx

    with app.app_context():
        boxes = get_ctx().policies.mail_in.mailboxes
    found = {parseaddr(str(app.config["MAIL_FROM"]))[1].lower()}
    found |= {b.username.lower() for b in boxes if "@" in b.username}
    found |= {a.strip().lower() for a in str(app.config.get("MAIL_IN_ADDRESSES") or "").split(",") if a.strip()}
    return found - {""}


def take(app, ctx, intake, raw: bytes, own: set[str], *, uidvalidity: int | None = None, uid: int | None = None):
    """Take one mail in (its own transaction) and return the Outcome; the caller marks it read afterwards."""
    from ticket_service.actions.mail_in import take_in
    from ticket_service.runtime import get_database, get_files

    mail = parse(raw, own_addresses=own)
    if len(raw) > int(app.config["MAIL_IN_MAX_BYTES"]):
        mail = replace(mail, block="malformed", malformed="larger than MAIL_IN_MAX_BYTES", files=(), text="")
    reply_to = reply_ticket(app.config["SECRET_KEY"], mail) if not mail.block else None
    with get_database(app).writer() as db:
        outcome = take_in(db, ctx, get_files(app), intake, mail, raw, reply_to=reply_to, uidvalidity=uidvalidity,
                          uid=uid)
    log.info("mail %s from %s: %s%s", mail.message_id or mail.raw_sha256[:12], mail.sender or "?", outcome.kind,
             f" ({outcome.reason})" if outcome.reason else "")
    faults.crash("mail_in.before_mark")  # the crash test (E-01) dies here: committed, not yet marked
    return outcome


def run_maildir(app, ctx, source, intake, report: Report | None = None) -> Report:
    """Take in every mail waiting in a Maildir; a mail that fails stays in new/ and the others go on."""
    report = report or Report()
    own = own_addresses(app)
    for key, raw in source.waiting():
        try:
            outcome = take(app, ctx, intake, raw, own)
        except Exception as exc:  # one bad mail (or a database hiccup) must not stop the others
            log.exception("mail %s in %s not taken in", key, source.name)
            report.errors.append(f"{key}: {type(exc).__name__}: {exc}"[:300])
            continue
        source.mark(key)
        report.add(outcome.kind)
    return report


def intake_for(app, name: str, unknown_senders: str | None = None):
    """Return the Intake of a mailbox: its name, what to do with strangers, and the app's flood and size limits."""
    from ticket_service.actions.mail_in import Intake

    return Intake(name, unknown_senders or str(app.config["MAIL_IN_UNKNOWN_SENDERS"]),
                  int(app.config["MAIL_IN_PER_SENDER_HOUR"]), int(app.config["MAIL_IN_MAX_BYTES"]))
