"""Storage: engines with durable SQLite settings, per-request sessions, schema checks and migrations."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE_HINT = "guichet db upgrade"
_WRITE = "guichet_write"


class StorageError(RuntimeError):
    """The database is misconfigured or not migrated; the message says how to fix it."""


class Database:
    """One engine (persistent connections) and two session factories: reads and writes."""

    def __init__(self, url: str, busy_timeout_ms: int = 5000):
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms)
        # Writes take SQLite's write lock up front (BEGIN IMMEDIATE): no SQLITE_BUSY on lock upgrade.
        self.write_engine = self.engine.execution_options(**{_WRITE: True})
        self.reader = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.writer = sessionmaker(bind=self.write_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self):
        """Yield a session in a write transaction; commit on success, roll back on error."""
        with self.writer() as session, session.begin():
            yield session

    def dispose(self):
        self.engine.dispose()


def make_engine(url: str, busy_timeout_ms: int = 5000) -> Engine:
    """Create an engine; SQLite gets WAL, synchronous=FULL, foreign keys and a busy timeout."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
                           pool_size=10, max_overflow=10)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def check_storage(database: Database, allow_async_commit: bool = False) -> None:
    """Read the durability settings back and refuse to run when any is wrong."""
    with database.engine.connect() as conn:
        if database.is_sqlite:
            found = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                     for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
            expected = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}
            wrong = {k: v for k, v in expected.items() if str(found[k]).lower() != str(v)}
            if wrong or not found["busy_timeout"]:
                raise StorageError(f"SQLite settings are not durable ({found}): expected journal_mode=wal, "
                                   "synchronous=2 (FULL), foreign_keys=1 and a busy_timeout; keep the database "
                                   "on a local disk (not tmpfs or a network share).")
        elif database.engine.dialect.name == "postgresql":
            mode = conn.execute(text("SHOW synchronous_commit")).scalar()
            if mode == "off" and not allow_async_commit:
                raise StorageError("PostgreSQL synchronous_commit is off: acknowledged tickets could be lost; "
                                   "turn it on, or set GUICHET_ALLOW_ASYNC_COMMIT=true to accept the risk.")


def _alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest migration id shipped with the code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    """Return the migration id the database is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_schema(database: Database) -> None:
    """Refuse to run on a database that is not at the latest migration."""
    current, head = current_revision(database), head_revision()
    if current != head:
        state = "empty (never migrated)" if current is None else f"at revision {current}"
        raise StorageError(f"The database is {state}, the code expects revision {head}: run `{UPGRADE_HINT}`.")


def upgrade(database: Database, revision: str = "head") -> None:
    """Apply the migrations in one write transaction (SQLite and PostgreSQL both have transactional DDL)."""
    from alembic import command

    with database.write_engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)

