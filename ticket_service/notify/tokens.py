"""The signed token of a mail's reply address: the ticket it answers, so the mail-in door can thread replies."""

from __future__ import annotations

from itsdangerous import BadSignature, Signer

SALT = "guichet.mail.reply"


def reply_token(secret_key: str, ticket_id: int) -> str:
    """Return ``<ticket id>.<signature>``, short enough for the local part of an address (≤ 64 characters)."""
    return Signer(secret_key, salt=SALT).sign(str(ticket_id)).decode()


def ticket_of(secret_key: str, token: str) -> int | None:
    """Return the ticket id a reply token names, or None when its signature does not verify."""
    try:
        return int(Signer(secret_key, salt=SALT).unsign(token.encode()))
    except (BadSignature, ValueError):
        return None


def reply_address(secret_key: str, sender: str, ticket_id: int) -> str:
    """Return the sender's address with the token as a plus tag: ``support+12.sig@example.org``."""
    local, _, domain = sender.partition("@")
    return f"{local}+{reply_token(secret_key, ticket_id)}@{domain}"


MESSAGE_ID_SALT = "guichet.mail.message-id"


def message_id(secret_key: str, domain: str, nonce: str, ticket_id: int) -> str:
    """Return ``<guichet.<nonce>.<ticket id>.<sig>@domain>``: a reply quoting it names its ticket, unforgeably.

    The nonce is the event, notification and person (``12-reply-3``): a redelivery keeps the same Message-ID.
    """
    signed = Signer(secret_key, salt=MESSAGE_ID_SALT, sep=".").sign(f"{nonce}.{ticket_id}").decode()
    return f"<guichet.{signed}@{domain}>"


def ticket_of_message_id(secret_key: str, value: str) -> int | None:
    """Return the ticket a Message-ID we sent names, or None for any other (or forged) Message-ID."""
    local = value.strip().strip("<>").rpartition("@")[0]
    if not local.startswith("guichet."):
        return None
    try:
        unsigned = Signer(secret_key, salt=MESSAGE_ID_SALT, sep=".").unsign(local.removeprefix("guichet.")).decode()
        return int(unsigned.rpartition(".")[2])
    except (BadSignature, ValueError):
        return None
