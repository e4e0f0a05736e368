"""Signed, expiring links in mails: one person, one ticket, one action; the page they open asks for a click first."""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "guichet.mail.link"
ACTIONS = ("confirm", "reopen")  # « C'est résolu » closes, « Ce n'est pas résolu » reopens with a reason
APPROVAL_ACTIONS = ("approve", "reject")  # an approver's decision on an access request, from the approval mail
SURVEY_ACTIONS = ("rate",)  # the requester's satisfaction, from the closed mail
REQUESTER_ACTIONS = ACTIONS + SURVEY_ACTIONS  # the links only the ticket's requester may follow


class LinkError(ValueError):
    """A link that is forged, altered or past its date (``expired`` says which)."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def sign(secret_key: str, ticket_id: int, person_id: int, action: str, issued: datetime) -> str:
    """Return the token of a link for ``action`` on the ticket by the person, issued at ``issued``."""
    return URLSafeSerializer(secret_key, salt=SALT).dumps([ticket_id, person_id, action, int(issued.timestamp())])


def read(secret_key: str, token: str, now: datetime, valid_days: float) -> tuple[int, int, str]:
    """Return (ticket id, person id, action) of a valid token; raise LinkError for a bad or expired one."""
    try:
        ticket_id, person_id, action, issued = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise LinkError("Ce lien n'est pas valide : ouvrez la demande depuis « Mes demandes ».") from None
    if action not in REQUESTER_ACTIONS + APPROVAL_ACTIONS:
        raise LinkError("Ce lien n'est pas valide : ouvrez la demande depuis « Mes demandes ».")
    if now.timestamp() - issued > timedelta(days=valid_days).total_seconds():
        raise LinkError("Ce lien a expiré : ouvrez la demande depuis « Mes demandes ».", expired=True)
    return int(ticket_id), int(person_id), action
