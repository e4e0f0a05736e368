"""The ``guichet`` command: one click group, one module per concern."""

from __future__ import annotations

import click
from flask import Flask

from ticket_service.cli import database, demo, doctor, events, importing, jobs, kb, learning, report, serve, tickets
from ticket_service.cli import init, people, users
from ticket_service.cli import triage as triage_cli
from ticket_service.cli import webhooks as webhooks_cli
from ticket_service.cli import policies as policies_cli
from ticket_service.cli import directory as directory_cli
from ticket_service.cli import alerts as alerts_cli
from ticket_service.cli import mail as mail_cli

GROUPS = (kb.kb, database.db, demo.demo, users.users, tickets.tickets, learning.learning, report.report,
          events.events, jobs.jobs, importing.import_, webhooks_cli.webhooks, people.people,
          policies_cli.policies, directory_cli.directory,
          alerts_cli.alerts, mail_cli.mail,
          triage_cli.triage)


@click.group()
def main():
    """Guichet: the IT helpdesk's command line."""


for _command in (*GROUPS, serve.serve, jobs.worker, doctor.doctor, init.init):
    main.add_command(_command)


def init_app(app: Flask) -> None:
    """Register the same commands on the app, so ``flask --app ticket_service`` offers them too."""
    for command in GROUPS:
        app.cli.add_command(command)
