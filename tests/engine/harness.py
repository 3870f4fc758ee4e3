"""A small harness for engine tests: a real database, a real engine, stacks created and inspected.

The database is SQLite in a temporary folder unless ``ORCHESTRATOR_TEST_DATABASE``
names another (CI runs the engine suite again on PostgreSQL); each test gets an
empty schema built by the real migrations.

Tests get a harness from the fixtures of ``tests/engine/conftest.py``:
``harness`` (the ``FAST`` settings) or ``harness_with(**settings)``.
"""

from __future__ import annotations

import functools
import os
import textwrap
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import create_engine, select, text

from orchestrator.db.database import Database
from orchestrator.db.models import Event, Resource, Stack
from orchestrator.engine import locks
from orchestrator.engine.context import EngineContext, EngineSettings
from orchestrator.engine.requests import Job, StackRequest
from orchestrator.engine.service import Engine
from resources.registry import PluginRegistry

#: settings that keep tests fast: short polls, quick retries, a short lock lease
FAST = EngineSettings(poll_initial=0.01, poll_max=0.05, retry_backoff=0.01, watch_interval=0.02, lock_lease=5.0)

#: a provider template (``child.yaml``) that the nested stack and resource group tests nest
CHILD = """
heat_template_version: 2018-08-31
parameters:
  value: {type: string}
  suffix: {type: string, default: "!"}
resources:
  inner:
    type: OS::Heat::TestResource
    properties:
      value: {list_join: ["", [{get_param: value}, {get_param: suffix}]]}
outputs:
  out: {value: {get_attr: [inner, output]}}
  name: {value: {get_param: "OS::stack_name"}}
"""


@functools.cache
def discovered_plugins() -> PluginRegistry:
    """Every installed plugin, discovered once per test session and shared by the harnesses.

    The engine only reads the registry, so sharing it is safe; a test that
    adds types of its own builds its own registry and passes it as ``plugins``.
    """
    return PluginRegistry.discover()


def database_url(folder: Path) -> tuple[str, Callable[[], None]]:
    """A fresh database for one harness (SQLite in ``folder``), and how to drop it afterwards."""
    server = os.environ.get("ORCHESTRATOR_TEST_DATABASE", "")
    if not server or server.startswith("sqlite"):
        return f"sqlite:///{folder / 'engine.db'}", lambda: None
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

    def start(self, job: Job) -> threading.Thread:
        """Run a job in a thread, as a worker would, while the test looks on; join the thread returned.

        The thread is a daemon: a test that fails before the job ends cannot keep pytest from exiting.
        """
        runner = threading.Thread(target=self.run, args=(job,), daemon=True)
        runner.start()
        return runner

    def update(self, stack_id: str, template: Any, **fields: Any) -> bool:
        """Update a stack with a new template (and request fields) and run the job to its end.

        ``True`` if the stack ended up COMPLETE, as ``Engine.run`` says; ``stack()`` has the row.
        """
        return self.engine.run(self.engine.update_stack(stack_id, self.request(template, **fields)))

    def delete(self, stack_id: str) -> bool:
        return self.engine.run(self.engine.delete_stack(stack_id))

    @staticmethod
    def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10) -> None:
        """Poll ``condition`` until it holds; after ``timeout`` seconds fail, naming ``what`` was awaited."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.02)

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

    def outputs(self, stack_id: str) -> dict[str, Any]:
        """Every output's value, resolved as the API would show it; an output that fails fails the test."""
        view = self.engine.view(stack_id)
        definition = view.definition()
        values = {}
        for name in definition.outputs:
            value, error = definition.output(name, view)
            assert error is None, f"output {name}: {error}"
            values[name] = value
        return values

    def output(self, stack_id: str, name: str) -> Any:
        """One output's value (``None`` if it cannot be resolved; ``outputs`` checks for that)."""
        view = self.engine.view(stack_id)
        return view.definition().output(name, view)[0]

    def children(self, owner_id: str) -> dict[str, Any]:
        """The nested stack rows owned by ``owner_id``, by parent resource name."""
        with self.database.engine.connect() as connection:
            rows = connection.execute(select(Stack.__table__).where(Stack.owner_id == owner_id)).all()
        return {row.parent_resource: row for row in rows}

    def lock(self, stack_id: str) -> tuple[str, str, datetime] | None:
        """``(holder, action, expires_at)`` of the stack's lock, or ``None`` when it is not locked."""
        with self.database.engine.connect() as connection:
            return locks.holder_of(connection, stack_id)

    def close(self) -> None:
        self.context.close()
        self.database.dispose()


@contextmanager
def make_harness(folder: Path, settings: EngineSettings = FAST,
                 plugins: PluginRegistry | None = None, cloud: Any = None,
                 services: dict[str, Any] | None = None) -> Iterator[Harness]:
    """A harness on a fresh database (kept in ``folder`` when it is SQLite); closed and dropped on leaving.

    ``plugins`` defaults to the session's ``discovered_plugins()``; ``cloud``
    is the engine's ``cloud_factory`` (``clients.CloudConnections``, say);
    ``services`` are the engine's services for plugins (``"signals"``, say).
    """
    url, drop = database_url(folder)
    try:
        database = Database(url)
        database.upgrade()
        harness = Harness(Engine(EngineContext(database, plugins or discovered_plugins(), settings=settings,
                                               cloud_factory=cloud, extra_services=services or {})), database)
        try:
            yield harness
        finally:
            harness.close()
    finally:
        drop()
