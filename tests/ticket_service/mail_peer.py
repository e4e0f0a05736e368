"""A real SMTP peer for the mail tests: aiosmtpd on a free loopback port, optionally STARTTLS with authentication."""

from __future__ import annotations

import socket
import ssl
import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """Return (certificate, key) for 127.0.0.1, made by the openssl command."""
    cert, key = folder / "smtp.crt", folder / "smtp.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class Peer:
    """Collects what it receives; ``stop()`` and ``start()`` take it down and bring it back on the same port."""

    def __init__(self, port: int | None = None, *, tls: tuple[Path, Path] | None = None,
                 credentials: tuple[str, str] | None = None):
        self.port = port or free_port()
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.tls, self.credentials = tls, credentials
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        expected = self.credentials
        ok = expected is not None and (auth_data.login.decode(), auth_data.password.decode()) == expected
        return AuthResult(success=ok, handled=False)  # on failure, aiosmtpd answers 535 itself

    def start(self) -> "Peer":
        extra = {}
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*map(str, self.tls))
            extra.update(tls_context=context, require_starttls=True)
        if self.credentials is not None:
            extra.update(authenticator=self._authenticate, auth_require_tls=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **extra)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


SENDER = "Support <support@ferrand-associes.fr>"


@pytest.fixture(scope="module")
def peer():
    """A plain SMTP peer for the module's app (import this fixture by name)."""
    server = Peer().start()
    yield server
    server.stop()


def mail_config(db_url: str, folder: Path, peer: Peer, **extra) -> dict:
    """Return an app config sending through ``peer``, every periodic job off (the tests run each job by name)."""
    from ticket_service.settings import DEFAULTS
    from tshelpers import app_config

    settings = {"JOB_INTERVALS": {name: 0 for name in DEFAULTS["JOB_INTERVALS"]}, "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": peer.port, "SMTP_SECURITY": "none", "MAIL_FROM": SENDER,
                "PUBLIC_URL": "https://guichet.example.org", **extra}
    return app_config(db_url, folder, **settings)


def empty_mailboxes(app, peer: Peer) -> None:
    """Delete every outbox event and delivery, and forget what the peer received."""
    from sqlalchemy import delete

    from ticket_service.store.models import OutboxDelivery, OutboxEvent

    with app.extensions["guichet_db"].write() as db:
        db.execute(delete(OutboxDelivery))
        db.execute(delete(OutboxEvent))
    peer.received.clear()
