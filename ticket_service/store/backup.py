"""Online backup of the SQLite database (catalogue D-09): never `cp` a live WAL database."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ticket_service.store.db import Database, StorageError


def backup_sqlite(database: Database, target: Path) -> int:
    """Copy a consistent snapshot of the live database to ``target`` and return its ticket count.

    SQLite's online backup API copies committed pages only, while writers go on; a plain file copy
    can miss what still sits in the -wal file. The copy is checked, then renamed into place.

    Raises:
        StorageError: for PostgreSQL, an existing target, or a copy that fails its integrity check.
    """
    if not database.is_sqlite:
        raise StorageError("PostgreSQL: back up with pg_dump (e.g. `pg_dump -Fc DB > guichet.dump`); "
                           "this command copies SQLite databases only.")
    target = Path(target)
    if target.exists():
        raise StorageError(f"{target} already exists; choose a new file name.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database.engine.url.database, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise StorageError(f"the copy in {partial} failed its integrity check; nothing was written to {target}")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        tickets = copy.execute("SELECT count(*) FROM tickets").fetchone()[0]
    finally:
        copy.close()
        source.close()
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    return tickets
