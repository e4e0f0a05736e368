"""``guichet triage``: the model that suggests a new ticket's category and group from resolved tickets."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def triage():
    """Triage from history: category and group suggestions for new tickets (docs/guide-triage.md)."""


@triage.command("train")
@click.option("--no-evaluate", is_flag=True, help="Skip the 5-fold cross-validation (five more trainings).")
def triage_train(no_evaluate: bool):
    """Train the model on the resolved and closed tickets and write it to TRIAGE_DIR (the triage.train job too)."""
    from ticket_service.actions.triage import train
    from ticket_service.runtime import get_ctx, get_database

    app = load_app()
    with app.app_context():
        ctx = get_ctx()
    with get_database(app).reader() as db:
        report = train(db, ctx, min_tickets=int(app.config["TRIAGE_MIN_TICKETS"]), evaluate=not no_evaluate)
    if report.version is None:
        raise click.ClickException(f"nothing trained: {report.reason}")
    click.echo(f"Trained on {report.tickets} resolved or closed tickets; model {report.version} -> {report.directory}")
    for name, counts in report.counts.items():
        if name == "examples":
            continue
        click.echo(f"  {name}: {len(counts)} labels (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")
        if name in report.accuracy:
            model, baseline = report.accuracy[name]
            click.echo(f"    cross-validated accuracy {model:.1%} (majority-class baseline {baseline:.1%}; 5 random folds)")
        elif len(counts) < 2:
            click.echo("    one label only: no model, no suggestion for this field")
