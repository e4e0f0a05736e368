"""Which domain event becomes which mail, to whom, rendered from the templates in the mail's language."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822, parseaddr
from pathlib import Path
from typing import Callable

from babel.dates import format_datetime
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ticket_service.domain import delays, mail_audience, sla
from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.following import is_merged
from ticket_service.domain.policies import Policies
from ticket_service.domain.vocabulary import STAFF_ROLES
from ticket_service.notify import links
from ticket_service.notify.smtp import SmtpConfig
from ticket_service.notify.tokens import message_id, reply_address
from ticket_service.store.models import Comment, OutboxEvent, Person, Ticket

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
NOTIFICATIONS = ("acknowledgement", "reply", "waiting", "resolved", "closed", "sla_at_risk", "sla_breached",
                 "approval_requested", "major_incident_opened", "major_incident_resolved", "delay_announced",
                 "waiting_reminder", "rule_notice", "monthly_summary")
EVENT_NAMES = ("ticket.created", "ticket.commented", "ticket.transitioned", "ticket.resolved", "ticket.closed",
               "sla.at_risk", "sla.breached", "sla.lead_notified", "incident.published",
               "ticket.delay_announced", "ticket.waiting_reminder", "rule.notice",
               "reports.monthly_summary")  # the events that may mail
TO_STAFF = ("sla_at_risk", "sla_breached")  # sent to the event's recipients (the desk), not to the requester
TO_RECIPIENTS = (*TO_STAFF, "rule_notice")  # sent to the people the event names


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
        message["To"] = Address(" ".join(self.to_name.split()), addr_spec=self.to_email)  # a name is one line (E-06)
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
    policies: Policies | None = None  # helpdesk.yml: approvers, groups, survey (the mails beyond the requester's)


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
    """Return the mails one outbox event sends (none for the events that notify nobody), one per person at most."""
    env = env or environment(setting.instance_path)
    mails = _main_mails(db, setting, event_id, name, ticket_id, payload, env, articles, at)
    mails += audience_mails(db, setting, env, event_id, name, ticket_id, payload, at)
    mails += _summary_mails(db, setting, env, event_id, name, payload)
    off = mail_audience.opted_out(db, sorted({m.to_email for m in mails}))
    seen: set[str] = set()
    return [m for m in mails if mail_audience.wanted(m.notification, {n for e, n in off if e == m.to_email.lower()})
            and not (m.to_email.lower() in seen or seen.add(m.to_email.lower()))]


def _summary_mails(db: Session, setting: Setting, env: Environment, event_id: int, name: str,
                   payload: dict) -> list[Mail]:
    """Return the monthly summary's mails (notify/monthly_summary.py; imported here, it imports this module)."""
    from ticket_service.notify.monthly_summary import summary_mails

    return summary_mails(db, setting, env, event_id, name, payload)


def _main_mails(db: Session, setting: Setting, event_id: int, name: str, ticket_id: int | None, payload: dict,
                env: Environment | None = None, articles: Articles | None = None,
                at: datetime | None = None) -> list[Mail]:
    """Return the mails of the event to the requester (or to the desk people the event names)."""
    notification = _notification(name, payload)
    ticket = db.get(Ticket, ticket_id) if notification and ticket_id is not None else None
    if ticket is None:
        return []
    ids = (payload.get("recipients") or ()) if notification in TO_RECIPIENTS else (ticket.requester_id,)
    people = [p for p in (db.get(Person, int(i)) for i in ids) if p is not None and p.active]
    comment = db.get(Comment, payload.get("comment_id")) if notification == "reply" else None
    if notification == "reply" and (comment is None or comment.internal):
        return []
    author = db.get(Person, comment.author_id) if comment is not None else None
    suggested = articles(ticket) if articles is not None and notification == "acknowledgement" and people else []
    due = datetime.fromisoformat(payload["due"]) if isinstance(payload.get("due"), str) else None
    since = payload.get("waiting_since")
    since = datetime.fromisoformat(since) if isinstance(since, str) and since else None
    extra = {"comment": comment, "author": author, "articles": suggested, "reason": payload.get("reason"),
             "target": payload.get("target"), "due": _when(due, setting), "kind": payload.get("kind"),
             "since": _when(since, setting),
             "closes_on": _closes_on(ticket, setting) if notification == "resolved" else None,
             "rule": payload.get("rule")}
    env = env or environment(setting.instance_path)
    template = _rule_template(env, setting, payload) if notification == "rule_notice" else None
    return [_render(env, setting, notification, event_id, ticket, person,
                    {**extra, **_links(setting, notification, ticket, person, at), **(_rule_link(setting, ticket, person)
                                                                          if notification == "rule_notice" else {})}, template=template) for person in people]


