"""``guichet report``: figures for the team lead."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def report():
    """Reports for the team lead."""


@report.command("deflection")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="First day, in the organisation's time zone (helpdesk.yml); default: 30 days before --until.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]),
              help="Last day included, in the organisation's time zone; default: now.")
@click.option("--window", "window_hours", type=click.FloatRange(1, 720), help="Ticket window in hours (default: DEFLECTION_WINDOW_HOURS).")
@click.option("--lang", metavar="LANG", help="Language of the table and the CSV (fr, en; default: organisation.locale). "
              "JSON keeps English keys and plain numbers.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every figure with its definition).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV rows: section, key, value, definition, window, period "
              "(« ; » and decimal commas in French, « , » and points in English).")
def report_deflection(since, until, window_hours, lang, as_json, as_csv):
    """Deflection figures (DESIGN §3.5) recomputed from raw events and tickets, each with its definition and window."""
    import json
    from datetime import datetime, time, timedelta

    from flask_babel import force_locale, get_translations

    from ticket_service.reports.deflection import Presentation, deflection_report, render_csv, render_table, to_json
    from ticket_service.runtime import get_ctx, get_database
    from ticket_service.store.models import UTC

    app, lang = report_app(as_json, as_csv, lang)
    with app.app_context():
        ctx = get_ctx()
        organisation = ctx.policies.organisation
        zone = organisation.zone

        def midnight(day: datetime) -> datetime:
            # The organisation's day: 2026-11-01 in Paris starts at 2026-10-31 23:00 UTC.
            return datetime.combine(day.date(), time(), zone).astimezone(UTC)

        since = midnight(since) if since else None
        until = midnight(until + timedelta(days=1)) if until else None
        window_hours = window_hours or float(app.config["DEFLECTION_WINDOW_HOURS"])
        with get_database(app).reader() as session:
            result = deflection_report(session, since=since, until=until, window_hours=window_hours,
                                       now=ctx.clock.now(), zone=zone)
        with force_locale(lang):
            # The organisation's own locale (fr_FR) for its language, else the language asked for.
            presentation = Presentation(organisation.locale if lang == organisation.language else lang, zone,
                                        get_translations())
    if as_json:
        click.echo(json.dumps(to_json(result, presentation), ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(render_csv(result, presentation), nl=False)
    else:
        click.echo(render_table(result, presentation))


def _panel_command(name: str):
    """Make ``guichet report <name>``: one dashboard panel, the numbers of /pilotage and of the API."""

    @click.option("--period", type=click.Choice(["this_month", "last_month", "30d", "90d", "custom"]),
                  default="this_month", show_default=True, help="Period, in the organisation's time zone.")
    @click.option("--since", metavar="YYYY-MM-DD", help="First day of a custom period.")
    @click.option("--until", metavar="YYYY-MM-DD", help="Last day included of a custom period.")
    @click.option("--group", help="Support group id.")
    @click.option("--provider", help="Provider group id (tickets that passed through it).")
    @click.option("--category", help="Category id.")
    @click.option("--type", "type_", help="Request type.")
    @click.option("--priority", help="Priority (P1–P4).")
    @click.option("--no-compare", is_flag=True, help="Leave out the previous period.")
    @click.option("--lang", metavar="LANG", help="Language of labels, definitions, numbers and dates (fr, en; "
                  "default: organisation.locale).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (every figure with its definition and tickets).")
    @click.option("--csv", "as_csv", is_flag=True, help="Print formula-safe CSV (« ; » and decimal commas in French).")
    @click.option("--xlsx", "xlsx_file", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                  help="Write a formula-safe XLSX workbook to FILE (numbers as numbers, dates as dates, a sheet per "
                  "table).")
    def command(period, since, until, group, provider, category, type_, priority, no_compare, lang, as_json, as_csv,
                xlsx_file):
        import json

        from flask_babel import force_locale, get_translations

        from ticket_service.reports.deflection import Presentation
        from ticket_service.reports import export
        from ticket_service.reports import knowledge_panels as knowledge
        from ticket_service.reports.options import OptionError, read_options
        from ticket_service.reports.panel_result import one_panel
        from ticket_service.runtime import get_ctx, get_database
        from ticket_service.settings import deflection_window

        if xlsx_file and (as_json or as_csv):
            raise click.UsageError("Choose one of --json, --csv and --xlsx.")
        app, lang = report_app(as_json, as_csv, lang)
        args = {"period": period, "since": since, "until": until, "group": group, "provider": provider,
                "category": category, "type": type_, "priority": priority}
        with app.app_context():
            ctx = get_ctx()
            now = ctx.clock.now()
            try:
                chosen, filters = read_options(args, ctx.policies, now)
            except OptionError as exc:
                raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
            with get_database(app).reader() as session:
                result = one_panel(session, ctx.policies, ctx.calendar, name, chosen, filters, now,
                                   compare=not no_compare, window=deflection_window(app.config))
            organisation = ctx.policies.organisation
            with force_locale(lang):
                presentation = Presentation(organisation.locale if lang == organisation.language else lang,
                                            organisation.zone, get_translations())
        shown = knowledge if name in knowledge.KNOWLEDGE_PANELS else export
        if xlsx_file:
            from ticket_service.reports import xlsx

            with open(xlsx_file, "wb") as out:
                out.write(xlsx.render_knowledge_xlsx(result, result["panels"][0], presentation) if shown is knowledge
                          else xlsx.render_xlsx(result, presentation))
            click.echo(xlsx_file)
        elif as_json:
            click.echo(json.dumps(shown.to_json(result, presentation), ensure_ascii=False, indent=2))
        elif as_csv:
            click.echo(knowledge.render_csv(result, result["panels"][0], presentation) if shown is knowledge
                       else export.render_csv(result, presentation), nl=False)
        else:
            click.echo(shown.render_text(result, presentation))

    command.__doc__ = f"Dashboard panel « {name} »: its figures with definition, window and previous period."
    return report.command(name)(command)


@report.command("refresh")
def report_refresh():
    """Compute the dashboard's standard views now (the reports.refresh job), e.g. after a big import."""
    from ticket_service.jobs import run_now

    app = load_app()
    done = run_now(app, "reports.refresh")
    if done is None:
        click.echo("DASHBOARD_SNAPSHOT_SECONDS is 0: the dashboard always computes live, nothing to refresh.")
        return
    costs = ", ".join(f"{ms} ms" for ms in done["cost_ms"]) or "-"
    click.echo(f"{done['computed']} views computed ({costs}), {done['skipped']} unchanged.")


def _register_panels():
    from ticket_service.reports.knowledge_panels import KNOWLEDGE_PANELS
    from ticket_service.reports.panels import PANELS

    for name in [*PANELS, *KNOWLEDGE_PANELS]:
        _panel_command(name)


_register_panels()


def report_app(as_json: bool, as_csv: bool, lang: str | None):
    """Return the app and the report's language, refusing --json with --csv and a language the app lacks."""
    from ticket_service.http.i18n import default_language

    if as_json and as_csv:
        raise click.UsageError("Choose one of --json and --csv.")
    app = load_app()
    lang = lang or default_language(app)
    if lang not in app.config["LANGUAGES"]:
        raise click.BadParameter(f"{lang!r} is not one of {', '.join(app.config['LANGUAGES'])}.", param_hint="--lang")
    return app, lang
