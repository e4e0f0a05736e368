"""``guichet db``: migrate and back up the database."""

from __future__ import annotations

from pathlib import Path

import click

from ticket_service.cli.app import load_app


@click.group()
def db():
    """Database schema."""


@db.command("upgrade")
def db_upgrade():
    """Create or migrate the database to the latest schema (safe to run every start)."""
    from ticket_service.runtime import get_database
    from ticket_service.store.db import check_storage, current_revision, head_revision, upgrade

    app = load_app(verify=False)
    database = get_database(app)
    before = current_revision(database)
    upgrade(database)
    check_storage(database, bool(app.config["ALLOW_ASYNC_COMMIT"]))
    after = head_revision()
    click.echo(f"Database at revision {after}" + (" (already up to date)." if before == after else f" (was {before or 'empty'})."))


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(target: Path):
    """Write a consistent copy of the live SQLite database to TARGET (safe while the service runs)."""
    from ticket_service.runtime import get_database
    from ticket_service.store.backup import backup_sqlite
    from ticket_service.store.db import StorageError

    try:
        tickets = backup_sqlite(get_database(load_app()), target)
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {target} ({tickets} tickets, integrity checked). Restore: stop the service, "
               "then replace the database file (and delete its -wal and -shm files).")
