"""``guichet demo``: the demo company's data."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def demo():
    """Demo data."""


@demo.command("load")
def demo_load():
    """Load « Ferrand & Associés »: people, groups and a month of tickets (idempotent)."""
    from ticket_service.actions.demo import load
    from ticket_service.runtime import get_ctx, get_database

    app = load_app()
    with app.app_context(), get_database(app).writer() as session:
        result = load(session, get_ctx(), app.config["DEMO_PASSWORD"], app.config["PASSWORD_HASH_METHOD"])
    click.echo(f"Demo: {result['people']} people, {result['tickets_created']} new tickets. "
               f"Sign in e.g. as julie.martin@ferrand-associes.fr (technicienne N1) or claire.rousseau@ferrand-associes.fr "
               f"with the password from DEMO_PASSWORD.")
