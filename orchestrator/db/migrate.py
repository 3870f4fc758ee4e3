"""Running the Alembic migrations from code (``orchestrator db upgrade`` and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database) -> Config:
    """An Alembic configuration bound to ``database`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = database.engine
    return config


def upgrade(database, revision: str = "head") -> None:
    """Apply every migration up to ``revision``."""
    command.upgrade(alembic_config(database), revision)


def downgrade(database, revision: str) -> None:
    """Undo migrations down to ``revision`` (``base`` for an empty database)."""
    command.downgrade(alembic_config(database), revision)


def current(database) -> str | None:
    """The revision the database is at."""
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
