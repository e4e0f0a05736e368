"""``guichet users``: people and API tokens."""

from __future__ import annotations

import click

from ticket_service.actions import people
from ticket_service.cli.app import load_app
from ticket_service.domain.errors import Conflict, NotFound
from ticket_service.domain.vocabulary import ROLES


@click.group()
def users():
    """People and API tokens."""


@users.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="employee", show_default=True)
@click.option("--site")
@click.password_option(help="Password (prompted when omitted).")
def users_add(email: str, name: str, role: str, site: str | None, password: str):
    """Create a local account (technicians' levels and groups come from helpdesk.yml)."""
    from ticket_service.auth.identity import hash_password
    from ticket_service.runtime import get_database

    app = load_app()
    with app.app_context(), get_database(app).writer() as session:
        try:
            people.create_person(session, email, name, role, hash_password(password), site=site)
        except Conflict:
            raise click.ClickException(f"{email} already exists: use `guichet users disable` to remove access.") from None
    click.echo(f"Created {email} ({role}).")


@users.command("password")
@click.argument("email")
@click.password_option(help="New password (prompted when omitted).")
def users_password(email: str, password: str):
    """Set a person's local password (technicians created by `guichet init` have none yet)."""
    from ticket_service.auth.identity import hash_password
    from ticket_service.runtime import get_database

    app = load_app()
    with app.app_context(), get_database(app).writer() as session:
        person = people.find_by_email(session, email)
        if person is None:
            raise click.ClickException(f"{email} is not known: `guichet users add` creates it.")
        people.renew_password_hash(session, person, hash_password(password))
    click.echo(f"Password set for {email}.")


@users.command("disable")
@click.argument("email")
def users_disable(email: str):
    """Disable an account and end all its sessions and tokens at once."""
    from ticket_service.runtime import get_database

    app = load_app()
    with get_database(app).writer() as session:
        try:
            people.disable_person(session, email)
        except NotFound:
            raise click.ClickException(f"No account {email}: check the address with your directory.") from None
    click.echo(f"Disabled {email}; its sessions and API tokens no longer work.")


@users.command("token")
@click.argument("email")
@click.option("--name", default="intégration", show_default=True, help="What the token is for.")
def users_token(email: str, name: str):
    """Create an API token for an integration (shown once; only its hash is stored)."""
    from ticket_service.auth.identity import hash_token, new_api_token
    from ticket_service.runtime import get_database

    app = load_app()
    token = new_api_token()
    with get_database(app).writer() as session:
        try:
            people.issue_token(session, email, hash_token(token), name)
        except NotFound:
            raise click.ClickException(f"No active account {email}: create it with `guichet users add`.") from None
    click.echo(token)
