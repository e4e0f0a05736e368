"""``POST /api/v1/events``: batched help-session events (allow-list schema, dedup by event id, rate limit)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request

from ticket_service.actions import help
from ticket_service.auth.rate_limit import shared_limits
from ticket_service.http.api import event_schema
from ticket_service.http.api.common import doc, env
from ticket_service.http.validation import read_json

# One blueprint for the help-session routes (events, metrics, self-resolution, expected response).
bp = Blueprint("help", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    """Nothing to attach: the event limit is counted in the database (shared by every process)."""


@bp.post("/events")
@doc("Record help-session events in a batch (suggestions_shown, article_opened, solved, ticket_created, page_view, "
     "page_feedback, banner_joined). Events already received (same id) are ignored; rate-limited per session.",
     body=event_schema.BATCH, responses={202: "accepted (duplicates counted apart)", 422: "an event breaks the schema",
                                   429: "too_many_events (Retry-After)"})
def events_create():
    db, ctx, user = env()
    session_id, batch = event_schema.parse_batch(read_json(), int(current_app.config["EVENTS_MAX_BATCH"]))
    shared_limits(current_app._get_current_object()).take_events(db, session_id, request.remote_addr, len(batch))
    accepted, duplicates = help.record_events(db, ctx, session_id, batch, user)
    return jsonify(accepted=accepted, duplicates=duplicates), 202
