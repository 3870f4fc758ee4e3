"""``orchestrator db …``: bring the service's database schema up (or down) to a migration.

Operators run ``orchestrator db upgrade`` after installing a new release and
before starting the service; the embedded SQLite database needs nothing but
this (its data directory is made if it is missing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, TypeVar

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from orchestrator.config import Settings
from orchestrator.db import migrate
from orchestrator.db.database import Database

T = TypeVar("T")


@click.group()
def db() -> None:
    """Manage the service's database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_obj
def upgrade(settings: Settings, revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    database = _open(settings, create_directory=True)
    _attempt(database, lambda: migrate.upgrade(database, revision))
    click.echo(_outcome(database))


@db.command("downgrade")
@click.argument("revision")
@click.pass_obj
def downgrade(settings: Settings, revision: str) -> None:
    """Undo migrations down to REVISION (``base`` removes every table)."""
    database = _open(settings)
    _attempt(database, lambda: migrate.downgrade(database, revision))
    click.echo(_outcome(database))


@db.command("current")
@click.pass_obj
def current(settings: Settings) -> None:
    """Print the revision the database is at, and whether it is the newest."""
    database = _open(settings)
    click.echo(_describe(database))


def _open(settings: Settings, create_directory: bool = False) -> Database:
    url = settings.database_url()
    try:
        parsed = make_url(url)
    except SQLAlchemyError as exc:
        raise click.UsageError(f"database url {url!r} is not valid: {exc}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).parent
        if create_directory:
            folder.mkdir(parents=True, exist_ok=True)
        elif not Path(parsed.database).exists():
            # Connecting would create an empty file, hiding a wrong path or a missing upgrade.
            raise click.ClickException(f"no database at {parsed.database}: run 'orchestrator db upgrade' first")
    try:
        return Database(url, pool_size=settings.database.pool_size)
    except (SQLAlchemyError, ImportError) as exc:
        raise click.ClickException(f"cannot use database {_hidden(url)}: {exc}") from None


def _describe(database: Database) -> str:
    """``0001 (head)``, ``0001 (newest is 0002)`` or ``none (empty database)``."""
    revision = _attempt(database, lambda: migrate.current(database))
    head = ScriptDirectory.from_config(migrate.alembic_config(database)).get_current_head()
    if revision is None:
        return "none (empty database)"
    return f"{revision} (head)" if revision == head else f"{revision} (newest is {head})"


def _outcome(database: Database) -> str:
    return f"{_shown(database)}: now at revision {_describe(database)}"


def _attempt(database: Database, work: Callable[[], T]) -> T:
    """Run ``work``, turning database and migration errors into one line for the user."""
    try:
        return work()
    except CommandError as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise click.ClickException(f"{_shown(database)}: {detail}") from None


def _shown(database: Database) -> str:
    return _hidden(database.url)


def _hidden(url: str) -> str:
    """The URL with its password masked (it goes to terminals and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return url
