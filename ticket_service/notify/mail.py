"""The ``mail`` outbox subscriber: each committed event that notifies someone is rendered and sent over SMTP."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from search import SearchError

from ticket_service.jobs.outbox import Message, Postpone, subscriber
from ticket_service.notify import smtp
from ticket_service.notify.compose import Articles, Mail, Setting, mails_for
from ticket_service.store import faults

NAME = "mail"  # keys the outbox delivery records: renaming it would send every past event again
SUGGESTED = 2  # articles in the acknowledgement
QUERY_CHARS = 200  # as much of the request as the suggestion API reads


def setting(app) -> Setting:
    """Return what composing needs from this app."""
    from ticket_service.runtime import get_ctx

    with app.app_context():
        ctx = get_ctx()
        tz = ctx.calendar.tz
    config = app.config
    return Setting(smtp.load(config), config["SECRET_KEY"], str(config["PUBLIC_URL"]), tuple(config["LANGUAGES"])[0],
                   Path(app.instance_path), tz, ctx.policies)


def suggested_articles(app) -> Articles:
    """Return the function giving a ticket's two best employee articles (none when the index is missing or abstains)."""
    base = str(app.config["PUBLIC_URL"]).rstrip("/")

    def articles(ticket) -> list[dict]:
        suggester = app.extensions.get("guichet.suggester")
        text = " ".join(f"{ticket.title} {ticket.description}".split())[:QUERY_CHARS]
        if suggester is None:
            return []
        try:
            answer = suggester.suggest(text, lang=None, audience="employees", k=SUGGESTED)
        except SearchError:  # no index yet: the acknowledgement goes without suggestions
            return []
        return [{"title": s["title"], "url": base + s["url"] if s["url"].startswith("/") else s["url"]}
                for s in answer["suggestions"] if s["url"]]
    return articles


def compose(app, message: Message, config: Setting | None = None) -> list[Mail]:
    """Return the mails one outbox event sends, read from the database as it is now."""
    from ticket_service.runtime import get_database

    with get_database(app).reader() as db:
        return mails_for(db, config or setting(app), message.id, message.name, message.ticket_id, message.payload,
                         articles=suggested_articles(app), at=message.at)


@subscriber(NAME)
def deliver(message: Message) -> None:
    """Send the event's mails; with SMTP_HOST unset, leave them pending (Postpone) so nothing is lost."""
    app = current_app._get_current_object()
    config = setting(app)
    mails = compose(app, message, config)
    if not mails:
        return  # an event that notifies nobody is done, SMTP or not
    if not config.smtp.host:
        raise Postpone("SMTP_HOST is not set")
    for mail in mails:  # a redelivery sends again under the same Message-ID (readers dedupe)
        smtp.send(config.smtp, mail.message(config.smtp.sender, message.at))
        faults.crash("mail.after_send")  # the crash test (D-07) dies here: sent, not yet marked
