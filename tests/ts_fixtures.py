"""Ticket-service fixtures, handed out by the conftest.py of tests/ticket_service and tests/help."""

from __future__ import annotations

import pytest

from ticket_service.store.db import Database, upgrade
from ticket_service.demo.tickets import ensure_people
from tshelpers import FAST_HASH, PASSWORD, ROLES, Api, make_database_url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path_factory):
    """A migrated, empty database with the demo people; SQLite and PostgreSQL."""
    url, cleanup = make_database_url(request.param, tmp_path_factory.mktemp("db"))
    database = Database(url)
    upgrade(database)
    with database.write() as session:
        ensure_people(session, PASSWORD, FAST_HASH)
    database.dispose()
    yield url
    cleanup()


@pytest.fixture(scope="module")
def database(app) -> Database:
    return app.extensions["guichet_db"]


@pytest.fixture(scope="module")
def users(database) -> dict[str, int]:
    """Map test role names to person ids."""
    from sqlalchemy import select

    from ticket_service.store.models import Person

    with database.reader() as session:
        ids = dict(session.execute(select(Person.email, Person.id)).all())
    return {role: ids[email] for role, email in ROLES.items()}


@pytest.fixture(scope="module")
def api(app):
    """Return a factory of signed-in clients, cached per role for the module."""
    cache = {}

    def make(role: str | None = None, fresh: bool = False) -> Api:
        if fresh or role not in cache:
            cache[role] = Api(app, role)
        return cache[role]

    return make


