"""D-09: an online backup taken while tickets are being created is consistent and restores."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from click.testing import CliRunner

from ticket_service import create_app
from ticket_service.store.backup import backup_sqlite
from ticket_service.cli import main as guichet
from ticket_service.store.db import StorageError
from tshelpers import Api, app_config, new_ticket


def test_backup_during_writes_is_consistent_and_restores(app, database, tmp_path):
    if not database.is_sqlite:
        with pytest.raises(StorageError, match="pg_dump"):
            backup_sqlite(database, tmp_path / "copy.sqlite3")
        return
    employee = Api(app, "employee_a")
    committed_before = len(employee.get("/api/v1/tickets?per_page=100").get_json()["items"])
    stop, created = threading.Event(), []

    def create_tickets():
        writer = Api(app, "employee_a")
        for number in range(200):  # bounded: the loop ends on its own
            if stop.is_set():
                break
            created.append(new_ticket(writer, title=f"Sauvegarde {number}")["id"])

    worker = threading.Thread(target=create_tickets)
    worker.start()
    try:
        while len(created) < 5:
            threading.Event().wait(0.01)
        target = tmp_path / "copy.sqlite3"
        copied = backup_sqlite(database, target)
    finally:
        stop.set()
        worker.join(timeout=60)
    assert copied >= committed_before + 5
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not target.with_name(target.name + "-wal").exists()
    restored = create_app(app_config(f"sqlite:///{target}", tmp_path))  # refuses a broken or unmigrated file
    try:
        titles = [t["title"] for t in Api(restored, "employee_a").get("/api/v1/tickets?per_page=100").get_json()["items"]]
        assert "Sauvegarde 0" in titles
    finally:
        restored.extensions["guichet_db"].dispose()


def test_backup_command_refuses_to_overwrite(db_url, tmp_path, monkeypatch):
    existing = tmp_path / "existing.sqlite3"
    existing.write_bytes(b"keep me")
    monkeypatch.setenv("GUICHET_DATABASE_URL", db_url)
    monkeypatch.setenv("GUICHET_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(guichet, ["db", "backup", str(existing)])
    assert result.exit_code == 1
    assert "already exists" in result.output or "pg_dump" in result.output
    assert existing.read_bytes() == b"keep me"
    if db_url.startswith("sqlite"):
        fresh = CliRunner().invoke(guichet, ["db", "backup", str(tmp_path / "new.sqlite3")])
        assert fresh.exit_code == 0 and "integrity checked" in fresh.output, fresh.output
