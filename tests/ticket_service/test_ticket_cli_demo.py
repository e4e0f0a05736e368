"""The guichet commands: db upgrade, demo load (idempotent), users add/disable/token, tickets autoclose."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ticket_service.cli import main as guichet
from ticket_service.store.db import Database
from ticket_service.store.models import Person, Ticket
from tshelpers import make_database_url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def env(request, tmp_path_factory):
    """GUICHET_* variables pointing at a fresh, unmigrated database."""
    folder = tmp_path_factory.mktemp("cli")
    url, cleanup = make_database_url(request.param, folder)
    yield {"GUICHET_DATABASE_URL": url, "GUICHET_ATTACHMENTS_DIR": str(folder / "att"), "GUICHET_SECRET_KEY": "x",
           "GUICHET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "GUICHET_SITE_DIR": str(folder / "site")}
    cleanup()


def run(env, *args, input=None):
    result = CliRunner().invoke(guichet, list(args), env=env, input=input, catch_exceptions=False)
    return result


def test_db_upgrade_then_demo_load_is_idempotent(env):
    assert run(env, "demo", "load").exit_code == 1  # refused before migration, naming the fix
    first = run(env, "db", "upgrade")
    assert first.exit_code == 0 and "revision" in first.output
    assert "already up to date" in run(env, "db", "upgrade").output
    loaded = run(env, "demo", "load")
    assert loaded.exit_code == 0, loaded.output
    assert run(env, "demo", "load").exit_code == 0
    database = Database(env["GUICHET_DATABASE_URL"])
    try:
        with database.reader() as db:
            assert db.scalar(select(func.count()).select_from(Person)) == 13
            tickets = db.scalars(select(Ticket)).all()
            assert 15 <= len(tickets) <= 20
            statuses = {t.status for t in tickets}
            assert {"new", "in_progress", "waiting", "awaiting_approval", "resolved", "closed", "rejected", "cancelled"} <= statuses
            assert {t.type for t in tickets} == {"incident", "problem", "service_request", "access_request"}
            assert any(t.published and t.major for t in tickets)
            assert any(t.level == "N3" for t in tickets)
    finally:
        database.dispose()


def test_users_add_disable_and_token(env):
    run(env, "db", "upgrade")
    added = run(env, "users", "add", "ines.bernard@ferrand-associes.fr", "--name", "Inès Bernard", "--password", "un-long-secret")
    assert added.exit_code == 0, added.output
    assert run(env, "users", "add", "ines.bernard@ferrand-associes.fr", "--name", "X", "--password", "y").exit_code == 1
    token = run(env, "users", "token", "ines.bernard@ferrand-associes.fr").output.strip()
    assert token.startswith("gct_") and len(token) > 40
    from ticket_service import create_app

    app = create_app({"DATABASE_URL": env["GUICHET_DATABASE_URL"], "SECRET_KEY": "x", "SITE_DIR": env["GUICHET_SITE_DIR"],
                      "ATTACHMENTS_DIR": env["GUICHET_ATTACHMENTS_DIR"]})
    try:
        client = app.test_client()
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert run(env, "users", "disable", "ines.bernard@ferrand-associes.fr").exit_code == 0
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert run(env, "users", "disable", "nobody@ferrand-associes.fr").exit_code == 1
    finally:
        app.extensions["guichet_db"].dispose()
    assert run(env, "tickets", "autoclose").exit_code == 0


def test_demo_offers_pairs_to_review_and_learning_publish_writes_the_approved_ones(env, tmp_path):
    import json

    from ticket_service.domain.learning import candidates
    from ticket_service.store.models import LearnedPair

    run(env, "db", "upgrade")
    run(env, "demo", "load")
    database = Database(env["GUICHET_DATABASE_URL"])
    try:
        with database.write() as db:
            offered = candidates(db)
            assert {c.kind for c in offered} == {"ticket", "help"}  # a resolved ticket and a « Ça a résolu » click
            admin = db.scalar(select(Person).where(Person.role == "admin"))
            db.add(LearnedPair(source=offered[0].source, text="imprimante du 2e hors ligne", articles='["imprimante-hors-connexion"]',
                               decision="approved", decided_by=admin.id))
    finally:
        database.dispose()
    index_dir = tmp_path / "index"
    result = run({**env, "GUICHET_INDEX_DIR": str(index_dir)}, "learning", "publish")
    assert result.exit_code == 0 and "1 approved pair written" in result.output, result.output
    (line,) = [json.loads(x) for x in (index_dir / "history.jsonl").read_text(encoding="utf-8").splitlines()]
    assert line["text"] == "imprimante du 2e hors ligne" and line["reviewed"] is True
