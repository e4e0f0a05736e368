"""What a running app holds: its Context and its Database, reached through Flask's app and request."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.context import Context
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.store.db import Database
from ticket_service.store.files import FileStore


def init_app(app: Flask) -> None:
    """Load and validate helpdesk.yml, then open the database; a broken file stops the start-up with the key and the fix."""
    tune_garbage_collector(int(app.config["GC_FIRST_THRESHOLD"]))
    policies = load_policies(app.config["HELPDESK_CONFIG"])
    app.extensions["guichet_context"] = Context(
        policies, BusinessCalendar.from_policies(policies), Path(app.config["KB_DIR"]),
        manifest_path=Path(app.config["MANIFEST_PATH"]), configured_revision=app.config.get("KB_REVISION"),
        triage_dir=triage_dir(app))
    app.extensions["guichet_db"] = Database(database_url(app), int(app.config["BUSY_TIMEOUT_MS"]))
    app.extensions["guichet_policy_file"] = PolicyFile(Path(app.config["HELPDESK_CONFIG"]),
                                                       float(app.config["POLICIES_CHECK_SECONDS"]))
    app.before_request(_follow_policies)  # first: who may see what is decided on the policies of this request
    app.teardown_appcontext(_close_session)


log = logging.getLogger("ticket_service.policies")


def tune_garbage_collector(first: int) -> None:
    """Let CPython's youngest generation hold ``first`` objects before a collection (0: Python's own 700).

    A request builds tens of thousands of short-lived containers (a dashboard panel read back from its snapshot, a
    page of tickets). With the default, they are collected mid-request, survive, and pile into the oldest
    generation, whose full collection then walks every object the process keeps: about 400 ms once in twenty
    dashboard calls at 120,000 tickets, none with 50,000 (benchmarks/RESULTS.md).
    """
    if first > 0:
        _, second, third = gc.get_threshold()
        gc.set_threshold(first, second, third)


class PolicyFile:
    """helpdesk.yml's stamp on disk: a merged change (a technician removed from a group) applies without a restart."""

    def __init__(self, path: Path, every: float):
        self.path, self.every = path, every
        self.stamp, self.checked = self._stamp(), time.monotonic()
        self._lock = threading.Lock()

    def _stamp(self):
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size, info.st_ino

    def reload_if_changed(self, ctx: Context) -> bool:
        """Swap in the new policies when the file changed; keep the running ones (and log why) when it is invalid."""
        if time.monotonic() - self.checked < self.every:
            return False
        with self._lock:
            self.checked = time.monotonic()
            stamp = self._stamp()
            if stamp == self.stamp or stamp is None:
                return False
            self.stamp = stamp
            try:
                policies = load_policies(self.path)
            except PolicyError as exc:
                log.error("helpdesk.yml changed but is invalid, the running policies stay: %s", exc)
                return False
            ctx.policies, ctx.calendar = policies, BusinessCalendar.from_policies(policies)
            log.info("helpdesk.yml reloaded")
            return True


def _follow_policies() -> None:
    current_app.extensions["guichet_policy_file"].reload_if_changed(get_ctx())


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
