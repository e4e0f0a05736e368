"""``guichet tickets``: ticket housekeeping."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def tickets():
    """Ticket housekeeping."""


@tickets.command("autoclose")
def tickets_autoclose():
    """Close resolved tickets left unanswered past auto_close_business_days (run it hourly from cron)."""
    from ticket_service.runtime import get_ctx
    from ticket_service.runtime import get_database
    from ticket_service.domain.transitions import auto_close

    app = load_app()
    with app.app_context(), get_database(app).write() as session:
        closed = auto_close(session, get_ctx())
    click.echo(f"Closed {len(closed)} ticket(s).")
