"""Guichet's ticket service: the Flask application factory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from .settings import DEFAULTS


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the application (defaults → instance config → GUICHET_* env → test config)."""
    # The instance folder (database, secret key, uploads) can live outside the code checkout.
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("GUICHET_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("GUICHET")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    from . import health, site

    app.register_blueprint(health.bp)
    app.register_blueprint(site.bp)  # last: its catch-all route serves the built site
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
