"""``guichet report``: figures for the team lead."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def report():
    """Reports for the team lead."""


@report.command("deflection")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC); default: 30 days before --until.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day included (UTC); default: now.")
@click.option("--window", "window_hours", type=click.FloatRange(1, 720), help="Ticket window in hours (default: DEFLECTION_WINDOW_HOURS).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every figure with its definition).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV rows: section, key, value, definition, window, period.")
def report_deflection(since, until, window_hours, as_json, as_csv):
    """Deflection figures (DESIGN §3.5) recomputed from raw events and tickets, each with its definition and window."""
    import json
    from datetime import timedelta

    from ticket_service.reports.deflection import deflection_report, render_csv, render_table, to_json
    from ticket_service.runtime import get_database
    from ticket_service.store.models import UTC

    if as_json and as_csv:
        raise click.UsageError("Choose one of --json and --csv.")
    app = load_app()
    since = since.replace(tzinfo=UTC) if since else None
    until = until.replace(tzinfo=UTC) + timedelta(days=1) if until else None
    window_hours = window_hours or float(app.config["DEFLECTION_WINDOW_HOURS"])
    with get_database(app).reader() as session:
        result = deflection_report(session, since=since, until=until, window_hours=window_hours)
    if as_json:
        click.echo(json.dumps(to_json(result), ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(render_csv(result), nl=False)
    else:
        click.echo(render_table(result))
