"""``guichet tickets``: ticket housekeeping."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def tickets():
    """Ticket housekeeping."""


@tickets.command("autoclose")
def tickets_autoclose():
    """Close resolved tickets left unanswered past auto_close_business_days (the job runner also does it)."""
    from ticket_service.jobs import run_now

    closed = run_now(load_app(), "tickets.auto_close")  # the job the worker runs every JOB_INTERVALS seconds
    click.echo(f"Closed {len(closed)} ticket{'' if len(closed) == 1 else 's'}.")
