"""Migration 0005 fills the folded search text of the tickets that existed before it (both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from tshelpers import make_database_url

from ticket_service.store.db import Database, upgrade


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_existing_tickets_get_their_search_text(kind, tmp_path):
    url, cleanup = make_database_url(kind, tmp_path)
    database = Database(url)
    try:
        upgrade(database, "0004")
        with database.write_engine.begin() as conn:
            conn.execute(text("INSERT INTO people (email, name, role, active, session_epoch, created_at) "
                              "VALUES ('a@example.test', 'A', 'employee', true, 0, CURRENT_TIMESTAMP)"))
            for n in range(2_100):  # more than one batch of the migration
                conn.execute(text(
                    "INSERT INTO tickets (requester_id, title, description, type, impact, urgency, priority, status,"
                    " level, \"group\", created_at, updated_at, paused_seconds, kb_gap, escalation_count,"
                    " reopen_count, published, major) VALUES (1, :title, 'Rien ne s''AFFICHE', 'incident', 'low',"
                    " 'low', 'P4', 'new', 'N1', 'support', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, false, 0, 0,"
                    " false, false)"), {"title": f"Écran noir n°{n}"})
        upgrade(database)
        with database.engine.connect() as conn:
            rows = conn.execute(text("SELECT search_text FROM tickets ORDER BY id")).scalars().all()
        assert len(rows) == 2_100 and rows[0] == "ecran noir n°0\nrien ne s'affiche" and all(rows)
    finally:
        database.dispose()
        cleanup()
