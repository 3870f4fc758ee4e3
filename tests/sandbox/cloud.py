"""A sandbox cloud for tests: the emulator in-process or on a real socket, and openstacksdk connections to it.

``sandbox_cloud()`` reaches the emulator through the in-process requests
adapter (the sandbox's own tests: no socket needed); ``sandbox_cloud(over_http=True)``
serves it with waitress on 127.0.0.1 (a free port, a daemon thread) and the
engine's connections are ``http_sandbox_connections``, as with ``[cloud]
sandbox_url``.  Over HTTP the tests' own connections (``connect``,
``connect_as``, ``http``) are separate from the engine's and note the id of
every object they create (``made``), so the leftover check
(``leftovers``) can tell what the test made itself from what stacks left.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

import requests
from waitress import create_server, wasyncore

from orchestrator.clients import (CloudConnections, connect, http_sandbox_connections, password_session,
                                  sandbox_connections)
from orchestrator.config import SandboxSettings
from orchestrator.sandbox import close_sandbox, create_app
from orchestrator.sandbox.adapter import IN_PROCESS_URL, mount
from orchestrator.sandbox.identity import ensure_member

#: quick transitions, so tests see BUILD → ACTIVE without waiting long
FAST_CLOUD = SandboxSettings(build_seconds=0.2, delete_seconds=0.1)

#: what the leftover check looks for: the store's kind → how a failure names it
LEAK_KINDS = {"server": "server", "port": "port", "volume": "volume", "floatingip": "floating IP",
              "octavia_loadbalancer": "load balancer", "alarm": "alarm"}


@dataclass
class SandboxCloud:
    """A running sandbox (in-process, or served on ``url``)."""

    app: Any
    settings: SandboxSettings
    #: what the engine's ``cloud_factory`` is in these tests: one connection per project
    connections: CloudConnections
    #: the sandbox's root URL (``IN_PROCESS_URL`` when it is reached in-process)
    url: str = IN_PROCESS_URL
    #: the tests' own connections when they differ from the engine's (over HTTP)
    own: CloudConnections | None = None
    #: ids of the objects the tests' own connections created (over HTTP)
    made: set[str] = field(default_factory=set)
    _extra: list[Any] = field(default_factory=list)

    @property
    def over_http(self) -> bool:
        return self.url != IN_PROCESS_URL

    @property
    def store(self) -> Any:
        return self.app.extensions["sandbox"].store

    def connect(self, project: str = "demo") -> Any:
        """An openstacksdk connection acting in ``project`` (as the engine's plugins would)."""
        return (self.own or self.connections).for_project(project)

    def connect_as(self, user: str, project: str) -> Any:
        """A connection as ``user`` (password: the sandbox's) scoped to ``project``: for admin or beta calls."""
        made = connect(password_session(f"{self.url}/identity/v3", user, self.settings.password, project,
                                        self.http()))
        self._extra.append(made)
        return made

    def http(self) -> requests.Session:
        """A plain requests session that reaches the sandbox at ``url``."""
        if not self.over_http:
            return mount(requests.Session(), self.app)
        return recording_session(self.made)

    # -- the leftover check ------------------------------------------------------------------

    def inventory(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every server, port, volume, floating IP and load balancer in the sandbox (any project), by kind and id."""
        return {kind: {body["id"]: body for body in self.store.list(kind)} for kind in LEAK_KINDS}

    def leftovers(self, before: dict[str, dict[str, dict[str, Any]]], wait: float = 3.0) -> list[str]:
        """What appeared since ``before`` and is not the tests' own: each named, with its project.

        Objects still going (a server ``deleting``, a volume's delete
        scheduled) get ``wait`` seconds to go.  Not counted: what the tests'
        own connections made (``made``), and ports that belong to such an
        object or to one there before (a server's port made by Nova, a load
        balancer's VIP port, a router's gateway and interfaces, a floating IP's
        port): those come and go with their owner.
        """
        deadline = time.monotonic() + wait
        while True:
            found = self._new_objects(before)
            if not found or time.monotonic() >= deadline:
                projects = {project["id"]: project["name"] for project in self.store.list("project")}
                return [describe(kind, body, projects) for kind, body in found]
            time.sleep(0.05)

    def _new_objects(self, before: dict[str, dict[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
        after = self.inventory()
        owned = set(self.made) | {object_id for objects in before.values() for object_id in objects}
        found = []
        for kind, objects in after.items():
            for object_id, body in objects.items():
                if object_id in before[kind] or object_id in self.made:
                    continue
                if kind == "port" and _device(body) in owned:
                    continue
                found.append((kind, body))
        return found

    def close(self) -> None:
        for made in self._extra:
            made.close()
        self._extra.clear()


def _device(port: dict[str, Any]) -> str:
    """The id of the object a port belongs to (a load balancer's VIP port says ``lb-<id>``)."""
    return (port.get("device_id") or "").removeprefix("lb-")


def describe(kind: str, body: dict[str, Any], projects: dict[str, str] | None = None) -> str:
    """One leftover as a failure names it: ``port 1234 (name "x", device_owner compute:nova, …, project demo)``."""
    details = [f'name "{body["name"]}"'] if body.get("name") else []
    if kind == "port":
        details += [f"device_owner {body.get('device_owner') or '-'}", f"device_id {body.get('device_id') or '-'}"]
    if kind == "floatingip":
        details.append(f"address {body.get('floating_ip_address')}")
    status = body.get("status") or body.get("provisioning_status")
    if status:
        details.append(f"status {status}")
    project = body.get("project_id") or body.get("tenant_id") or body.get("os-vol-tenant-attr:tenant_id")
    if project:
        details.append(f"project {(projects or {}).get(project, project)}")
    return f"{LEAK_KINDS[kind]} {body['id']} ({', '.join(details)})"


def recording_session(made: set[str]) -> requests.Session:
    """A requests session that adds to ``made`` the id of every object a successful POST answers with."""
    session = requests.Session()

    def record(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if response.request.method != "POST" or not 200 <= response.status_code < 300:
            return
        try:
            body = json.loads(response.content or b"null")
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("alarm_id"), str):
            made.add(body["alarm_id"])  # Aodh answers with the alarm itself, keyed alarm_id
        for value in (body.values() if isinstance(body, dict) else ()):
            for item in (value if isinstance(value, list) else [value]):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    made.add(item["id"])

    session.hooks["response"].append(record)
    return session


def own_connections(app: Any, url: str, password: str, made: set[str]) -> CloudConnections:
    """The tests' connections to the sandbox served at ``url``: recording what they create in ``made``."""
    auth_url = f"{url}/identity/v3"

    def make(project: str) -> Any:
        with app.app_context():
            ensure_member(project, "admin")
        return connect(password_session(auth_url, "admin", password, project, recording_session(made)))

    return CloudConnections(make)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served by waitress on 127.0.0.1 (a free port) in a daemon thread: its root URL.

    waitress's ``run`` loops while any client connection is open, waking once
    a second; this loop wakes on the server's trigger instead, so leaving
    stops the server at once and closes the connections still open.
    """
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            server.asyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=server._map,
                                 use_poll=server.adj.asyncore_use_poll, count=1)
        server.close()
        wasyncore.close_all(server._map, ignore_all=True)
        server.task_dispatcher.shutdown(timeout=5)

    thread = threading.Thread(target=serve, name="sandbox-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop.set()
        server.pull_trigger()
        thread.join(timeout=10)


@contextmanager
def sandbox_cloud(over_http: bool = False, **changes: Any) -> Iterator[SandboxCloud]:
    """A fresh in-memory sandbox with ``FAST_CLOUD`` settings (``changes`` override them).

    ``over_http``: served on a real socket, the engine's connections being
    ``http_sandbox_connections`` and the tests' own separate ones.
    """
    settings = replace(FAST_CLOUD, **changes)
    app = create_app(settings)
    try:
        if not over_http:
            running = SandboxCloud(app, settings, sandbox_connections(app, settings.password))
            try:
                yield running
            finally:
                running.close()
                running.connections.close()
            return
        with served(app) as url:
            made: set[str] = set()
            running = SandboxCloud(app, settings, http_sandbox_connections(url, settings.password), url,
                                   own_connections(app, url, settings.password, made), made)
            try:
                yield running
            finally:
                running.close()
                running.connections.close()
                running.own.close()  # type: ignore[union-attr]
    finally:
        close_sandbox(app)  # and the alarm evaluator, if a test started it
