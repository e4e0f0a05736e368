"""Domain errors: why a rule refused an action, with a human message and per-field details (no HTTP here)."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal: a stable code, a French message for people, and the fields at fault."""

    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code, self.message = code, message
        self.fields = fields or {}


class Malformed(DomainError):
    """The request names fields or values the action does not take at all."""


class Invalid(DomainError):
    """A value breaks a rule (too short, unknown article, missing reason)."""


class Forbidden(DomainError):
    """This person may not do this."""


class NotFound(DomainError):
    """The object does not exist, or the person may not know it exists."""


class Conflict(DomainError):
    """The object's current state does not allow the action (closed ticket, already decided)."""


class TooLarge(DomainError):
    """A file is over its size limit."""


class Unsupported(DomainError):
    """A file type the helpdesk does not accept."""


class StorageFull(DomainError):
    """The server has no room left to store what was sent."""


class TooMany(DomainError):
    """Too many attempts in a window: try again later."""

    def __init__(self, code: str, message: str, retry_after: int):
        super().__init__(code, message)
        self.retry_after = retry_after


def not_found() -> NotFound:
    """Return the refusal used for missing objects and for objects the caller may not see (no oracle)."""
    return NotFound("not_found", "Ressource introuvable.")


def invalid(message: str, fields: dict | None = None) -> Invalid:
    """Return the usual ``invalid_fields`` refusal."""
    return Invalid("invalid_fields", message, fields)
