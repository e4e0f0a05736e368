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
