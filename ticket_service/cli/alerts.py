"""``guichet alerts token``: give a monitoring source its token (shown once), revoke it, list the sources."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app
from ticket_service.domain.errors import Conflict, Invalid, NotFound


@click.group()
def alerts():
    """Monitoring alerts → tickets (POST /api/v1/alerts, helpdesk.yml `alerts:`, docs/canaux-alertes.md)."""


@alerts.group("token")
def token():
    """The tokens of the alert sources (one per monitoring system)."""


@token.command("add")
@click.argument("name")
def token_add(name: str):
    """Create a source NAME (or re-arm a revoked one) and print its token once: only its hash is stored."""
    from ticket_service.actions.alerts import add_source
    from ticket_service.runtime import get_ctx, get_database

    app = load_app()
    with app.app_context(), get_database(app).writer() as session:
        try:
            created = add_source(session, name, get_ctx().clock.now())
        except Invalid:
            raise click.ClickException(f"{name!r}: a source name is 1 to 63 of a-z, 0-9, - and _.") from None
        except Conflict:
            raise click.ClickException(
                f"{name} already has a token: `guichet alerts token revoke {name}` first.") from None
    click.echo(created.token)
    click.echo(f"Token of alert source {name}: shown once, put it in the monitoring system's secret store "
               "(Authorization: Bearer …).", err=True)


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str):
    """Withdraw a source's token: its next alert is refused (401); `token add NAME` gives it a new one."""
    from ticket_service.actions.alerts import revoke_source
    from ticket_service.runtime import get_ctx, get_database

    app = load_app()
    with app.app_context(), get_database(app).writer() as session:
        try:
            revoke_source(session, name, get_ctx().clock.now())
        except NotFound:
            raise click.ClickException(f"No active alert source {name}: see `guichet alerts token list`.") from None
    click.echo(f"Revoked the token of {name}.")


@token.command("list")
def token_list():
    """List the sources: active or revoked, since when, and how many of their alert tickets are open."""
    from sqlalchemy import func, select

    from ticket_service.runtime import get_database
    from ticket_service.store.models import AlertSource, AlertTicket

    app = load_app()
    with get_database(app).reader() as session:
        open_counts = dict(session.execute(select(AlertTicket.source_id, func.count()).where(AlertTicket.open == 1)
                                           .group_by(AlertTicket.source_id)).all())
        sources = list(session.scalars(select(AlertSource).order_by(AlertSource.name)))
    if not sources:
        click.echo("No alert source: `guichet alerts token add NAME` creates one.")
    for source in sources:
        state = (f"revoked {source.revoked_at:%Y-%m-%d %H:%M} UTC" if source.revoked_at
                 else f"active since {source.created_at:%Y-%m-%d %H:%M} UTC")
        click.echo(f"{source.name:<24} {state:<32} open alert tickets: {open_counts.get(source.id, 0)}")