def _rule_template(env: Environment, setting: Setting, payload: dict) -> str:
    """Return the templates a rule's notice uses: its own rule_<name> when present (instance first), else rule_notice."""
    name = payload.get("template") or "rule_notice"
    try:
        env.get_template(f"{setting.language}/{name}.txt")
    except TemplateNotFound:  # validated at start-up by its form only: a missing set falls back, the mail still goes
        return "rule_notice"
    return name


def _rule_link(setting: Setting, ticket: Ticket, person: Person) -> dict:
    """A rule's notice links technicians to the desk and everyone else to their portal."""
    page = "desk/tickets" if person.role in STAFF_ROLES else "mes-demandes"
    return {"link": f"{setting.public_url.rstrip('/')}/{page}/{ticket.id}"}


def _closes_on(ticket: Ticket, setting: Setting) -> str | None:
    """Return when a resolved ticket closes by itself (tickets.auto_close), formatted, for the resolved mail."""
    if ticket.resolved_at is None or ticket.status != "resolved" or setting.policies is None:
        return None
    calendar = BusinessCalendar.from_policies(setting.policies)
    return _when(sla.auto_close_due(ticket.resolved_at, setting.policies, calendar), setting, "EEEE d MMMM y")


def _links(setting: Setting, notification: str, ticket: Ticket, person: Person, at: datetime | None) -> dict:
    """Return the signed « C'est résolu » / « Ce n'est pas résolu » links of a resolved mail (issued at the event)."""
    if notification == "closed" and at is not None:
        return survey_link(setting, ticket, person, at)
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
            "sla.breached": "sla_breached", "sla.lead_notified": "sla_breached",
            "ticket.delay_announced": "delay_announced", "ticket.waiting_reminder": "waiting_reminder",
            "rule.notice": "rule_notice"}.get(name)


def _render(env: Environment, setting: Setting, notification: str, event_id: int, ticket: Ticket, person: Person,
            extra: dict, template: str | None = None) -> Mail:
    lang, domain = setting.language, setting.smtp.domain
    page = "desk/tickets" if notification in TO_STAFF else "mes-demandes"
    link = f"{setting.public_url.rstrip('/')}/{page}/{ticket.id}"
    dates = expected_dates(ticket, setting)
    values = {"ticket": ticket, "person": person, "link": link, "lang": lang, "expected": dates,
              "first_response_due": dates["first_response"]["due"], "resolution_due": dates["resolution"]["due"],
              **extra}
    template = template or notification
    subject = " ".join(env.get_template(f"{lang}/{template}.subject.txt").render(values).split())
    return Mail(notification, person.name, person.email, subject,
                env.get_template(f"{lang}/{template}.txt").render(values),
                env.get_template(f"{lang}/{template}.html").render(values),
                message_id(setting.secret_key, domain, f"{event_id}-{notification}-{person.id}", ticket.id),
                f"<guichet.ticket.{ticket.id}@{domain}>",
                reply_address(setting.secret_key, parseaddr(setting.smtp.sender)[1], ticket.id))


