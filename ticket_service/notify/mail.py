"""The ``mail`` outbox subscriber: each committed event that notifies someone is rendered and sent over SMTP."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from ticket_service.jobs.outbox import Message, Postpone, subscriber
from ticket_service.notify import smtp
from ticket_service.notify.compose import Mail, Setting, mails_for

NAME = "mail"  # keys the outbox delivery records: renaming it would send every past event again


def setting(app) -> Setting:
    """Return what composing needs from this app."""
    from ticket_service.runtime import get_ctx

    with app.app_context():
        tz = get_ctx().calendar.tz
    config = app.config
    return Setting(smtp.load(config), config["SECRET_KEY"], str(config["PUBLIC_URL"]), tuple(config["LANGUAGES"])[0],
                   Path(app.instance_path), tz)


def compose(app, message: Message) -> list[Mail]:
    """Return the mails one outbox event sends, read from the database as it is now."""
    from ticket_service.runtime import get_database

    with get_database(app).reader() as db:
        return mails_for(db, setting(app), message.id, message.name, message.ticket_id, message.payload)


@subscriber(NAME)
def deliver(message: Message) -> None:
    """Send the event's mails; with SMTP_HOST unset, leave it pending (Postpone) so nothing is lost."""
    app = current_app._get_current_object()
    config = setting(app)
    if not config.smtp.host:
        raise Postpone("SMTP_HOST is not set")
    for mail in compose(app, message):  # a redelivery sends again under the same Message-ID (readers dedupe)
        smtp.send(config.smtp, mail.message(config.smtp.sender, message.at))
