"""Fixtures for the job runner: the ticket-service database fixtures (SQLite, PostgreSQL) and an app without schedules."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from jobs_helpers import NO_SCHEDULES
from ticket_service import create_app
from ticket_service.store.models import Job, JobSchedule, OutboxDelivery, OutboxEvent
from ts_fixtures import database, db_url, users  # noqa: F401  (fixtures)
from tshelpers import app_config


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("jobs-app")
    application = create_app(app_config(db_url, folder, JOB_INTERVALS=NO_SCHEDULES, INDEX_DIR=str(folder / "index")))
    yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture(autouse=True)
def empty_queue(app):
    """Start every test with no jobs, schedules or outbox events (the database is shared by the module)."""
    with app.extensions["guichet_db"].write() as db:
        for model in (OutboxDelivery, OutboxEvent, Job, JobSchedule):
            db.execute(delete(model))
