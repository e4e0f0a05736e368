"""D-10: `kill -9` during `guichet db upgrade` leaves the database at the old or the new schema, never between."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from ticket_service.store.db import Database, check_schema, head_revision, upgrade
from tshelpers import ROOT


def run_upgrade(url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ticket_service", "db", "upgrade"], cwd=ROOT,
                            env={**os.environ, "GUICHET_DATABASE_URL": url}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def schema_state(path) -> tuple[str | None, set[str]]:
    """Return (alembic revision or None, application tables) of a SQLite file, after an integrity check."""
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] if "alembic_version" in tables else None
    return revision, tables - {"alembic_version"}


def test_sigkill_during_migration_leaves_old_or_new_schema(tmp_path):
    reference = tmp_path / "reference.sqlite3"
    started = time.monotonic()
    assert run_upgrade(f"sqlite:///{reference}").wait(timeout=120) == 0
    duration = time.monotonic() - started
    _, all_tables = schema_state(reference)
    head = head_revision()
    outcomes = set()
    for round_number in range(6):  # kill points spread from start-up to just after the commit
        path = tmp_path / f"round{round_number}.sqlite3"
        process = run_upgrade(f"sqlite:///{path}")
        time.sleep(duration * (0.35 + 0.15 * round_number))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        if not path.exists():
            outcomes.add("before the file")
            continue
        revision, tables = schema_state(path)
        assert (revision, tables) in ((None, set()), (head, all_tables)), f"half-migrated: {revision}, {sorted(tables)}"
        outcomes.add(revision or "empty")
        database = Database(f"sqlite:///{path}")
        try:
            upgrade(database)  # the next start migrates cleanly
            check_schema(database)
        finally:
            database.dispose()
    assert outcomes, "no round ran"
