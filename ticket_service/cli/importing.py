"""``guichet import``: past tickets from another helpdesk (JSON lines, or GLPI's CSV export)."""

from __future__ import annotations

import sys
import time

import click

from ticket_service.cli.app import load_app

LOG_EVERY = 5.0  # seconds between progress lines when the output is not a terminal


@click.group("import")
def import_():
    """Import past data."""


@import_.command("tickets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "glpi-csv"]),
              help="File format (default: glpi-csv for a .csv file, jsonl otherwise). See docs/guide-import.md.")
@click.option("--dry-run", is_flag=True, help="Check every line and report every problem; write nothing.")
def import_tickets(file: str, fmt: str | None, dry_run: bool):
    """Import past tickets with their whole timeline; all or nothing, idempotent by external id."""
    from ticket_service.actions.importing import import_tickets as run
    from ticket_service.domain.importing import guess_format
    from ticket_service.runtime import get_ctx, get_database

    app = load_app()
    fmt = fmt or guess_format(file)
    show = Progress(sys.stderr.isatty())
    with app.app_context(), get_database(app).writer() as session, \
            open(file, encoding="utf-8-sig", newline="" if fmt == "glpi-csv" else None) as lines:
        report = run(session, get_ctx(), lines, filename=file, fmt=fmt, dry_run=dry_run, progress=show)
    show.done(report)
    for error in report.errors:
        click.echo(error, err=True)
    summary = (f"{report.lines} line(s) read, {report.imported} ticket(s) "
               f"{'valid' if dry_run else 'imported'}, {report.skipped} already imported, "
               f"{report.people_created} inactive account(s) {'to create' if dry_run else 'created'}, "
               f"{len(report.errors)} error(s).")
    click.echo(summary)
    if report.errors:
        raise click.ClickException(f"{report.bad_lines} bad line(s): nothing was written. Fix them and run again.")
    if dry_run:
        click.echo("Dry run: nothing was written.")


class Progress:
    """Lines read, tickets imported, errors so far: one rewritten line on a terminal, a log line every few seconds."""

    def __init__(self, terminal: bool):
        self.terminal = terminal
        self.last = time.monotonic()
        self.shown = False

    def __call__(self, report) -> None:
        now = time.monotonic()
        if self.terminal and (now - self.last >= 0.2 or report.lines == 1):
            click.echo(f"\r{self.text(report)}", nl=False, err=True)
            self.last, self.shown = now, True
        elif not self.terminal and now - self.last >= LOG_EVERY:
            click.echo(self.text(report), err=True)
            self.last = now

    def done(self, report) -> None:
        if self.shown:
            click.echo(f"\r{self.text(report)}", err=True)

    @staticmethod
    def text(report) -> str:
        return (f"import: {report.lines} line(s) read, {report.imported} ticket(s) imported, "
                f"{report.skipped} skipped, {len(report.errors)} error(s)")
