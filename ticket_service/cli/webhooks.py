"""``guichet webhooks``: make a signing secret, list the endpoints and the delivery log (the page is /admin/webhooks)."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app

STATUSES = ("pending", "delivered", "failed", "dead")


@click.group()
def webhooks():
    """Outbound webhooks (helpdesk.yml `webhooks:`, docs/canaux-webhooks.md)."""


@webhooks.command("secret")
def webhooks_secret():
    """Print a new random signing secret (whsec_…): put it in the endpoint's secret_env variable, never in git."""
    import base64
    import secrets

    click.echo("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())


@webhooks.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only deliveries in this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def webhooks_list(status, limit):
    """List the endpoints (on or off), then the latest deliveries with their tries and last outcome."""
    from sqlalchemy import select

    from ticket_service.notify.webhooks import config
    from ticket_service.runtime import get_database
    from ticket_service.store.models import OutboxEvent, WebhookDelivery, WebhookEndpointState

    app = load_app()
    query = (select(WebhookDelivery, OutboxEvent.name).join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
             .order_by(WebhookDelivery.id.desc()).limit(limit))
    if status:
        query = query.where(WebhookDelivery.status == status)
    with get_database(app).reader() as session:
        off = {s.name: s for s in session.scalars(select(WebhookEndpointState)) if s.disabled_at is not None}
        rows = session.execute(query).all()
    endpoints = config(app).endpoints
    if not endpoints:
        click.echo("No webhook configured (helpdesk.yml `webhooks:`).")
    for endpoint in endpoints:
        state = f"OFF since {off[endpoint.name].disabled_at:%Y-%m-%d %H:%M} UTC" if endpoint.name in off else "on"
        click.echo(f"{endpoint.name:<20} {state:<28} {endpoint.format:<8} {endpoint.url}  "
                   f"[{', '.join(endpoint.events)}]")
    if not rows:
        click.echo("No deliveries.")
        return
    click.echo(f"\n{'id':>7}  {'endpoint':<16} {'event':<24} {'status':<9} tries  http  last error")
    for delivery, event_name in rows:
        click.echo(f"{delivery.id:>7}  {delivery.endpoint:<16} {event_name:<24} {delivery.status:<9} "
                   f"{delivery.attempts:<5}  {delivery.last_status or '—':<4}  {(delivery.last_error or '')[:80]}"
                   .rstrip())
