"""``GET /api/v1/metrics/<panel>``: one dashboard panel (the page's and the CLI's numbers, from reports/)."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from ticket_service.domain.errors import not_found
from ticket_service.domain.vocabulary import PRIORITIES, REQUEST_TYPES
from ticket_service.http.api.common import doc, env
from ticket_service.http.api.events import bp
from ticket_service.http.errors import ApiError
from ticket_service.http.validation import Field, read_query
from ticket_service.reports import knowledge_panels as knowledge
from ticket_service.reports.deflection import Presentation
from ticket_service.reports import xlsx
from ticket_service.reports.export import render_csv, to_json
from ticket_service.reports.options import OptionError, read_options, visible_groups
from ticket_service.reports.panel_result import one_panel
from ticket_service.reports.panels import PANELS
from ticket_service.reports.period import NAMES
from ticket_service.settings import dashboard_cache_age, dashboard_snapshots, deflection_window, knowledge_cache_age

QUERY = {
    "period": Field("enum", choices=NAMES, description="this_month (default), last_month, 30d, 90d or custom."),
    "since": Field("str", max_len=10, description="First day (YYYY-MM-DD, organisation's time zone); makes it custom."),
    "until": Field("str", max_len=10, description="Last day included (YYYY-MM-DD, organisation's time zone)."),
    "group": Field("str", max_len=50, description="Support group id (the ticket's group at the end of the period)."),
    "provider": Field("str", max_len=50, description="Provider group id (tickets that passed through it)."),
    "category": Field("str", max_len=50, description="Category id."),
    "type": Field("enum", choices=REQUEST_TYPES, description="Request type."),
    "priority": Field("enum", choices=PRIORITIES, description="Priority."),
    "compare": Field("bool", description="Add the previous period's values (default true)."),
    "lang": Field("str", max_len=5, description="Language of the labels and definitions (fr, en)."),
    "format": Field("enum", choices=("json", "csv", "xlsx"), description="json (default), csv or xlsx: the "
                    "dashboard's formula-safe exports, numbers and dates in the reader's language."),
}


def presentation(ctx) -> Presentation:
    """Return how the reader reads figures: the organisation's locale for its language, its time zone, the catalogue."""
    from flask_babel import get_locale, get_translations

    organisation = ctx.policies.organisation
    language = str(get_locale()).split("_")[0]
    return Presentation(organisation.locale if language == organisation.language else language, organisation.zone,
                        get_translations())


@bp.get("/metrics/<string:panel>")
@doc("One dashboard panel (" + ", ".join([*PANELS, *knowledge.KNOWLEDGE_PANELS]) + ") for a period with the previous one: every figure with its "
     "value, definition, window and the ids of the tickets behind it; technicians see their own groups only.",
     query=QUERY, responses={404: "Unknown panel."})
def panel_metrics(panel: str):
    db, ctx, user = env()
    if panel not in PANELS and panel not in knowledge.KNOWLEDGE_PANELS:
        raise not_found()
    args = read_query(QUERY)
    now = ctx.clock.now()
    try:
        period, filters = read_options(args, ctx.policies, now, visible_groups(user, ctx.policies))
    except OptionError as exc:
        raise ApiError(422, "invalid_fields", "Paramètre invalide.", {exc.field: str(exc)}) from None
    compare = args.get("compare", True)
    result = one_panel(db, ctx.policies, ctx.calendar, panel, period, filters, now, compare=compare,
                       window=deflection_window(current_app.config),
                       max_age=dashboard_cache_age(current_app.config),
                       knowledge_age=knowledge_cache_age(current_app.config),
                       snapshot=dashboard_snapshots(current_app.config))
    if args.get("format") in ("csv", "xlsx"):
        return download(panel, result, args["format"], presentation(ctx))
    serialise = knowledge.to_json if panel in knowledge.KNOWLEDGE_PANELS else to_json
    return jsonify(serialise(result, presentation(ctx)))


def download(panel: str, result: dict, kind: str, p: Presentation) -> Response:
    """Return a panel's CSV (with a BOM, for spreadsheets) or XLSX as an attachment named like the dashboard's."""
    extra = result["panels"][0] if panel in knowledge.KNOWLEDGE_PANELS else None
    if kind == "xlsx":
        body = xlsx.render_knowledge_xlsx(result, extra, p) if extra else xlsx.render_xlsx(result, p)
        mimetype, name = xlsx.CONTENT_TYPE, xlsx.filename(panel, result)
    else:
        body = "\ufeff" + (knowledge.render_csv(result, extra, p) if extra else render_csv(result, p))
        mimetype, name = "text/csv", f"pilotage-{panel}-{result['period']['first_day']}.csv"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
