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
    """Blank typed query texts and feedback reasons older than the retention (the job runner also does it daily)."""
    from ticket_service.jobs import run_now

    app = load_app()
    days = int(app.config["QUERY_RETENTION_DAYS"]) if days is None else days
    touched = run_now(app, "events.purge", {"days": days})  # the job the worker runs daily
    click.echo(f"Purged the texts of {touched} event(s) older than {days} day(s).")