def expected_dates(ticket: Ticket, setting: Setting) -> dict[str, dict]:
    """Return the dates the requester is told to expect, formatted: the announcement in force, else the SLA due."""
    db = object_session(ticket)  # the ticket's own session: the one the mail is composed in
    in_force = delays.current(db, ticket.id) if db is not None else {}
    return {kind: {"due": _when(e.due, setting), "announced": e.announced, "reason": e.reason,
                   "announced_at": _when(e.announced_at, setting, "d MMMM y")}
            for kind, e in delays.expected(ticket, in_force).items()}


def _when(moment, setting: Setting, pattern: str = "EEEE d MMMM y, HH:mm") -> str | None:
    if moment is None:
        return None
    return format_datetime(moment, pattern, tzinfo=setting.tz, locale=setting.language)


def signed_link(setting: Setting, ticket: Ticket, person: Person, action: str, at: datetime) -> str:
    """Return the full address of a signed, expiring link for one person's action on one ticket."""
    token = links.sign(setting.secret_key, ticket.id, person.id, action, at)
    return f"{setting.public_url.rstrip('/')}/courriel/{token}"


def survey_link(setting: Setting, ticket: Ticket, person: Person, at: datetime) -> dict:
    """Return the signed survey link of a closed mail, when the survey is on and the ticket was worked on."""
    policies = setting.policies
    if policies is None or not policies.satisfaction_enabled or is_merged(ticket) or ticket.satisfaction_rating:
        return {}
    return {"rate_link": signed_link(setting, ticket, person, "rate", at)}


def audience_mails(db: Session, setting: Setting, env: Environment, event_id: int, name: str, ticket_id: int | None,
                   payload: dict, at: datetime | None) -> list[Mail]:
    """Return the mails of an event to people other than the requester: approvers, a major incident's audience."""
    ticket = db.get(Ticket, ticket_id) if ticket_id is not None and setting.policies is not None else None
    if ticket is None or at is None:
        return []
    policies, base = setting.policies, setting.public_url.rstrip("/")
    if name == "ticket.created":
        requester = db.get(Person, ticket.requester_id)
        return [_render(env, setting, "approval_requested", event_id, ticket, person, {
            "link": f"{base}/mes-demandes/a-valider", "requester": requester,
            "approve_link": signed_link(setting, ticket, person, "approve", at),
            "reject_link": signed_link(setting, ticket, person, "reject", at)})
            for person in mail_audience.approvers_to_ask(db, policies, ticket)]
    if name == "incident.published" and _newly_major(db, event_id, ticket.id, payload):
        notification, people = "major_incident_opened", mail_audience.incident_audience(db, policies, ticket)
    elif name == "ticket.resolved" and ticket.major:  # the requester has the resolved mail, with its links
        notification = "major_incident_resolved"
        people = [p for p in mail_audience.incident_audience(db, policies, ticket) if p.id != ticket.requester_id]
    else:
        return []
    mails = []
    for person in people:  # technicians read the ticket in the desk; employees find the incident in their portal
        staff = mail_audience.is_staff_of(policies, ticket, person)
        link = f"{base}/desk/tickets/{ticket.id}" if staff else f"{base}/mes-demandes"
        mails.append(_render(env, setting, notification, event_id, ticket, person, {"link": link, "staff": staff}))
    return mails


def _newly_major(db: Session, event_id: int, ticket_id: int, payload: dict) -> bool:
    """True when this publication declares the major incident, which the ticket's previous one did not (an edit of
    the public text resends nothing)."""
    if not (payload.get("published") and payload.get("major")):
        return False
    previous = db.scalar(select(OutboxEvent.payload).where(
        OutboxEvent.ticket_id == ticket_id, OutboxEvent.name == "incident.published", OutboxEvent.id < event_id)
        .order_by(OutboxEvent.id.desc()).limit(1))
    if previous is None:
        return True
    before = json.loads(previous)
    return not (before.get("published") and before.get("major"))
