"""``guichet mail fetch``: take in what waits in a Maildir or an IMAP mailbox, once, and exit (for cron)."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app


@click.group()
def mail():
    """Mail in (helpdesk.yml `mail_in:`, docs/canaux-courriel-entrant.md)."""


@mail.command("fetch")
@click.option("--maildir", "maildir", type=click.Path(exists=True, file_okay=False),
              help="A Maildir folder (new/, cur/, tmp/): its new/ mails are taken in and moved to cur/.")
@click.option("--imap", "imap", metavar="NAME", multiple=True,
              help="A mailbox of helpdesk.yml `mail_in:` (repeatable); without --maildir or --imap, all of them.")
@click.option("--unknown-senders", type=click.Choice(["quarantine", "create"]),
              help="With --maildir: what to do with an unknown sender (default MAIL_IN_UNKNOWN_SENDERS).")
def mail_fetch(maildir, imap, unknown_senders):
    """Import every waiting mail once: new tickets, replies on their tickets, the rest in /desk/quarantaine."""
    from ticket_service.channels.intake import Report, intake_for, run_maildir
    from ticket_service.channels.maildir import MaildirSource
    from ticket_service.runtime import get_ctx

    app = load_app()
    with app.app_context():
        ctx = get_ctx()
    failed = False
    if maildir:
        try:
            source = MaildirSource(maildir)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        report = run_maildir(app, ctx, source, intake_for(app, source.name, unknown_senders))
        click.echo(f"{source.name}: {report.line()}")
        failed |= bool(report.errors)
        for error in report.errors:
            click.echo(f"  {error}", err=True)
    if imap or not maildir:
        from ticket_service.channels.imap import ImapError, run_mailbox

        boxes = ctx.policies.mail_in.mailboxes
        names = imap or tuple(b.name for b in boxes)
        if not names:
            raise click.ClickException("no mailbox in helpdesk.yml `mail_in:` (or give --maildir PATH)")
        for name in names:
            box = ctx.policies.mail_in.mailbox(name)
            if box is None:
                raise click.ClickException(f"no mailbox {name!r} in helpdesk.yml `mail_in:` (known: "
                                           f"{', '.join(b.name for b in boxes) or 'none'})")
            try:
                report = run_mailbox(app, ctx, box, Report())
            except ImapError as exc:
                click.echo(f"{name}: {exc}", err=True)
                failed = True
                continue
            click.echo(f"{name}: {report.line()}")
            failed |= bool(report.errors)
            for error in report.errors:
                click.echo(f"  {error}", err=True)
    if failed:
        raise SystemExit(1)
