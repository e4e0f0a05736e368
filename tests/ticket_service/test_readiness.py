"""Readiness probe: the database, the migrations, the suggestion index and the job runner, each named when it fails."""

from __future__ import annotations


import pytest
from sqlalchemy import text

from search import load_or_build
from ticket_service import create_app
from ticket_service.domain.clock import FixedClock
from ticket_service.jobs import Worker
from ticket_service.store.models import WorkerHeartbeat
from tshelpers import ROOT, app_config


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    """A real suggestion index built from the small fixture KB."""
    folder = tmp_path_factory.mktemp("index")
    load_or_build(folder, ROOT / "tests" / "fixtures" / "kb_good" / "kb")
    return folder


def probe(app):
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()["checks"]


def test_ready_only_when_every_part_is(db_url, database, tmp_path, index_dir):
    with database.write() as db:
        db.query(WorkerHeartbeat).delete()
    app = create_app(app_config(db_url, tmp_path, INDEX_DIR=str(index_dir), JOB_POLL_SECONDS=0.01))
    try:
        status, checks = probe(app)
        assert status == 503 and checks["jobs"].startswith("fail: no job worker has run")
        assert checks["database"] == checks["migrations"] == checks["index"] == "ok"
        clock = FixedClock(app.extensions["guichet_context"].clock.now())
        app.extensions["guichet_context"].clock = clock
        Worker(app, clock=clock, handlers={}).run_once()
        assert probe(app) == (200, {"database": "ok", "migrations": "ok", "index": "ok", "jobs": "ok"})
        clock.advance(seconds=120)  # the worker fell silent
        status, checks = probe(app)
        assert status == 503 and checks["jobs"] == "fail: no job worker alive (last seen 120 s ago)"
    finally:
        app.extensions["guichet_db"].dispose()


def test_missing_index_and_old_schema_are_named(db_url, database, tmp_path):
    app = create_app(app_config(db_url, tmp_path, INDEX_DIR=str(tmp_path / "no-index")))
    try:
        with database.write() as db:
            head = db.execute(text("SELECT version_num FROM alembic_version")).scalar()
            db.execute(text("UPDATE alembic_version SET version_num = '0021'"))
        status, checks = probe(app)
        assert status == 503
        assert checks["migrations"] == f"fail: database at 0021, code at {head}: run `guichet db upgrade`"
        assert checks["index"].startswith("fail:") and "make site" in checks["index"]
    finally:
        with database.write() as db:
            db.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        app.extensions["guichet_db"].dispose()


def test_a_broken_database_fails_readiness_with_its_reason(tmp_path, index_dir):
    from tshelpers import migrated_app

    with migrated_app("sqlite", tmp_path, demo=False, INDEX_DIR=str(index_dir)) as app:
        app.extensions["guichet_db"].dispose()
        path = tmp_path / "guichet.sqlite3"
        for extra in ("-wal", "-shm"):
            (tmp_path / f"guichet.sqlite3{extra}").unlink(missing_ok=True)
        path.write_bytes(b"not a database, deliberately" * 100)
        status, checks = probe(app)
        assert status == 503
        assert checks["database"].startswith("fail: DatabaseError") and "not a database" in checks["database"]
        assert app.test_client().get("/healthz").status_code == 200  # alive: a restart would not help


