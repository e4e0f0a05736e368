"""The migrations build exactly the tables the models describe (a model change without its migration fails here)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ticket_service.store.db import Database
from ticket_service.store.models import Base


def test_migrated_database_matches_the_models(db_url):
    database = Database(db_url)
    try:
        with database.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        database.dispose()
    assert differences == [], "write an Alembic migration for these model changes"
