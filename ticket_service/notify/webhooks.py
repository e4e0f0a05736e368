"""The ``webhooks`` outbox subscriber, and what a webhook carries (standard JSON, or a Teams or Slack message).

The subscriber only owes each event to the endpoints that want it (one row each, with its webhook-id); the
``webhooks.deliver`` job sends them, so one slow or failing receiver never holds the mails nor the other receivers.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import current_app

from ticket_service.actions.webhooks import owe
from ticket_service.domain.webhooks import Endpoint, WebhookConfig
from ticket_service.jobs.outbox import Message, subscriber
from ticket_service.store.models import Ticket

NAME = "webhooks"  # keys the outbox delivery records: renaming it would owe every past event again
TICKET_FIELDS = ("id", "title", "type", "status", "priority", "level", "group", "category", "channel")
# French first, as the desk; a Teams/Slack channel reads these lines.
LABELS = {
    "ticket.created": "Nouvelle demande", "ticket.updated": "Demande modifiée", "ticket.transitioned": "Statut changé",
    "ticket.resolved": "Demande résolue", "ticket.reopened": "Demande rouverte", "ticket.closed": "Demande close",
    "ticket.commented": "Nouveau commentaire", "ticket.attachment_added": "Pièce jointe ajoutée",
    "ticket.escalated": "Demande escaladée", "ticket.approval_decided": "Validation décidée",
    "ticket.linked": "Demandes liées", "ticket.merged": "Demandes fusionnées", "ticket.article_linked": "Fiche liée",
    "ticket.rated": "Satisfaction notée", "incident.published": "Incident majeur publié",
    "incident.joined": "Incident majeur rejoint", "sla.at_risk": "SLA menacé", "sla.breached": "SLA dépassé",
    "sla.lead_notified": "Responsable prévenu (SLA)", "rule.notice": "Avis d'une règle d'automatisation",
}


def config(app) -> WebhookConfig:
    """Return the webhooks of this app's helpdesk.yml."""
    return app.extensions["guichet_context"].policies.webhooks


def wanted_by(webhooks: WebhookConfig, message: Message) -> list[str]:
    """Return the endpoints owed an event; internal notes go to none (their existence is internal too)."""
    if message.name == "ticket.commented" and message.payload.get("internal"):
        return []
    return [e.name for e in webhooks.endpoints if e.wants(message.name)]


@subscriber(NAME)
def owe_event(message: Message) -> None:
    """Owe the event to every endpoint that wants it; a redelivery of the event owes nothing twice."""
    from ticket_service.runtime import get_database

    app = current_app._get_current_object()
    now = app.extensions["guichet_context"].clock.now()
    if now - message.at > timedelta(hours=float(app.config["WEBHOOK_EVENT_MAX_AGE_HOURS"])):
        return  # history from before the webhook existed (an upgrade): receivers want news, not a replay
    names = wanted_by(config(app), message)
    if names:
        with get_database(app).writer() as db:
            owe(db, message.id, names, now)


def ticket_view(ticket: Ticket | None, public_url: str) -> dict | None:
    """Return what a receiver learns of a ticket: its fields and its desk link, never its text nor comments."""
    if ticket is None:
        return None
    view = {name: getattr(ticket, name) for name in TICKET_FIELDS}
    view["url"] = f"{public_url.rstrip('/')}/desk/tickets/{ticket.id}"
    return view


def standard(message: Message, ticket: dict | None) -> dict:
    """Return the Standard Webhooks shape: ``{type, timestamp, data}``."""
    return {"type": message.name, "timestamp": _iso(message.at),
            "data": {"event_id": message.id, "ticket": ticket, "actor_id": message.actor_id, **message.payload}}


def summary(message: Message, ticket: dict | None) -> str:
    """Return the one line a chat channel shows (plain text: each format escapes it its own way)."""
    label = LABELS.get(message.name, message.name)
    if ticket is None:
        return label
    return f"{label} · #{ticket['id']} {ticket['title']} ({ticket['priority']}, {ticket['status']})"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(message: Message, ticket: dict | None) -> dict:
    """Return a Slack incoming-webhook message (mrkdwn control characters escaped, so a title cannot ping @channel)."""
    text = _slack_escape(summary(message, ticket))
    if ticket is not None:
        text += f"\n<{ticket['url']}|Ouvrir la demande>"
    return {"text": text}


def teams(message: Message, ticket: dict | None) -> dict:
    """Return a Teams Workflows message (an Adaptive Card); its TextBlocks read Markdown, so the text is escaped."""
    text = summary(message, ticket)
    for mark in "\\*_`[]#<>~":
        text = text.replace(mark, "\\" + mark)
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": [{"type": "TextBlock", "text": text, "wrap": True}]}
    if ticket is not None:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Ouvrir la demande", "url": ticket["url"]}]
    return {"type": "message", "summary": LABELS.get(message.name, message.name),
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                             "content": card}]}


SHAPES = {"standard": standard, "slack": slack, "teams": teams}


def body(db, endpoint: Endpoint, message: Message, public_url: str) -> bytes:
    """Return the JSON bytes sent to an endpoint for one event (the same bytes are signed)."""
    ticket = ticket_view(db.get(Ticket, message.ticket_id) if message.ticket_id else None, public_url)
    return json.dumps(SHAPES[endpoint.format](message, ticket), ensure_ascii=False, separators=(",", ":"),
                      default=str).encode()


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
