"""Fixtures for the page tests (imported by each test module: a conftest.py here would be a second `conftest` module)."""

from __future__ import annotations

import contextlib
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ticket_service"))

from tshelpers import FAST_HASH, PASSWORD, ROLES, app_config, make_database_url  # noqa: E402

from ticket_service import create_app  # noqa: E402
from ticket_service.runtime import get_ctx  # noqa: E402
from ticket_service.store.db import Database, upgrade  # noqa: E402
from ticket_service.demo.tickets import load_demo  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def migrated_app(kind: str, tmp: Path, *, demo: bool = True, **config):
    """Yield the real app on a migrated ``kind`` database holding the demo company (or only the test people)."""
    from ticket_service.demo.tickets import ensure_people

    url, cleanup = make_database_url(kind, tmp)
    database = Database(url)
    upgrade(database)
    database.dispose()
    application = create_app(app_config(url, tmp, DEMO_MODE=demo, TRANSLATIONS_BUILD_DIR=str(tmp / "mo"), **config))
    with application.app_context(), application.extensions["guichet_db"].write() as session:
        if demo:
            load_demo(session, get_ctx(), PASSWORD, FAST_HASH)
        else:
            ensure_people(session, PASSWORD, FAST_HASH)
    try:
        yield application
    finally:
        application.extensions["guichet_db"].dispose()
        cleanup()


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


class Browser:
    """A test client that behaves like a browser on our pages: reads the CSRF token from forms."""

    def __init__(self, app, role: str | None = None):
        self.client = app.test_client()
        self.role = role
        if role is not None:
            response = self.submit("/connexion", {"email": ROLES[role], "password": PASSWORD})
            assert response.status_code == 303, response.text

    def token(self, path: str | None = None) -> str:
        """Return the session's CSRF token, read from a page's form."""
        page = self.client.get(path or "/mes-demandes", follow_redirects=True)  # anonymous: lands on /connexion
        return CSRF.search(page.text).group(1)

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def submit(self, path: str, data: dict | None = None, **kw):
        """POST a form with a valid CSRF token, like a browser submitting a page's form."""
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token()}, **kw)


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

    from ticket_service.domain import transitions
    from ticket_service.store.models import Person

    with app.app_context(), app.extensions["guichet_db"].write() as session:
        person = session.scalar(select(Person).where(Person.email == ROLES[requester]))
        body = {"title": "Écran noir au démarrage", "description": "Le poste reste sur un écran noir.", **fields}
        return transitions.create_ticket(session, get_ctx(), person, body).id
