"""``/pilotage``: the team lead's dashboard (admins: every group; technicians: their own, read-only), from reports/."""

from __future__ import annotations

import functools
import secrets
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import ngettext

from ticket_service.actions.problems import create_problem
from ticket_service.auth.identity import current_user
from ticket_service.domain.deflection import ARTICLE_COLUMNS
from ticket_service.domain.vocabulary import PRIORITIES, REQUEST_TYPES, STAFF_ROLES
from ticket_service.http.api.metrics_panels import download, presentation
from ticket_service.http.validation import parse_id
from ticket_service.http.web import articles as kb
from ticket_service.http.web.common import back_to, done, env, form_text, signed_in
from ticket_service.http.web.pilotage_texts import column_labels, row_label, table_labels
from ticket_service.reports import knowledge_panels as knowledge
from ticket_service.reports.deflection import ARTICLE_LABELS
from ticket_service.reports.export import LABELS, definition, render_csv
from ticket_service.reports.options import OptionError, read_options, visible_groups
from ticket_service.reports.panel_result import panels as served
from ticket_service.reports.panels import PANELS
from ticket_service.reports.period import NAMES
from ticket_service.settings import dashboard_cache_age, dashboard_snapshots, deflection_window, knowledge_cache_age

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


def _options(args):
    """Return (period, filters, None) of the request, or (None, None, the fault)."""
    _db, ctx, user = env()
    try:
        period, filters = read_options(args, ctx.policies, ctx.clock.now(), visible_groups(user, ctx.policies))
    except OptionError as exc:
        return None, None, f"{exc.field} : {exc}"
    return period, filters, None


def _window() -> timedelta:
    return deflection_window(current_app.config)


def _results(names: list[str], args):
    """Compute the named panels (dashboard and knowledge ones); (result, knowledge panels, error)."""
    db, ctx, _user = env()
    period, filters, error = _options(args)
    if error:
        return None, [], error
    config = current_app.config
    result, panels = served(db, ctx.policies, ctx.calendar, names, period, filters, ctx.clock.now(), compare=True,
                            window=_window(), max_age=dashboard_cache_age(config),
                            knowledge_age=knowledge_cache_age(config), snapshot=dashboard_snapshots(config))
    return result, panels, None


def desk_link(ids) -> str | None:
    """Return the desk queue filtered to these tickets, or None when there are none."""
    ids = list(ids)[:DESK_IDS_MAX]
    return url_for("desk.queue", queue="all", ids=",".join(map(str, ids))) if ids else None


def bars(rows, table: str = "") -> list[dict]:
    """Return the bar geometry of a chart: each row's width in proportion to the largest value."""
    numeric = [r["value"] for r in rows if isinstance(r.get("value"), (int, float))]
    top = max(numeric, default=0) or 1
    return [{"label": row_label(table, r), "value": r.get("value"), "width": round(BAR_WIDTH * (r.get("value") or 0) / top, 1)
             if isinstance(r.get("value"), (int, float)) else 0, "y": i * 24} for i, r in enumerate(rows)]


def _clock_time(moment: str, zone) -> str:
    """Return an ISO instant as HH:MM in the organisation's time zone (when a kept knowledge panel was computed)."""
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(zone).strftime("%H:%M")


def _instant(moment: str) -> datetime:
    """Return an ISO instant of a result (« 2026-12-04T19:31:00Z ») as an aware datetime, for the « when » filter."""
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def _day(text: str) -> str:
    return format_date(date.fromisoformat(text), "long")


@bp.get("")
@staff_view
def dashboard():
    """Show every panel for the chosen period and filters, with the previous period beside each figure."""
    _db, ctx, user = env()
    args = {k: v for k, v in request.args.items() if k in KEPT}
    result, extra, error = _results([*PANELS, *knowledge.KNOWLEDGE_PANELS], args)
    p = presentation(ctx)
    groups = visible_groups(user, ctx.policies)
    hours = _window().total_seconds() / 3600

    def describe(key: str) -> str:
        return knowledge.definition(key, p, hours) if key in knowledge.DEFINITIONS else definition(key, p)

    titles = {a.id: a.title for a in kb.catalogue()}
    return render_template(
        "pilotage/dashboard.html", result=result, knowledge=extra, args=args, error=error, periods=NAMES,
        labels={**LABELS, **knowledge.LABELS}, definition=describe, desk_link=desk_link, bars=bars,
        BAR_WIDTH=BAR_WIDTH, day=_day, instant=_instant,
        clock_time=functools.partial(_clock_time, zone=ctx.policies.organisation.zone), table_labels=table_labels(), column_labels=column_labels(), row_label=row_label,
        article_columns=list(ARTICLE_COLUMNS), article_texts=ARTICLE_COLUMNS, article_labels=ARTICLE_LABELS, article_titles=titles,
        groups={g: ctx.policies.groups[g].name for g in (groups if groups is not None else ctx.policies.groups)},
        providers={g.id: g.name for g in ctx.policies.groups.values() if g.provider},
        categories=ctx.policies.categories, types=REQUEST_TYPES, priorities=PRIORITIES, read_only=groups is not None,
        csv_query={k: v for k, v in args.items() if v}, period_labels=_period_labels(),
        form_key=secrets.token_urlsafe(16)), 400 if error else 200


@bp.get("/<string:panel>.csv")
@staff_view
def export(panel: str):
    """Export one panel as formula-safe CSV in the page's language."""
    if panel not in PANELS and panel not in knowledge.KNOWLEDGE_PANELS:
        abort(404)
    _db, ctx, _user = env()
    result, extra, error = _results([panel], {k: v for k, v in request.args.items() if k in KEPT})
    if error:
        abort(400)
    p = presentation(ctx)
    body = knowledge.render_csv(result, extra[0], p) if extra else render_csv(result, p)
    return Response("\ufeff" + body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="pilotage-{panel}-{result["period"]["first_day"]}.csv"'})


@bp.get("/<string:panel>.xlsx")
@staff_view
def export_xlsx(panel: str):
    """Export one panel as a formula-safe workbook (a sheet per table) in the page's language."""
    if panel not in PANELS and panel not in knowledge.KNOWLEDGE_PANELS:
        abort(404)
    _db, ctx, _user = env()
    result, extra, error = _results([panel], {k: v for k, v in request.args.items() if k in KEPT})
    if error:
        abort(400)
    result["panels"] += extra  # download() finds a knowledge panel as the first one
    return download(panel, result, "xlsx", presentation(ctx))


@bp.post("/probleme")
@staff_view
def problem():
    """« Créer un problème » from a cluster of recurring incidents (administrators: a technician's view is read-only)."""
    db, ctx, user = env()
    args = {k: v for k, v in request.form.items() if k in KEPT and v}
    back_to("pilotage.dashboard", **args, _anchor="panel-recurring")
    if visible_groups(user, ctx.policies) is not None:
        abort(403)
    ids = [parse_id(i) for i in request.form.getlist("ticket_ids")]
    if not ids or None in ids:
        abort(400)
    created = create_problem(db, ctx, user, ids, form_text("title", 200) or None, key=form_text("key", 64) or None)
    n = len(set(ids))
    return done(ngettext("Problème #%(id)s créé ; %(num)s incident y est lié.",
                         "Problème #%(id)s créé ; %(num)s incidents y sont liés.", n, id=created.id),
                "desk_ticket.show", ticket_id=created.id)


def _period_labels() -> dict[str, str]:
    return {"this_month": _("Ce mois-ci"), "last_month": _("Le mois dernier"), "30d": _("30 derniers jours"),
            "90d": _("90 derniers jours"), "custom": _("Dates choisies")}
