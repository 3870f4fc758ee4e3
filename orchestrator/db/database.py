"""Connecting to the database: SQLite by default, PostgreSQL or MariaDB when configured.

SQLite is tuned for many short writes from one process and readers in
others: write-ahead logging, ``synchronous=NORMAL`` (a commit survives a crash
of the process; only a power loss can cost the last commits), a busy
timeout instead of immediate "database is locked" errors, and foreign keys on.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    """The connection pool (a SQLAlchemy engine) for one database URL."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False):
        self.url = url
        self.engine: Engine = _create_engine(url, pool_size, echo)

    def reading(self) -> Connection:
        """A connection for reads only (use it as a context manager).

        On SQLite a write transaction begins ``IMMEDIATE`` (it takes the write
        lock up front, so two writers queue instead of failing with
        "database is locked" when one upgrades from reading); reads begin
        ``DEFERRED`` so that they never wait for a writer.
        """
        return self.engine.connect().execution_options(sqlite_begin="DEFERRED")

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        from .migrate import upgrade

        upgrade(self)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def sqlite_url(path: str | Path) -> str:
    """The URL of a SQLite database file."""
    return f"sqlite:///{Path(path).resolve()}"


def _create_engine(url: str, pool_size: int, echo: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False,
                                                             "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _tune_sqlite)
        # pysqlite starts transactions itself and gets SAVEPOINTs wrong (releasing
        # one at the start of a transaction commits it); let SQLAlchemy say BEGIN.
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True,
                         pool_recycle=3600)


def _begin_sqlite(connection: Connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _tune_sqlite(connection, _record) -> None:
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
