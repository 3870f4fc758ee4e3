"""A small harness for engine tests: a real database, a real engine, stacks created and inspected.

The database is SQLite in a temporary folder unless ``ORCHESTRATOR_TEST_DATABASE``
names another (CI runs the engine suite again on PostgreSQL); each test gets an
empty schema built by the real migrations.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, select, text

from orchestrator.db.database import Database
from orchestrator.db.models import Event, Resource, Stack
from orchestrator.engine.context import EngineContext, EngineSettings
from orchestrator.engine.requests import Job, StackRequest
from orchestrator.engine.service import Engine
from resources.registry import PluginRegistry

#: settings that keep tests fast: short polls, quick retries, a short lock lease
FAST = EngineSettings(poll_initial=0.01, poll_max=0.05, retry_backoff=0.01, watch_interval=0.02, lock_lease=5.0)


def database_url(tmp_path) -> tuple[str, callable]:
    """A fresh database for one test, and how to drop it afterwards."""
    server = os.environ.get("ORCHESTRATOR_TEST_DATABASE", "")
    if not server or server.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'engine.db'}", lambda: None
    # A server URL such as postgresql://postgres@127.0.0.1/postgres: one database per test.
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    base, _, _ = server.rpartition("/")

    def drop() -> None:
        with admin.connect() as connection:
            if admin.dialect.name == "postgresql":
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()

    return f"{base}/{name}", drop


@dataclass
class Harness:
    """An engine on a real database, with helpers to drive and inspect stacks."""

    engine: Engine
    database: Database

    @property
    def context(self) -> EngineContext:
        return self.engine.context

    def request(self, template: Any, name: str = "stack", **fields: Any) -> StackRequest:
        """A request; a template given as text is parsed by the service, as from the API."""
        if isinstance(template, str):
            template = textwrap.dedent(template)
        return StackRequest(name=name, template=template, **fields)

    def create(self, template: Any, name: str = "stack", **fields: Any) -> str:
        """Create a stack and run the job to its end; the stack's id."""
        job = self.engine.create_stack(self.request(template, name, **fields))
        self.engine.run(job)
        return job.stack_id

    def run(self, job: Job) -> bool:
        return self.engine.run(job)

    def delete(self, stack_id: str) -> bool:
        return self.engine.run(self.engine.delete_stack(stack_id))

    # -- reading -----------------------------------------------------------------------

    def stack(self, stack_id: str) -> Any:
        with self.database.engine.connect() as connection:
            return connection.execute(select(Stack.__table__).where(Stack.id == stack_id)).one()

    def state(self, stack_id: str) -> str:
        row = self.stack(stack_id)
        return f"{row.action}_{row.status}"

    def resources(self, stack_id: str) -> dict[str, Any]:
        """Current resource rows by name (replaced rows left out)."""
        with self.database.engine.connect() as connection:
            rows = connection.execute(select(Resource.__table__).where(Resource.stack_id == stack_id)
                                      .order_by(Resource.id)).all()
        return {row.name: row for row in rows if row.replaced_by is None}

    def resource_states(self, stack_id: str) -> dict[str, str]:
        return {name: f"{row.action}_{row.status}" for name, row in self.resources(stack_id).items()}

    def events(self, stack_id: str, resource: str | None = None) -> list[tuple[str, str, str]]:
        """``(name, ACTION_STATUS, reason)`` of a stack's events, oldest first."""
        with self.database.engine.connect() as connection:
            query = select(Event.resource_name, Event.action, Event.status, Event.reason).where(
                Event.stack_id == stack_id).order_by(Event.id)
            if resource is not None:
                query = query.where(Event.resource_name == resource)
            return [(r.resource_name, f"{r.action}_{r.status}", r.reason) for r in connection.execute(query)]

    def close(self) -> None:
        self.context.close()
        self.database.dispose()


def make_harness(tmp_path, settings: EngineSettings = FAST, plugins: PluginRegistry | None = None):
    """A harness and its cleanup."""
    url, drop = database_url(tmp_path)
    database = Database(url)
    database.upgrade()
    context = EngineContext(database, plugins or PluginRegistry.discover(), settings=settings)
    harness = Harness(Engine(context), database)

    def cleanup() -> None:
        harness.close()
        drop()

    return harness, cleanup
