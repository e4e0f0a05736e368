"""Mail in: the ``mail_in:`` mailboxes of helpdesk.yml, the parsed mail the door hands on, and who may reply by mail."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.vocabulary import STAFF_ROLES
from ticket_service.store.models import Comment, Person, Ticket

SECURITY = ("tls", "starttls")  # IMAP in clear text is refused: the password would cross the network
AUTH = ("password", "oauth2")
UNKNOWN_SENDERS = ("quarantine", "create")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")

# Why a mail waits in /desk/quarantaine instead of becoming a ticket or a comment.
REASONS = {
    "auto_submitted": "réponse automatique (Auto-Submitted)",
    "bulk": "envoi de masse ou liste (Precedence)",
    "own_address": "envoyé par Guichet lui-même (boucle)",
    "bounce": "avis de non-remise (mailer-daemon, postmaster)",
    "rate": "trop de messages de cet expéditeur",
    "unknown_sender": "expéditeur inconnu",
    "not_participant": "réponse à un ticket dont l'expéditeur n'est pas participant",
    "malformed": "message illisible ou hors limites",
    "no_sender": "pas d'expéditeur lisible (From)",
    "refused": "refusé par les règles des demandes",
}


@dataclass(frozen=True)
class Mailbox:
    """One IMAP mailbox to read: where, how to sign in (secrets by environment variable name), which folder."""

    name: str
    host: str
    port: int = 993
    security: str = "tls"
    username: str = ""
    auth: str = "password"
    password_env: str | None = None
    token_endpoint: str | None = None  # OAuth2: the token URL, client id, its secret's variable, scope
    client_id: str | None = None
    client_secret_env: str | None = None
    refresh_token_env: str | None = None  # set: refresh-token grant; unset: client credentials
    scope: str | None = None
    folder: str = "INBOX"
    move_to: str | None = None  # after import: move there instead of flagging \\Seen
    unknown_senders: str = "quarantine"
    ca_file: str | None = None


@dataclass(frozen=True)
class MailInConfig:
    """Every mailbox of ``mail_in:`` (file order)."""

    mailboxes: tuple[Mailbox, ...] = ()

    def mailbox(self, name: str) -> Mailbox | None:
        return next((m for m in self.mailboxes if m.name == name), None)


@dataclass(frozen=True)
class Part:
    """A file carried by a mail: its (untrusted) name and its decoded bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Inbound:
    """A mail as the door parsed it: strict sender, one-line subject, reply keys, text without quotes, files."""

    sender: str  # the addr-spec of the one From address, lower case ("" when none could be read)
    sender_name: str
    subject: str
    message_id: str | None
    refs: tuple[str, ...]  # In-Reply-To then References, each <…>
    recipients: tuple[str, ...]  # To, Cc and Delivered-To addresses (a reply token rides in one of them)
    text: str
    files: tuple[Part, ...]
    sent_at: datetime | None
    raw_sha256: str
    body_sha256: str
    block: str | None = None  # a REASONS key when the headers alone quarantine it
    flags: tuple[str, ...] = field(default=())
    malformed: str | None = None  # what could not be read, for the desk


def read_mail_in(spec, fail: Callable[[str, str, str], None]) -> MailInConfig:
    """Validate ``mail_in:`` (a list of mailboxes); ``fail(key, problem, fix)`` raises."""
    example = ("write `mail_in: [{name: support, host: imap.example.org, username: support@example.org, "
               "password_env: GUICHET_IMAP_SUPPORT_PASSWORD}]`.")
    if spec is None:
        return MailInConfig()
    if not isinstance(spec, list):
        fail("mail_in", "must be a list of mailboxes", example)
    known = set(Mailbox.__dataclass_fields__)
    boxes: list[Mailbox] = []
    for i, item in enumerate(spec):
        key = f"mail_in.{i}"
        if not isinstance(item, dict):
            fail(key, "must be a mapping", example)
        unknown = sorted(set(item) - known)
        if unknown:
            fail(f"{key}.{unknown[0]}", "is not a mailbox setting", "use only: " + ", ".join(sorted(known)) + ".")
        name = item.get("name")
        if not isinstance(name, str) or not NAME.match(name) or any(b.name == name for b in boxes):
            fail(f"{key}.name", f"is {name!r}", "give each mailbox a unique lower-case name (a-z, 0-9, - or _).")
        for text in ("host", "username"):
            if not isinstance(item.get(text), str) or not item[text].strip():
                fail(f"{key}.{text}", "is missing", f"set the IMAP {text} of mailbox {name}.")
        security = item.get("security", "tls")
        if security not in SECURITY:
            fail(f"{key}.security", f"is {security!r}", "set tls (port 993) or starttls (port 143).")
        port = item.get("port", 993 if security == "tls" else 143)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            fail(f"{key}.port", f"is {port!r}", "set a port number (993 for tls, 143 for starttls).")
        auth = item.get("auth", "oauth2" if item.get("token_endpoint") else "password")
        if auth not in AUTH:
            fail(f"{key}.auth", f"is {auth!r}", "set password or oauth2.")
        envs = ("password_env",) if auth == "password" else ("client_secret_env",)
        for env in ("password_env", "client_secret_env", "refresh_token_env"):
            value = item.get(env)
            if value is None and env in envs:
                fail(f"{key}.{env}", "is missing", f"name the environment variable holding the secret, e.g. "
                     f"GUICHET_IMAP_{name.upper().replace('-', '_')}_{'PASSWORD' if env == 'password_env' else 'SECRET'}"
                     " (the secret itself never goes in helpdesk.yml).")
            if value is not None and (not isinstance(value, str) or not ENV_NAME.match(value)):
                fail(f"{key}.{env}", f"is {value!r}", "name an environment variable (A-Z, 0-9, _), not the secret.")
        if auth == "oauth2":
            for text in ("token_endpoint", "client_id"):
                if not isinstance(item.get(text), str) or not item[text].strip():
                    fail(f"{key}.{text}", "is missing", "set the OAuth2 token endpoint and client id (see "
                         "docs/canaux-courriel-entrant.md).")
            if not item["token_endpoint"].startswith("https://") and not item["token_endpoint"].startswith(
                    "http://127.0.0.1"):
                fail(f"{key}.token_endpoint", "is not https", "use the provider's https:// token URL.")
        unknown_senders = item.get("unknown_senders", "quarantine")
        if unknown_senders not in UNKNOWN_SENDERS:
            fail(f"{key}.unknown_senders", f"is {unknown_senders!r}", "set quarantine or create.")
        for text in ("folder", "move_to", "scope", "ca_file"):
            if text in item and (not isinstance(item[text], str) or not item[text].strip()):
                fail(f"{key}.{text}", f"is {item[text]!r}", "set a non-empty text or remove the key.")
        boxes.append(Mailbox(**{**item, "port": port, "security": security, "auth": auth}))
    return MailInConfig(tuple(boxes))


def participants(db: Session, groups_of: Callable[[str], list[str]], ticket: Ticket) -> set[int]:
    """Return the ids of the people who may reply to a ticket by mail: requester, assignee, commenters, its group."""
    ids = {ticket.requester_id}
    if ticket.assignee_id is not None:
        ids.add(ticket.assignee_id)
    ids |= set(db.scalars(select(Comment.author_id).where(Comment.ticket_id == ticket.id)))
    if ticket.group:
        staff = db.scalars(select(Person).where(Person.role.in_(STAFF_ROLES), Person.active.is_(True)))
        ids |= {p.id for p in staff if ticket.group in groups_of(p.email)}
    return ids
