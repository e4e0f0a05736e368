"""An IMAP mailbox as a mail source: TLS, a password or OAuth2 (XOAUTH2), each mail marked only after its commit.

Keys: UIDVALIDITY + UID (RFC 3501 §2.3.1.1) skip a mail already taken in without downloading it; if the server
renumbers its mails (a new UIDVALIDITY), the content hash still recognises each one (E-03).
"""

from __future__ import annotations

import imaplib
import json
import logging
import os
import re
import ssl
import urllib.parse
import urllib.request
from typing import Protocol

from ticket_service.channels.intake import Report, intake_for, own_addresses, take
from ticket_service.domain.inbound_mail import Mailbox

log = logging.getLogger("guichet.mail_in")
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


class ImapError(Exception):
    """A mailbox that cannot be read now (settings, network, sign-in); the message says which and what to do."""


class Source(Protocol):
    """What the import loop needs from a mailbox; the tests give a fake one to replay a UIDVALIDITY change."""

    name: str
    uidvalidity: int

    def waiting(self) -> list[int]: ...
    def fetch(self, uid: int) -> bytes: ...
    def mark(self, uid: int) -> None: ...


def secret(variable: str | None, what: str) -> str:
    """Return a secret from the environment variable helpdesk.yml names; ImapError naming it when unset."""
    value = os.environ.get(variable or "")
    if not value:
        raise ImapError(f"{what}: environment variable {variable} is not set (put the secret there, never in "
                        "helpdesk.yml)")
    return value


def oauth2_token(box: Mailbox, timeout: float, ca_file: str | None = None) -> str:
    """Return an access token from the provider: refresh-token grant when configured, else client credentials."""
    form = {"client_id": box.client_id, "client_secret": secret(box.client_secret_env, f"mailbox {box.name}")}
    if box.refresh_token_env:
        form.update(grant_type="refresh_token", refresh_token=secret(box.refresh_token_env, f"mailbox {box.name}"))
    else:
        form.update(grant_type="client_credentials")
    if box.scope:
        form["scope"] = box.scope
    request = urllib.request.Request(box.token_endpoint, data=urllib.parse.urlencode(form).encode(),
                                     headers={"Accept": "application/json"}, method="POST")
    context = ssl.create_default_context(cafile=ca_file or box.ca_file)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:  # noqa: S310 (https, checked)
            body = json.loads(answer.read(1 << 20))
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace")
        raise ImapError(f"mailbox {box.name}: the token endpoint refused ({exc.code}): {detail}") from None
    except (OSError, ValueError) as exc:
        raise ImapError(f"mailbox {box.name}: no token from {box.token_endpoint}: {exc}") from None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ImapError(f"mailbox {box.name}: the token endpoint answered without access_token")
    return token


