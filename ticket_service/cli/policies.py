"""``guichet policies``: check a ``helpdesk.yml``, and replay the real tickets against a proposed one (what-if)."""

from __future__ import annotations

import re
from datetime import timedelta

import click

from ticket_service.cli.app import load_app

_SINCE = re.compile(r"^(\d{1,4})([dh])$")


def parse_since(value: str) -> timedelta:
    """Read a period such as 30d (days) or 12h (hours)."""
    match = _SINCE.match(value.strip())
    if not match or int(match.group(1)) == 0:
        raise click.BadParameter(f"{value!r} is not a period: write e.g. 30d (days) or 48h (hours).",
                                 param_hint="--since")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


def _load(path: str):
    from ticket_service.domain.policies import PolicyError, load_policies

    try:
        return load_policies(path)
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def policies():
    """Policies as code (helpdesk.yml): check a file, replay a proposal."""


@policies.command("check")
@click.option("--config", "path", type=click.Path(dir_okay=False), default=None,
              help="The file to check (default: the service's HELPDESK_CONFIG).")
def check(path):
    """Validate a helpdesk.yml as the service does at start-up; exit 1 with the key and the fix."""
    if path is None:
        app = load_app(verify=False)
        path = app.config["HELPDESK_CONFIG"]
    found = _load(path)
    rules = len(found.automation)
    click.echo(f"{path} : valide ({len(found.groups)} groupes, {len(found.catalogue)} éléments du catalogue, "
               f"{rules} règle{'s' if rules > 1 else ''} d'automatisation).")


@policies.command("replay")
@click.option("--config", "path", type=click.Path(exists=True, dir_okay=False), required=True,
              help="The proposed helpdesk.yml.")
@click.option("--since", "period", default="30d", show_default=True,
              help="Tickets created in this period before now: 30d (days), 48h (hours).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (English keys, plain numbers) for CI.")
def replay(path, period, as_json):
    """Replay the period's real tickets against a proposed helpdesk.yml and print what would have been different.

    Priority matrix, SLA targets, calendar and automation rules (the created ones) are recomputed for each ticket
    under the current file and under the proposal; nothing is written.
    """
    import json

    from ticket_service.domain.calendar import BusinessCalendar
    from ticket_service.domain.replay import compare
    from ticket_service.reports.policy_replay import past_tickets, render_text, to_json
    from ticket_service.runtime import get_ctx, get_database

    since = parse_since(period)
    proposed = _load(path)
    app = load_app()
    with app.app_context():
        ctx = get_ctx()
        now = ctx.clock.now()
        start = now - since
        with get_database(app).reader() as db:  # a read-only transaction: the replay writes nothing
            tickets = past_tickets(db, start, now)
        result = compare(tickets, ctx.policies, ctx.calendar, proposed, BusinessCalendar.from_policies(proposed), now)
        organisation = ctx.policies.organisation
    if as_json:
        click.echo(json.dumps(to_json(result, start, now, path), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result, start, now, path, organisation.locale, organisation.zone), nl=False)
