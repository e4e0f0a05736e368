"""Guichet's ticket service: the Flask application factory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from ticket_service.settings import DEFAULTS


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the application; refuse to start on a misconfigured or unmigrated database."""
    app = build_app(test_config)
    if app.config["VERIFY_DATABASE"]:
        from ticket_service.runtime import get_database
        from ticket_service.store.db import check_schema, check_storage

        check_storage(get_database(app), bool(app.config["ALLOW_ASYNC_COMMIT"]))
        check_schema(get_database(app))
    return app


def build_app(test_config: dict | None = None) -> Flask:
    """Configure the app (defaults → instance config → GUICHET_* env → test config) without touching the database."""
    # GUICHET_INSTANCE_PATH moves the instance folder (database, secret key, attachments) elsewhere.
    app = Flask(__name__, instance_relative_config=True, instance_path=os.environ.get("GUICHET_INSTANCE_PATH") or None)
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("GUICHET")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    app.config.setdefault("MAX_CONTENT_LENGTH", None)
    if not app.config["MAX_CONTENT_LENGTH"]:
        app.config["MAX_CONTENT_LENGTH"] = int(app.config["ATTACHMENT_MAX_BYTES"]) + 1024 * 1024

    from ticket_service import cli, http, runtime
    from ticket_service.notify.smtp import load as check_mail_settings

    check_mail_settings(app.config)  # a bad SMTP_SECURITY, SMTP_PORT or MAIL_FROM stops here, named

    runtime.init_app(app)  # validates helpdesk.yml: a broken file stops here with the key and the fix
    http.init_app(app)
    cli.init_app(app)
    return app


def _instance_secret(instance: Path) -> str:
    """Return the secret key kept in the instance folder, creating it on first start."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
