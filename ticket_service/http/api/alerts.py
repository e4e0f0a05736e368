"""POST /api/v1/alerts: a monitoring source's alerts become tickets (its token opens this door and no other)."""

from __future__ import annotations

from flask import jsonify

from ticket_service.actions import alerts as actions
from ticket_service.channels import alerts as channel
from ticket_service.http.api import bp
from ticket_service.http.api.common import doc
from ticket_service.http.validation import read_json
from ticket_service.runtime import get_ctx, get_session


@bp.post("/alerts")
@doc("Receive monitoring alerts (Alertmanager webhook v4, or the generic form) with a source's bearer token "
     "(`guichet alerts token add NAME`): one open ticket per fingerprint; repeats and recoveries add notes.",
     raw_body=channel.body_schema,
     responses={200: "absorbed: one result per alert (created, repeated, recovered, resolved, ignored)",
                400: "unreadable JSON", 401: "missing, unknown or revoked source token",
                413: "body over ALERTS_MAX_JSON_BYTES", 422: "invalid alert"})
def alerts_create():
    db, ctx = get_session(), get_ctx()  # never current_user(): a source is not a person
    source = channel.authenticate(db)
    batch = channel.parse(read_json("ALERTS_MAX_JSON_BYTES"))
    outcomes = actions.receive(db, ctx, source.id, batch)
    return jsonify(source=source.name, received=len(batch), items=[o.json() for o in outcomes])
