"""Fixtures of the help-session tests: the ticket-service ones, with an app whose event rate limit the tests reach."""

from __future__ import annotations

import pytest

from ticket_service import create_app
from ts_fixtures import api, database, db_url, users  # noqa: F401  (fixtures)
from tshelpers import app_config


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory):
    application = create_app(app_config(db_url, tmp_path_factory.mktemp("app"), EVENTS_PER_MINUTE=40))
    yield application
    application.extensions["guichet_db"].dispose()
