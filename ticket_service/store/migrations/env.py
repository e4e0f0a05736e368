"""Alembic environment: migrations run on the connection `guichet db upgrade` hands over."""

from alembic import context

from ticket_service.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `guichet db upgrade` (it passes the connection).")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
