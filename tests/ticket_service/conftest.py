"""Fixtures for the ticket service: a migrated database (SQLite, and PostgreSQL when configured), the app, signed-in clients."""

from __future__ import annotations

import pytest

from ticket_service import create_app
from ts_fixtures import api, database, db_url, users  # noqa: F401  (fixtures)
from tshelpers import app_config


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory):
    """The real app on that database (create_app verifies pragmas and schema, like production)."""
    application = create_app(app_config(db_url, tmp_path_factory.mktemp("app")))
    yield application
    application.extensions["guichet_db"].dispose()
