"""Probes: liveness (the process answers) and readiness (it can serve: database, migrations, index, job runner)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from search import SearchError

from ticket_service.runtime import get_ctx, get_database
from ticket_service.store import jobs as queue
from ticket_service.store.db import current_revision, head_revision

bp = Blueprint("health", __name__)

WORKER_SILENCE_SECONDS = 90  # three missed heartbeats (jobs/runner.py HEARTBEAT_SECONDS)


@bp.get("/healthz")
def healthz():
    """Liveness: 200 with a tiny JSON body when the process answers (a restart is the cure otherwise)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when every check passes, 503 naming each failing one (take the host out of the pool)."""
    checks = {"database": _database(), "migrations": _migrations(), "index": _index(), "jobs": _jobs()}
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "fail", checks=checks), 200 if ready else 503


def _database() -> str:
    try:
        with get_database().engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any driver error: the reason is what the probe reports
        return f"fail: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return "ok"


def _migrations() -> str:
    try:
        found, wanted = current_revision(get_database()), head_revision()
    except Exception as exc:
        return f"fail: {type(exc).__name__}"
    return "ok" if found == wanted else f"fail: database at {found}, code at {wanted}: run `guichet db upgrade`"


def _index() -> str:
    suggester = current_app.extensions.get("guichet.suggester")
    if suggester is None:
        return "fail: no suggester"
    try:
        suggester.holder.get()
    except SearchError as exc:
        return f"fail: {str(exc)[:200]} (build the site: `make site`)"
    return "ok"


def _jobs() -> str:
    try:
        with get_database().reader() as db:
            seen = queue.last_heartbeat(db)
    except Exception as exc:
        return f"fail: {type(exc).__name__}"
    if seen is None:
        return "fail: no job worker has run on this database (`guichet serve` runs one, or `guichet worker`)"
    silent = (get_ctx().clock.now() - seen).total_seconds()
    if silent > WORKER_SILENCE_SECONDS:
        return f"fail: no job worker alive (last seen {int(silent)} s ago)"
    return "ok"
