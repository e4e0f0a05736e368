"""The SMTP settings, checked at start-up, and the sending of one message over a real SMTP connection."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Mapping

SECURITY = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


class MailConfigError(ValueError):
    """A mail setting that cannot work; the message names the setting and the fix."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: server, security, credentials, sender."""

    host: str | None
    port: int
    security: str
    username: str | None
    password: str | None
    timeout: float
    sender: str
    ca_file: str | None = None  # an internal CA's bundle; default: the system's trusted roots

    @property
    def domain(self) -> str:
        """Return the sender's domain (it names the Message-IDs and the reply address)."""
        return parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"


def load(config: Mapping) -> SmtpConfig:
    """Return the SMTP settings of an app's config; raise MailConfigError naming the bad setting."""
    security = str(config.get("SMTP_SECURITY") or "starttls").strip().lower()
    if security not in SECURITY:
        raise MailConfigError(f"SMTP_SECURITY={config.get('SMTP_SECURITY')!r} is not one of none | starttls | tls "
                              "(set GUICHET_SMTP_SECURITY to one of them)")
    port = config.get("SMTP_PORT") or DEFAULT_PORTS[security]
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise MailConfigError(f"SMTP_PORT={port!r} is not a port number (1-65535)") from None
    if not 0 < port < 65536:
        raise MailConfigError(f"SMTP_PORT={port} is not a port number (1-65535)")
    sender = str(config.get("MAIL_FROM") or "")
    if "@" not in parseaddr(sender)[1]:
        raise MailConfigError(f"MAIL_FROM={sender!r} is not an address (e.g. 'Support <support@example.org>')")
    if config.get("SMTP_PASSWORD") and not config.get("SMTP_USERNAME"):
        raise MailConfigError("SMTP_PASSWORD is set without SMTP_USERNAME (set both, or neither)")
    return SmtpConfig(config.get("SMTP_HOST") or None, port, security, config.get("SMTP_USERNAME") or None,
                      config.get("SMTP_PASSWORD") or None, float(config.get("SMTP_TIMEOUT_SECONDS") or 30), sender,
                      config.get("SMTP_CA_FILE") or None)


def send(smtp: SmtpConfig, message: EmailMessage) -> None:
    """Send one message; any refusal or network error raises (the outbox delivery retries it)."""
    context = ssl.create_default_context(cafile=smtp.ca_file)  # the server's certificate and name are checked
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)  # raises SMTPNotSupportedError when the server does not offer it
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(message)
