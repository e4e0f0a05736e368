"""Helpers shared by the service, page and help tests (and benchmarks/big_data.py): database URLs, app config, a
migrated app, the browser-like API and page clients."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "motdepasse-de-test"
FAST_HASH = "pbkdf2:sha256:1000"  # tests only: the production default is scrypt
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PG_URL = os.environ.get("GUICHET_TEST_DATABASE_URL")
PG_SKIP = ("SKIPPED POSTGRESQL VARIANT — set GUICHET_TEST_DATABASE_URL="
           "postgresql+psycopg://postgres@127.0.0.1:5432/test to run every database test on PostgreSQL too (CI does)")

# The demo's people match helpdesk.yml groups and approvers; tests refer to them by these names.
ROLES = {
    "employee_a": "claire.rousseau@ferrand-associes.fr",
    "employee_b": "lucas.petit@ferrand-associes.fr",
    "n1": "julie.martin@ferrand-associes.fr",
    "n1_bis": "karim.benali@ferrand-associes.fr",
    "n2": "thomas.girard@ferrand-associes.fr",
    "n3": "support@alpes-infogerance.fr",
    "approver": "sophie.ferrand@ferrand-associes.fr",
    "approver_2": "marc.dubois@ferrand-associes.fr",
    "admin": "nadia.chevalier@ferrand-associes.fr",
}


def make_database_url(kind: str, tmp_dir: Path) -> tuple[str, object]:
    """Return (url, cleanup) for a fresh database of that kind."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_dir / 'guichet.sqlite3'}", lambda: None
    if not PG_URL:
        pytest.skip(PG_SKIP)
    schema = "t_" + uuid.uuid4().hex[:12]  # a fresh schema per module isolates the runs
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"

    def cleanup():
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}", cleanup


def app_config(url: str, tmp_dir: Path, **extra) -> dict:
    return {
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url, "PASSWORD_HASH_METHOD": FAST_HASH,
        "ATTACHMENTS_DIR": str(tmp_dir / "attachments"), "SITE_DIR": str(tmp_dir / "site"),
        "HELPDESK_CONFIG": str(ROOT / "helpdesk.yml"), "KB_DIR": str(ROOT / "kb"), "KB_REVISION": "kbrev-test",
        "ATTACHMENT_MAX_BYTES": 256 * 1024, "ATTACHMENTS_PER_TICKET": 3, "TRIAGE_DIR": str(tmp_dir / "triage"),
        **extra,
    }


@contextlib.contextmanager
def migrated_app(kind: str, tmp: Path, *, demo: bool = True, **config):
    """Yield the real app on a migrated ``kind`` database holding the demo company (or only the test people)."""
    from ticket_service import create_app
    from ticket_service.demo.tickets import ensure_people, load_demo
    from ticket_service.runtime import get_ctx
    from ticket_service.store.db import Database, upgrade

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


class Api:
    """A browser-like client: session cookie, CSRF token fetched and sent as X-CSRFToken on writes."""

    def __init__(self, app, role: str | None = None):
        self.client = app.test_client()
        self.csrf = self.client.get("/api/v1/session").get_json()["csrf_token"]
        self.role = role
        if role is not None:
            response = self.post("/api/v1/session", json={"email": ROLES[role], "password": PASSWORD})
            assert response.status_code == 200, response.get_json()
            self.csrf = response.get_json()["csrf_token"]

    def _headers(self, headers):
        return {"X-CSRFToken": self.csrf, **(headers or {})}

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, headers=None, **kw):
        return self.client.post(path, headers=self._headers(headers), **kw)

    def patch(self, path, headers=None, **kw):
        return self.client.patch(path, headers=self._headers(headers), **kw)

    def delete(self, path, headers=None, **kw):
        return self.client.delete(path, headers=self._headers(headers), **kw)

    def open(self, method, path, headers=None, **kw):
        return self.client.open(path, method=method, headers=self._headers(headers), **kw)


def new_ticket(client: Api, **fields) -> dict:
    """Create a ticket through the API and return its JSON."""
    body = {"title": "Écran noir au démarrage", "description": "Le poste reste sur un écran noir.", **fields}
    response = client.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add_api_token(db_url: str, token: str, role: str = "employee_b", name: str = "test") -> None:
    """Give the person of ``role`` an API token (stored hashed), for tests that talk to a real server."""
    from sqlalchemy import select

    from ticket_service.auth.identity import hash_token
    from ticket_service.store.db import Database
    from ticket_service.store.models import ApiToken, Person

    database = Database(db_url)
    try:
        with database.write() as db:
            person = db.scalar(select(Person).where(Person.email == ROLES[role]))
            db.add(ApiToken(person_id=person.id, token_hash=hash_token(token), name=name))
    finally:
        database.dispose()


@contextlib.contextmanager
def domain_clock(app, moment):
    """Run the block with the app's domain clock fixed at ``moment``, then put the previous clock back."""
    from ticket_service.domain.clock import FixedClock

    ctx = app.extensions["guichet_context"]
    saved, ctx.clock = ctx.clock, FixedClock(moment)
    try:
        yield ctx
    finally:
        ctx.clock = saved


@contextlib.contextmanager
def another_writer(db_url: str, patience_ms: int = 200):
    """Yield a function writing once through a connection of its own, which gives up (« database is locked ») when
    another transaction holds SQLite's write lock longer than ``patience_ms``."""
    from sqlalchemy import text

    from ticket_service.store.db import Database

    other = Database(db_url, patience_ms)

    def write() -> None:
        with other.write() as db:
            db.execute(text("UPDATE people SET department = department WHERE id = 1"))

    try:
        yield write
    finally:
        other.dispose()