def xoauth2(username: str, token: str) -> bytes:
    """Return the SASL XOAUTH2 initial response (Google and Microsoft)."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01".encode()


class ImapSource:
    """One folder of one IMAP mailbox, opened and signed in; ``close()`` logs out."""

    def __init__(self, box: Mailbox, *, timeout: float = 60, ca_file: str | None = None):
        self.box, self.name = box, box.name
        context = ssl.create_default_context(cafile=box.ca_file or ca_file)  # certificate and host name checked
        try:
            if box.security == "tls":
                self.client = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=context, timeout=timeout)
            else:
                self.client = imaplib.IMAP4(box.host, box.port, timeout=timeout)
                self.client.starttls(ssl_context=context)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"mailbox {box.name}: cannot reach {box.host}:{box.port} over {box.security}: {exc}") \
                from None
        try:
            if box.auth == "oauth2":
                token = oauth2_token(box, timeout, ca_file)
                self.client.authenticate("XOAUTH2", lambda _challenge: xoauth2(box.username, token))
            else:
                self.client.login(box.username, secret(box.password_env, f"mailbox {box.name}"))
            if box.move_to:
                self.client.create(_quote(box.move_to))  # NO when it exists already: fine either way
            status, data = self.client.select(_quote(box.folder))
            if status != "OK":
                raise ImapError(f"mailbox {box.name}: no folder {box.folder!r}")
            found = _UIDVALIDITY.search(b" ".join(x for x in self.client.untagged_responses.get("OK", []) if x))
            self.uidvalidity = int(found.group(1)) if found else int(self._status_uidvalidity())
        except imaplib.IMAP4.error as exc:
            self.close()
            raise ImapError(f"mailbox {box.name}: sign-in or folder refused: {exc}") from None
        except BaseException:
            self.close()
            raise

    def _status_uidvalidity(self) -> int:
        _, data = self.client.status(_quote(self.box.folder), "(UIDVALIDITY)")
        return int(_UIDVALIDITY.search(data[0]).group(1))

    def waiting(self) -> list[int]:
        """Return the UIDs to read: unseen ones, or every one when taken-in mail is moved away (move_to)."""
        _, data = self.client.uid("SEARCH", "ALL" if self.box.move_to else "UNSEEN")
        return [int(u) for u in (data[0] or b"").split()]

    def size(self, uid: int) -> int:
        _, data = self.client.uid("FETCH", str(uid), "(RFC822.SIZE)")
        found = re.search(rb"RFC822\.SIZE (\d+)", data[0] if data and data[0] else b"")
        return int(found.group(1)) if found else 0

    def fetch(self, uid: int) -> bytes:
        """Return a mail's bytes without flagging it \\Seen (BODY.PEEK): only mark() does, after the commit."""
        status, data = self.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        parts = [d[1] for d in data if isinstance(d, tuple)]
        if status != "OK" or not parts:
            raise ImapError(f"mailbox {self.name}: UID {uid} could not be fetched")
        return parts[0]

    def mark(self, uid: int) -> None:
        """Flag the mail \\Seen, or move it to move_to (MOVE when offered, else COPY + \\Deleted + EXPUNGE)."""
        if not self.box.move_to:
            self.client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")
            return
        if "MOVE" in self.client.capabilities:
            status, _ = self.client.uid("MOVE", str(uid), _quote(self.box.move_to))
            if status == "OK":
                return
        status, data = self.client.uid("COPY", str(uid), _quote(self.box.move_to))
        if status != "OK":  # never flag \Deleted a mail that was not copied: it would be lost
            raise ImapError(f"mailbox {self.name}: cannot copy UID {uid} to {self.box.move_to!r}: {data}")
        self.client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted \Seen)")
        self.client.expunge()

    def close(self) -> None:
        try:
            self.client.logout()
        except (OSError, imaplib.IMAP4.error, AttributeError):
            pass


def run_source(app, ctx, source: Source, intake, report: Report) -> Report:
    """Take in every waiting mail of an opened source; a mail that fails stays unread for the next run."""
    from ticket_service.actions.mail_in import already_taken
    from ticket_service.runtime import get_database

    own = own_addresses(app)
    for uid in source.waiting():
        try:
            with get_database(app).reader() as db:
                seen = already_taken(db, source.name, source.uidvalidity, uid)
            kind = "duplicate" if seen else take(app, ctx, intake, source.fetch(uid), own,
                                                 uidvalidity=source.uidvalidity, uid=uid).kind
            source.mark(uid)
            report.add(kind)
        except (OSError, imaplib.IMAP4.abort) as exc:  # the connection is gone: the rest waits for the next run
            report.errors.append(f"UID {uid}: {type(exc).__name__}: {exc}"[:300])
            break
        except Exception as exc:
            log.exception("UID %s of %s not taken in", uid, source.name)
            report.errors.append(f"UID {uid}: {type(exc).__name__}: {exc}"[:300])
    return report


def run_mailbox(app, ctx, box: Mailbox, report: Report | None = None) -> Report:
    """Open one mailbox of helpdesk.yml, take in what waits, log out."""
    report = report or Report()
    source = ImapSource(box, timeout=float(app.config["MAIL_IN_TIMEOUT_SECONDS"]), ca_file=app.config["MAIL_IN_CA_FILE"])
    try:
        return run_source(app, ctx, source, intake_for(app, box.name, box.unknown_senders), report)
    finally:
        source.close()


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'

