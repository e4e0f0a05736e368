"""``guichet learning``: past requests the suggestion index learns from."""

from __future__ import annotations

import click

from ticket_service.cli.app import load_app
from ticket_service.cli.serve import publish_learned


@click.group()
def learning():
    """Past requests the suggestion index learns from (approved at /desk/apprentissage)."""


@learning.command("publish")
def learning_publish():
    """Write the approved pairs into the index folder's history.jsonl (done by serve and by each decision)."""
    from ticket_service.domain.learning import approved
    from ticket_service.runtime import get_database

    app = load_app()
    path = publish_learned(app)
    if path is None:
        raise SystemExit(1)
    with get_database(app).reader() as session:
        count = len(approved(session))
    click.echo(f"{count} approved pair{'' if count == 1 else 's'} written to {path}")
