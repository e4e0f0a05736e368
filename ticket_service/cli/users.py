"""``guichet users``: people and API tokens."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def users():
    """People and API tokens."""


@users.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["employee", "approver", "technician", "admin"]), default="employee", show_default=True)
@click.option("--site")
@click.password_option(help="Password (prompted when omitted).")
def users_add(email: str, name: str, role: str, site: str | None, password: str):
    """Create a local account (technicians' levels and groups come from helpdesk.yml)."""
    from sqlalchemy import func, select

    from ticket_service.auth.identity import hash_password
    from ticket_service.runtime import get_database
    from ticket_service.store.models import Person

    app = load_app()
    with app.app_context(), get_database(app).write() as session:
        if session.scalar(select(Person).where(func.lower(Person.email) == email.lower())):
            raise click.ClickException(f"{email} already exists: use `guichet users disable` to remove access.")
        session.add(Person(email=email.lower(), name=name, role=role, site=site, active=True, session_epoch=0,
                           password_hash=hash_password(password)))
    click.echo(f"Created {email} ({role}).")


@users.command("disable")
@click.argument("email")
def users_disable(email: str):
    """Disable an account and end all its sessions and tokens at once."""
    from sqlalchemy import func, select, update

    from ticket_service.runtime import get_database
    from ticket_service.store.models import ApiToken, Person

    app = load_app()
    with get_database(app).write() as session:
        person = session.scalar(select(Person).where(func.lower(Person.email) == email.lower()))
        if person is None:
            raise click.ClickException(f"No account {email}: check the address with your directory.")
        person.active = False
        person.session_epoch += 1
        session.execute(update(ApiToken).where(ApiToken.person_id == person.id).values(revoked=True))
    click.echo(f"Disabled {email}; its sessions and API tokens no longer work.")


@users.command("token")
@click.argument("email")
@click.option("--name", default="intégration", show_default=True, help="What the token is for.")
def users_token(email: str, name: str):
    """Create an API token for an integration (shown once; only its hash is stored)."""
    from sqlalchemy import func, select

    from ticket_service.auth.identity import hash_token, new_api_token
    from ticket_service.runtime import get_database
    from ticket_service.store.models import ApiToken, Person

    app = load_app()
    token = new_api_token()
    with get_database(app).write() as session:
        person = session.scalar(select(Person).where(func.lower(Person.email) == email.lower(), Person.active.is_(True)))
        if person is None:
            raise click.ClickException(f"No active account {email}: create it with `guichet users add`.")
        session.add(ApiToken(person_id=person.id, token_hash=hash_token(token), name=name))
    click.echo(token)
