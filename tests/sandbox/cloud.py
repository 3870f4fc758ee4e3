"""A sandbox cloud for tests: the emulator in-process, and openstacksdk connections to it."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator

import requests

from orchestrator.clients import CloudConnections, connect, password_session, sandbox_connections
from orchestrator.config import SandboxSettings
from orchestrator.sandbox import create_app
from orchestrator.sandbox.adapter import IN_PROCESS_URL, mount

#: quick transitions, so tests see BUILD → ACTIVE without waiting long
FAST_CLOUD = SandboxSettings(build_seconds=0.2, delete_seconds=0.1)


@dataclass
class SandboxCloud:
    """A running in-process sandbox."""

    app: Any
    settings: SandboxSettings
    #: what the engine's ``cloud_factory`` is in these tests: one connection per project
    connections: CloudConnections

    def connect(self, project: str = "demo") -> Any:
        """An openstacksdk connection acting in ``project`` (as the engine's plugins would)."""
        return self.connections.for_project(project)

    def connect_as(self, user: str, project: str) -> Any:
        """A connection as ``user`` (password: the sandbox's) scoped to ``project``: for admin or beta calls."""
        http = mount(requests.Session(), self.app)
        return connect(password_session(f"{IN_PROCESS_URL}/identity/v3", user, self.settings.password, project,
                                        http))

    def http(self) -> requests.Session:
        """A plain requests session that reaches the sandbox at ``IN_PROCESS_URL``."""
        return mount(requests.Session(), self.app)


@contextmanager
def sandbox_cloud(**changes: Any) -> Iterator[SandboxCloud]:
    """A fresh in-memory sandbox with ``FAST_CLOUD`` settings (``changes`` override them)."""
    settings = replace(FAST_CLOUD, **changes)
    app = create_app(settings)
    connections = sandbox_connections(app, settings.password)
    try:
        yield SandboxCloud(app, settings, connections)
    finally:
        connections.close()
        app.extensions["sandbox"].store.close()
