"""The ``guichet`` command: one click group, one module per concern."""

from __future__ import annotations

import click
from flask import Flask

from ticket_service.cli import database, demo, events, importing, jobs, kb, learning, report, serve, tickets, users
from ticket_service.cli import triage as triage_cli
from ticket_service.cli import webhooks as webhooks_cli

GROUPS = (kb.kb, database.db, demo.demo, users.users, tickets.tickets, learning.learning, report.report,
          events.events, jobs.jobs, importing.import_, webhooks_cli.webhooks,
          triage_cli.triage)


@click.group()
def main():
    """Guichet: the IT helpdesk's command line."""


for _command in (*GROUPS, serve.serve, jobs.worker):
    main.add_command(_command)


def init_app(app: Flask) -> None:
    """Register the same commands on the app, so ``flask --app ticket_service`` offers them too."""
    for command in GROUPS:
        app.cli.add_command(command)
