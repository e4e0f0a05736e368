"""``GET /api/v1/metrics/deflection``: the deflection report (technicians and admins), each figure with its definition."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app, jsonify

from ticket_service.http.api.common import doc, env
from ticket_service.http.api.events import bp
from ticket_service.http.errors import ApiError
from ticket_service.http.validation import Field, read_query
from ticket_service.reports.deflection import deflection_report, to_json
from ticket_service.store.models import UTC

QUERY = {
    "since": Field("str", max_len=10, description="First day (YYYY-MM-DD, UTC); default: 30 days before `until`."),
    "until": Field("str", max_len=10, description="Last day included (YYYY-MM-DD, UTC); default: now."),
    "window_hours": Field("int", minimum=1, maximum=720, description="Ticket window after a session (default 24)."),
}


def _day(args: dict, name: str) -> datetime | None:
    if name not in args:
        return None
    try:
        return datetime.combine(datetime.strptime(args[name], "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        raise ApiError(422, "invalid_fields", "Date invalide.", {name: "date attendue (AAAA-MM-JJ)"}) from None


@bp.get("/metrics/deflection")
@doc("Deflection figures from raw events and tickets (DESIGN §3.5): confirmed, potential and no deflection within "
     "the window, rates, self-service score, per-article funnel, by category and week, unsuccessful searches.",
     query=QUERY)
def deflection_metrics():
    db, ctx, user = env()
    args = read_query(QUERY)
    since, until = _day(args, "since"), _day(args, "until")
    if until is not None:
        until += timedelta(days=1)
    if since is not None and until is not None and since >= until:
        raise ApiError(422, "invalid_fields", "Période vide.", {"since": "doit précéder until"})
    window = args.get("window_hours", current_app.config["DEFLECTION_WINDOW_HOURS"])
    return jsonify(to_json(deflection_report(db, since=since, until=until, window_hours=float(window))))


from ticket_service.http.api import metrics_panels  # noqa: E402,F401  (GET /metrics/<panel>, after /deflection)
