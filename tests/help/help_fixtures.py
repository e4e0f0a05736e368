"""Fixtures for the help-session tests: the ticket-service ones, with an app whose event rate limit the tests reach."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ticket_service"))

from ts_fixtures import api, database, db_url, users  # noqa: E402,F401  (fixtures)
from tshelpers import app_config  # noqa: E402

from ticket_service import create_app  # noqa: E402


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory):
    application = create_app(app_config(db_url, tmp_path_factory.mktemp("app"), EVENTS_PER_MINUTE=40))
    yield application
    application.extensions["guichet_db"].dispose()
