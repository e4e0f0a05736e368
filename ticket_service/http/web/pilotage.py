"""``/pilotage``: the team lead's dashboard (admins: every group; technicians: their own, read-only), from reports/."""

from __future__ import annotations

import functools

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from ticket_service.auth.identity import current_user
from ticket_service.domain.vocabulary import PRIORITIES, REQUEST_TYPES, STAFF_ROLES
from ticket_service.http.api.metrics_panels import presentation
from ticket_service.http.web.common import env, signed_in
from ticket_service.reports.export import LABELS, definition, render_csv
from ticket_service.reports.options import OptionError, read_options, visible_groups
from ticket_service.reports.panels import PANELS, compute
from ticket_service.reports.period import NAMES

bp = Blueprint("pilotage", __name__, url_prefix="/pilotage")

KEPT = ("period", "since", "until", "group", "provider", "category", "type", "priority", "lang")
DESK_IDS_MAX = 500  # the desk's ids filter takes at most this many
BAR_WIDTH = 320


def staff_view(view):
    """Technicians and administrators; everyone else gets 403."""
    @functools.wraps(view)
    @signed_in
    def wrapped(**kwargs):
        if current_user().role not in STAFF_ROLES:
            abort(403)
        return view(**kwargs)
    return wrapped


def _result(names):
    db, ctx, user = env()
    args = {k: v for k, v in request.args.items() if k in KEPT}
    try:
        period, filters = read_options(args, ctx.policies, ctx.clock.now(), visible_groups(user, ctx.policies))
    except OptionError as exc:
        return None, args, f"{exc.field} : {exc}"
    return compute(db, ctx.policies, ctx.calendar, names, period, filters, ctx.clock.now()), args, None


def desk_link(ids) -> str | None:
    """Return the desk queue filtered to these tickets, or None when there are none."""
    ids = list(ids)[:DESK_IDS_MAX]
    return url_for("desk.queue", queue="all", ids=",".join(map(str, ids))) if ids else None


def bars(rows) -> list[dict]:
    """Return the bar geometry of a chart: each row's width in proportion to the largest value."""
    numeric = [r["value"] for r in rows if isinstance(r.get("value"), (int, float))]
    top = max(numeric, default=0) or 1
    return [{"label": str(r["label"]), "value": r.get("value"), "width": round(BAR_WIDTH * (r.get("value") or 0) / top, 1)
             if isinstance(r.get("value"), (int, float)) else 0, "y": i * 24} for i, r in enumerate(rows)]


@bp.get("")
@staff_view
def dashboard():
    """Show every panel for the chosen period and filters, with the previous period beside each figure."""
    _db, ctx, user = env()
    result, args, error = _result(list(PANELS))
    p = presentation(ctx)
    groups = visible_groups(user, ctx.policies)
    return render_template(
        "pilotage/dashboard.html", result=result, args=args, error=error, periods=NAMES, labels=LABELS,
        definition=lambda key: definition(key, p), desk_link=desk_link, bars=bars, BAR_WIDTH=BAR_WIDTH,
        groups={g: ctx.policies.groups[g].name for g in (groups if groups is not None else ctx.policies.groups)},
        providers={g.id: g.name for g in ctx.policies.groups.values() if g.provider},
        categories=ctx.policies.categories, types=REQUEST_TYPES, priorities=PRIORITIES, read_only=groups is not None,
        csv_query={k: v for k, v in args.items() if v}, period_labels=_period_labels()), 400 if error else 200


@bp.get("/<string:panel>.csv")
@staff_view
def export(panel: str):
    """Export one panel as formula-safe CSV in the page's language."""
    if panel not in PANELS:
        abort(404)
    _db, ctx, _user = env()
    result, _args, error = _result([panel])
    if error:
        abort(400)
    body = render_csv(result, presentation(ctx))
    return Response("\ufeff" + body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="pilotage-{panel}-{result["period"]["first_day"]}.csv"'})


def _period_labels() -> dict[str, str]:
    return {"this_month": _("Ce mois-ci"), "last_month": _("Le mois dernier"), "30d": _("30 derniers jours"),
            "90d": _("90 derniers jours"), "custom": _("Dates choisies")}
