"""Fixtures for the help-session tests (imported by each module: a conftest.py here would be a second `conftest` module)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ticket_service"))

from tshelpers import FAST_HASH, PASSWORD, ROLES, Api, app_config, make_database_url  # noqa: E402

from ticket_service import create_app  # noqa: E402
from ticket_service.db import Database, upgrade  # noqa: E402
from ticket_service.demo import ensure_people  # noqa: E402


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path_factory):
    """A migrated database with the demo people."""
    url, cleanup = make_database_url(request.param, tmp_path_factory.mktemp("db"))
    database = Database(url)
    upgrade(database)
    with database.write() as session:
        ensure_people(session, PASSWORD, FAST_HASH)
    database.dispose()
    yield url
    cleanup()


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory):
    application = create_app(app_config(db_url, tmp_path_factory.mktemp("app"), EVENTS_PER_MINUTE=40))
    yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture(scope="module")
def database(app) -> Database:
    return app.extensions["guichet_db"]


@pytest.fixture(scope="module")
def users(database) -> dict[str, int]:
    from sqlalchemy import select

    from ticket_service.models import Person

    with database.reader() as session:
        ids = dict(session.execute(select(Person.email, Person.id)).all())
    return {role: ids[email] for role, email in ROLES.items()}


@pytest.fixture(scope="module")
def api(app):
    cache = {}

    def make(role: str | None = None, fresh: bool = False) -> Api:
        if fresh or role not in cache:
            cache[role] = Api(app, role)
        return cache[role]

    return make
