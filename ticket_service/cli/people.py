"""``guichet people``: RGPD requests about a person (export, forget) and the retention of closed tickets."""

from __future__ import annotations

import json

import click

from ticket_service.cli.app import load_app
from ticket_service.domain.errors import NotFound


@click.group()
def people():
    """RGPD: what the helpdesk holds about a person, forgetting them, retention."""


@people.command("export")
@click.argument("email")
def people_export(email: str):
    """Print as JSON everything the helpdesk holds about EMAIL (a subject-access request)."""
    from ticket_service.actions.privacy import export_person
    from ticket_service.runtime import get_database

    app = load_app()
    with app.app_context(), get_database(app).reader() as db:
        try:
            data = export_person(db, email)
        except NotFound as exc:
            raise click.ClickException(exc.message) from None
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@people.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
def people_forget(email: str, yes: bool):
    """Anonymise EMAIL for good: profile, requests, words, files, help events; ticket counts and times stay."""
    from ticket_service.actions.privacy import forget_person
    from ticket_service.jobs import run_now
    from ticket_service.runtime import get_ctx, get_database, get_files

    if not yes:
        click.confirm(f"Anonymise {email} for good? This cannot be undone", abort=True)
    app = load_app()
    with app.app_context(), get_database(app).writer() as db:
        try:
            done = forget_person(db, get_ctx(), email, get_files(app))
        except NotFound as exc:
            raise click.ClickException(exc.message) from None
    run_now(app, "learning.publish")  # the published past requests must not keep their words either
    click.echo(f"{email} forgotten: {done['tickets']} request(s) anonymised, {done['attachments']} file(s) removed, "
               f"{done['help_events']} help event(s) unlinked, {done['other_texts']} other text(s) scrubbed.")


@people.command("retention")
@click.option("--dry-run", is_flag=True, help="List what would be anonymised, change nothing.")
def people_retention(dry_run: bool):
    """Anonymise closed tickets past retention.closed_tickets_months now (the tickets.retention job does it daily)."""
    from ticket_service.actions.privacy import apply_retention
    from ticket_service.runtime import get_ctx, get_database, get_files

    app = load_app()
    with app.app_context(), get_database(app).writer() as db:
        months = get_ctx().policies.retention_months
        if not months:
            raise click.ClickException("helpdesk.yml sets no retention.closed_tickets_months: nothing to do.")
        ids = apply_retention(db, get_ctx(), get_files(app), months, dry_run=dry_run)
    verb = "would be" if dry_run else "were"
    click.echo(f"{len(ids)} closed ticket(s) {verb} anonymised (closed more than {months} months ago)"
               + (f": {', '.join(map(str, ids))}" if ids else "."))
