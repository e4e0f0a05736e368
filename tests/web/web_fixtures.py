"""Fixtures and helpers of the page tests; tests/web/conftest.py hands the fixtures to every module of the folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tshelpers import CSRF, FAST_HASH, PASSWORD, ROLES, Browser, app_config, migrated_app  # noqa: F401  (re-exported)

from ticket_service import create_app
from ticket_service.runtime import get_ctx
from ticket_service.store.db import Database, upgrade


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=DATABASES)
def app(request, tmp_path_factory):
    """The real app on a migrated database holding the demo company (people and tickets)."""
    with migrated_app(request.param, tmp_path_factory.mktemp("web")) as application:
        yield application


def app_on_built_site(project: Path, tmp: Path):
    """The real app on a fresh SQLite database with the test people, serving ``project``'s site build and index."""
    from ticket_service.demo.tickets import ensure_people

    url = f"sqlite:///{tmp / 'guichet.sqlite3'}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    build = project / "build"
    application = create_app(app_config(url, tmp, INDEX_DIR=str(build / "index"), MANIFEST_PATH=str(build / "manifest.json"),
                                        SITE_DIR=str(build / "site"), TRANSLATIONS_BUILD_DIR=str(tmp / "mo")))
    with application.app_context(), application.extensions["guichet_db"].write() as session:
        ensure_people(session, PASSWORD, FAST_HASH)
    return application


@pytest.fixture(scope="module")
def browser(app):
    """Return a factory of signed-in clients, cached per role for the module."""
    cache = {}

    def make(role: str | None = None, fresh: bool = False) -> Browser:
        if fresh or role not in cache:
            cache[role] = Browser(app, role)
        return cache[role]

    return make


@pytest.fixture(scope="module")
def ids(app) -> dict:
    """Person ids and demo ticket ids by their demo marker index (demo-00 → 0)."""
    from sqlalchemy import select

    from ticket_service.store.models import Person, Ticket

    with app.extensions["guichet_db"].reader() as session:
        people = dict(session.execute(select(Person.email, Person.id)).all())
        tickets = {int(m.split("-")[1]): i for m, i in session.execute(select(Ticket.help_session_id, Ticket.id)).all()
                   if m and re.fullmatch(r"demo-\d+", m)}
    return {"people": {role: people[email] for role, email in ROLES.items()}, "tickets": tickets}


def new_ticket(app, requester: str, **fields) -> int:
    """Create a ticket directly through the domain and return its id."""
    from sqlalchemy import select

    from ticket_service.domain import tickets
    from ticket_service.store.models import Person

    with app.app_context(), app.extensions["guichet_db"].write() as session:
        person = session.scalar(select(Person).where(Person.email == ROLES[requester]))
        body = {"title": "Écran noir au démarrage", "description": "Le poste reste sur un écran noir.", **fields}
        return tickets.create_ticket(session, get_ctx(), person, body).id
