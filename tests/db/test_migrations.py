"""The migrations, on every database the service supports: they build, undo and rebuild the
schema, and the schema they build is exactly the one the models describe.

Each test gets a database of its own, created and dropped here, so no existing
data is ever touched.  The servers are found through
``ORCHESTRATOR_TEST_POSTGRESQL`` and ``ORCHESTRATOR_TEST_MARIADB`` (an admin
URL; the database part names one to connect to while creating the test's
own).  A server that does not answer fails the test: CI starts them, and a
skipped test would hide a migration that only breaks there.
"""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from orchestrator.db import migrate
from orchestrator.db.database import Database
from orchestrator.db.models import Base

SERVERS = {
    "postgresql": os.environ.get("ORCHESTRATOR_TEST_POSTGRESQL", "postgresql+psycopg2://postgres@127.0.0.1/postgres"),
    "mariadb": os.environ.get("ORCHESTRATOR_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1/test"),
}
TABLES = {"stack", "resource", "event", "raw_template", "stack_lock", "snapshot"}
SCRIPTS = ScriptDirectory(str(migrate.MIGRATIONS))
HEAD = SCRIPTS.get_current_head()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database(request, tmp_path) -> Iterator[Database]:
    """An empty database of one kind, dropped afterwards."""
    kind = request.param
    if kind == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield database
        database.dispose()
        return
    server = SERVERS[kind]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"test_migrations_{uuid.uuid4().hex[:12]}"
    problem = None
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError as exc:
        problem = str(exc.orig).strip()
    if problem is not None:
        admin.dispose()
        pytest.fail(f"the {kind} server at {admin.url.render_as_string(hide_password=True)} is not usable "
                    f"(start it, or point ORCHESTRATOR_TEST_{kind.upper()} at one): {problem}", pytrace=False)
    database = Database(f"{server.rpartition('/')[0]}/{name}")
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            force = " WITH (FORCE)" if kind == "postgresql" else ""
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()


def tables(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names()) - {"alembic_version"}


def differences(database: Database) -> list:
    """What autogenerate would write to bring the database to the models (empty: they agree)."""
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_downgrade_upgrade(database):
    assert migrate.current(database) is None
    database.upgrade()
    assert migrate.current(database) == HEAD
    assert tables(database) == TABLES

    migrate.downgrade(database, "base")
    assert migrate.current(database) is None
    assert tables(database) == set()
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar() == 0

    database.upgrade()
    assert migrate.current(database) == HEAD
    assert tables(database) == TABLES


def test_every_migration_steps_down_and_up_again(database):
    """Each revision's downgrade undoes exactly its upgrade (so a bad release can be backed out)."""
    revisions = [script.revision for script in reversed(list(SCRIPTS.walk_revisions()))]
    for revision in revisions:
        migrate.upgrade(database, revision)
        before = schema_shape(database)
        migrate.downgrade(database, "-1")
        migrate.upgrade(database, revision)
        assert migrate.current(database) == revision
        assert schema_shape(database) == before, f"{revision} does not rebuild what it undid"
    assert migrate.current(database) == HEAD


def schema_shape(database: Database) -> list[str]:
    """A comparable description of the schema: each table with its columns, indexes and keys."""
    inspector = inspect(database.engine)
    shape = []
    for table in sorted(tables(database)):
        columns = sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table))
        indexes = sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table))
        keys = sorted((f["name"], tuple(f["constrained_columns"]), f["referred_table"])
                      for f in inspector.get_foreign_keys(table))
        shape.append(repr((table, columns, indexes, keys)))
    return shape


def test_the_models_match_the_migrations(database):
    database.upgrade()
    assert differences(database) == []


def test_the_comparison_would_see_a_drift(database):
    """Proof that the empty difference above means something on this database."""
    database.upgrade()
    drifted = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(drifted)
    Table("stack_lock", drifted, Column("renewals", Integer), extend_existing=True)
    with database.engine.connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), drifted)
    assert [(d[0], d[2], d[3].name) for d in found if d[0] == "add_column"] == [
        ("add_column", "stack_lock", "renewals")]
