"""``guichet events``: help-session events."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def events():
    """Help-session events."""


@events.command("purge")
@click.option("--days", type=click.IntRange(0, 3650), help="Retention in days (default: QUERY_RETENTION_DAYS).")
def events_purge(days):
    """Blank typed query texts and feedback reasons older than the retention (run it daily from cron)."""
    from ticket_service.runtime import get_database
    from ticket_service.domain.help_events import purge

    app = load_app()
    days = int(app.config["QUERY_RETENTION_DAYS"]) if days is None else days
    with get_database(app).write() as session:
        touched = purge(session, days)
    click.echo(f"Purged the texts of {touched} event(s) older than {days} day(s).")
