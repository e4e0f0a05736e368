"""Which domain event becomes which mail, to whom, rendered from the templates in the mail's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822, parseaddr
from pathlib import Path
from typing import Callable

from babel.dates import format_datetime
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from ticket_service.notify import links
from ticket_service.notify.smtp import SmtpConfig
from ticket_service.notify.tokens import reply_address
from ticket_service.store.models import Comment, Person, Ticket

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
NOTIFICATIONS = ("acknowledgement", "reply", "waiting", "resolved", "closed", "sla_at_risk", "sla_breached")
EVENT_NAMES = ("ticket.created", "ticket.commented", "ticket.transitioned", "ticket.resolved", "ticket.closed",
               "sla.at_risk", "sla.breached", "sla.lead_notified")  # the events that may mail
TO_STAFF = ("sla_at_risk", "sla_breached")  # sent to the event's recipients (the desk), not to the requester


@dataclass(frozen=True)
class Mail:
    """One notification as it will leave: who, what, and the headers that make it stable across redeliveries."""

    notification: str
    to_name: str
    to_email: str
    subject: str
    text: str
    html: str
    message_id: str
    thread_id: str
    reply_to: str

    def message(self, sender: str, at) -> EmailMessage:
        """Return the multipart (text + HTML) message to send."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = Address(self.to_name, addr_spec=self.to_email)
        message["Subject"] = self.subject
        message["Date"] = rfc2822(at)
        message["Message-ID"] = self.message_id
        message["In-Reply-To"] = message["References"] = self.thread_id
        message["Reply-To"] = self.reply_to
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
        message["X-Guichet-Notification"] = self.notification
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        return message


@dataclass(frozen=True)
class Setting:
    """What composing needs from the app: its settings, its instance folder, its calendar's time zone."""

    smtp: SmtpConfig
    secret_key: str
    public_url: str
    language: str
    instance_path: Path
    tz: object


def environment(instance_path: Path) -> Environment:
    """Return the Jinja environment: the instance folder's mail/ templates first, then the built-in ones."""
    loader = ChoiceLoader([FileSystemLoader(str(instance_path / "mail")), FileSystemLoader(str(TEMPLATES))])
    return Environment(loader=loader,
                       autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
                       undefined=StrictUndefined, keep_trailing_newline=True)


Articles = Callable[[Ticket], list[dict]]  # the ticket → up to two {"title", "url"} suggestions for it


def mails_for(db: Session, setting: Setting, event_id: int, name: str, ticket_id: int | None, payload: dict,
              env: Environment | None = None, articles: Articles | None = None,
              at: datetime | None = None) -> list[Mail]:
    """Return the mails one outbox event sends (none for the events that notify nobody)."""
    notification = _notification(name, payload)
    ticket = db.get(Ticket, ticket_id) if notification and ticket_id is not None else None
    if ticket is None:
        return []
    ids = (payload.get("recipients") or ()) if notification in TO_STAFF else (ticket.requester_id,)
    people = [p for p in (db.get(Person, int(i)) for i in ids) if p is not None and p.active]
    comment = db.get(Comment, payload.get("comment_id")) if notification == "reply" else None
    if notification == "reply" and (comment is None or comment.internal):
        return []
    author = db.get(Person, comment.author_id) if comment is not None else None
    suggested = articles(ticket) if articles is not None and notification == "acknowledgement" and people else []
    due = datetime.fromisoformat(payload["due"]) if isinstance(payload.get("due"), str) else None
    extra = {"comment": comment, "author": author, "articles": suggested, "reason": payload.get("reason"),
             "target": payload.get("target"), "due": _when(due, setting)}
    env = env or environment(setting.instance_path)
    return [_render(env, setting, notification, event_id, ticket, person,
                    {**extra, **_links(setting, notification, ticket, person, at)}) for person in people]


def _links(setting: Setting, notification: str, ticket: Ticket, person: Person, at: datetime | None) -> dict:
    """Return the signed « C'est résolu » / « Ce n'est pas résolu » links of a resolved mail (issued at the event)."""
    if notification != "resolved" or at is None:
        return {}
    base = setting.public_url.rstrip("/")
    return {f"{action}_link": f"{base}/courriel/{links.sign(setting.secret_key, ticket.id, person.id, action, at)}"
            for action in links.ACTIONS}


def _notification(name: str, payload: dict) -> str | None:
    if name == "ticket.created":
        return "acknowledgement"
    if name == "ticket.commented" and not payload.get("internal") and not payload.get("by_requester"):
        return "reply"
    if name == "ticket.transitioned":
        return "waiting" if payload.get("new") == "waiting" else None
    return {"ticket.resolved": "resolved", "ticket.closed": "closed", "sla.at_risk": "sla_at_risk",
            "sla.breached": "sla_breached", "sla.lead_notified": "sla_breached"}.get(name)


def _render(env: Environment, setting: Setting, notification: str, event_id: int, ticket: Ticket, person: Person,
            extra: dict) -> Mail:
    lang, domain = setting.language, setting.smtp.domain
    page = "desk/tickets" if notification in TO_STAFF else "mes-demandes"
    link = f"{setting.public_url.rstrip('/')}/{page}/{ticket.id}"
    values = {"ticket": ticket, "person": person, "link": link, "lang": lang,
              "first_response_due": _when(ticket.first_response_due, setting),
              "resolution_due": _when(ticket.resolution_due, setting), **extra}
    subject = " ".join(env.get_template(f"{lang}/{notification}.subject.txt").render(values).split())
    return Mail(notification, person.name, person.email, subject,
                env.get_template(f"{lang}/{notification}.txt").render(values),
                env.get_template(f"{lang}/{notification}.html").render(values),
                f"<guichet.{event_id}.{notification}.{person.id}@{domain}>", f"<guichet.ticket.{ticket.id}@{domain}>",
                reply_address(setting.secret_key, parseaddr(setting.smtp.sender)[1], ticket.id))


def _when(moment, setting: Setting) -> str | None:
    if moment is None:
        return None
    return format_datetime(moment, "EEEE d MMMM y, HH:mm", tzinfo=setting.tz, locale=setting.language)
