"""``guichet directory sync [--dry-run]``: bring people in from the company directory (docs/annuaire.md)."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def directory():
    """Company directory: LDAP / Active Directory (helpdesk.yml `directory:`)."""


def _show(plan, dry_run: bool) -> None:
    verb = "would be" if dry_run else "were"
    for kind in ("created", "updated", "enabled", "disabled"):
        changes = plan.of(kind)
        click.echo(f"{len(changes)} {verb} {kind}")
        for change in changes:
            detail = ", ".join(f"{name}: {old!r} → {new!r}" for name, (old, new) in sorted(change.fields.items()))
            click.echo(f"  {change.email}  {change.dn}" + (f"  ({detail})" if detail else ""))
    for reason in plan.skipped:
        click.echo(f"set aside: {reason}")


@directory.command("sync")
@click.option("--dry-run", is_flag=True, help="Print what would change (created, updated, disabled); write nothing.")
def directory_sync(dry_run):
    """Create, update and disable people as the directory says; stops (exit 2) past directory.max_disable_ratio."""
    from ticket_service.channels.directory import DirectoryError
    from ticket_service.jobs.directory_sync import run_sync
    from ticket_service.runtime import get_ctx, get_database

    app = load_app()
    with app.app_context():
        clock = get_ctx().clock
    try:
        plan = run_sync(app, get_database(app), clock, dry_run=dry_run)
    except (DirectoryError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    _show(plan, dry_run or plan.braked)
    if plan.braked:
        click.echo(f"STOPPED by the safety brake: {len(plan.of('disabled'))} of {plan.synced} synced accounts would be "
                   f"disabled (more than directory.max_disable_ratio = {plan.ratio:g}). Nothing was written: check the "
                   "directory and its filter, or raise the ratio for one run.", err=True)
        raise SystemExit(2)
    click.echo(("Dry run, nothing written: " if dry_run else "Done: ") + plan.summary())
