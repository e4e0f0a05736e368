"""The « Webhooks » admin page: endpoints of helpdesk.yml, the delivery log, « Renvoyer » and re-enabling (CSRF)."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ticket_service.actions.webhooks import enable_endpoint, redeliver
from ticket_service.http.web.admin import admin_only, bp
from ticket_service.http.web.common import back_to, done, env
from ticket_service.notify.webhooks import LABELS, config
from ticket_service.store.models import OutboxEvent, WebhookDelivery, WebhookEndpointState

SHOWN = 200  # the latest deliveries; older ones stay in the table
STATUS = {"pending": _l("en attente"), "delivered": _l("livré"), "failed": _l("en échec, nouvel essai prévu"),
          "dead": _l("abandonné")}


@bp.get("/webhooks")
@admin_only
def webhooks():
    """List the configured endpoints (on or off) and the latest deliveries with their tries and last outcome."""
    db, ctx, user = env()
    states = {s.name: s for s in db.scalars(select(WebhookEndpointState))}
    deliveries = db.execute(select(WebhookDelivery, OutboxEvent).join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
                            .order_by(WebhookDelivery.id.desc()).limit(SHOWN)).all()
    return render_template("admin/webhooks.html", endpoints=config(current_app).endpoints, states=states,
                           deliveries=deliveries, statuses=STATUS, labels=LABELS)


@bp.post("/webhooks/envois/<int:delivery_id>/renvoyer")
@admin_only
def redeliver_webhook(delivery_id: int):
    """Send a delivery again at the next run, under the same webhook-id."""
    db, ctx, user = env()
    back_to("admin.webhooks")
    redeliver(db, ctx, user, delivery_id)
    return done(_("Envoi remis en file : il part au prochain passage de la livraison."), "admin.webhooks")


@bp.post("/webhooks/<name>/reactiver")
@admin_only
def enable_webhook(name: str):
    """Turn an endpoint back on after its receiver answered 410."""
    db, ctx, user = env()
    back_to("admin.webhooks")
    enable_endpoint(db, ctx, user, name)
    return done(_("Webhook réactivé : les envois retenus partent au prochain passage."), "admin.webhooks")
