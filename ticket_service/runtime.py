"""What a running app holds: its Context and its Database, reached through Flask's app and request."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.context import Context
from ticket_service.domain.policies import load_policies
from ticket_service.store.db import Database
from ticket_service.store.files import FileStore


def init_app(app: Flask) -> None:
    """Load and validate helpdesk.yml, then open the database; a broken file stops the start-up with the key and the fix."""
    policies = load_policies(app.config["HELPDESK_CONFIG"])
    app.extensions["guichet_context"] = Context(
        policies, BusinessCalendar.from_policies(policies), Path(app.config["KB_DIR"]),
        manifest_path=Path(app.config["MANIFEST_PATH"]), configured_revision=app.config.get("KB_REVISION"),
        triage_dir=triage_dir(app))
    app.extensions["guichet_db"] = Database(database_url(app), int(app.config["BUSY_TIMEOUT_MS"]))
    app.teardown_appcontext(_close_session)


def triage_dir(app: Flask) -> Path:
    """Return the triage model's folder: TRIAGE_DIR, default triage/ in the instance folder."""
    return Path(app.config.get("TRIAGE_DIR") or Path(app.instance_path) / "triage")


def get_ctx() -> Context:
    """Return the app's Context."""
    return current_app.extensions["guichet_context"]


def database_url(app: Flask) -> str:
    """Return the configured URL, defaulting to a SQLite file in the instance folder."""
    url = app.config.get("DATABASE_URL")
    if url:
        return url
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'guichet.sqlite3'}"


def get_database(app: Flask | None = None) -> Database:
    """Return the app's Database."""
    return (app or current_app).extensions["guichet_db"]


def get_session() -> Session:
    """Return the request's session: a write transaction for state-changing methods."""
    if "db_session" not in g:
        database = get_database()
        write = request.method not in ("GET", "HEAD", "OPTIONS")
        g.db_session = (database.writer if write else database.reader)()
    return g.db_session


def _close_session(_exc):
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back anything not committed


def get_files(app: Flask | None = None) -> FileStore:
    """Return the app's attachment store (ATTACHMENTS_DIR, default attachments/ in the instance folder)."""
    app = app or current_app
    store = app.extensions.get("guichet_files")
    if store is None:
        folder = app.config.get("ATTACHMENTS_DIR") or Path(app.instance_path) / "attachments"
        store = app.extensions["guichet_files"] = FileStore(
            folder, int(app.config["ATTACHMENT_MAX_BYTES"]), int(app.config["ATTACHMENTS_PER_TICKET"]))
    return store
