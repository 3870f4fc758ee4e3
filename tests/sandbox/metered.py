"""A sandbox whose clock the test moves, for the telemetry tests: servers, load and measures at chosen times.

Metrics are computed from load levels and measures at the times they
happened, so a test that moves the sandbox's clock (``clock.advance``) sees
exactly the samples of a cloud that ran that long, without waiting.  Clients
reach the sandbox in-process, as ``sandbox_cloud()`` does, through real
openstacksdk connections and keystoneauth adapters for Gnocchi and Aodh.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

from keystoneauth1 import adapter

from orchestrator.clients import CloudConnections, sandbox_connections
from orchestrator.config import SandboxSettings
from orchestrator.sandbox import close_sandbox, create_app
from orchestrator.sandbox.store import Store

#: a start on a whole hour, so that periods of any usual granularity begin on it
EPOCH = 1_800_000_000.0
#: tokens that outlive any clock a test moves
SETTINGS = SandboxSettings(build_seconds=0.0, delete_seconds=0.0, token_seconds=1e9)


class ManualClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: float = EPOCH):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@dataclass
class MeteredCloud:
    """The sandbox, its store and clock, and one connection per project (the admin user acting as a member)."""

    app: Any
    store: Store
    clock: ManualClock
    connections: CloudConnections

    def connect(self, project: str = "demo") -> Any:
        return self.connections.for_project(project)

    def metric(self, project: str = "demo") -> adapter.Adapter:
        """Gnocchi, as a project's member."""
        return adapter.Adapter(self.connect(project).session, service_type="metric", interface="public")

    def alarming(self, project: str = "demo") -> adapter.Adapter:
        """Aodh, as a project's member."""
        return adapter.Adapter(self.connect(project).session, service_type="alarming", interface="public")

    def boot(self, name: str, group: str | None = None, project: str = "demo", flavor: str = "1") -> str:
        """A server (in a group when ``group`` is given, as an autoscaling group's members are); its id."""
        connection = self.connect(project)
        image = connection.image.find_image("cirros", ignore_missing=False)
        metadata = {"metering.server_group": group} if group else {}
        return connection.compute.create_server(name=name, image_id=image.id, flavor_id=flavor, networks="none",
                                                metadata=metadata).id


@contextmanager
def metered_cloud(**changes: Any) -> Iterator[MeteredCloud]:
    """A fresh in-memory sandbox on a ``ManualClock`` (``changes`` override ``SETTINGS``)."""
    clock = ManualClock()
    settings = replace(SETTINGS, **changes)
    store = Store("sqlite://", clock=clock)
    app = create_app(settings, store)
    connections = sandbox_connections(app, settings.password)
    try:
        yield MeteredCloud(app, store, clock, connections)
    finally:
        connections.close()
        close_sandbox(app)


def gnocchi_alarm(name: str, group: str, threshold: float, **rule: Any) -> dict[str, Any]:
    """An Aodh alarm on the mean CPU use of a group of servers, per 60 s, beyond ``threshold``."""
    actions = {key: rule.pop(key) for key in ("alarm_actions", "ok_actions", "insufficient_data_actions",
                                               "repeat_actions", "enabled") if key in rule}
    return {"name": name, "type": "gnocchi_aggregation_by_resources_threshold", **actions,
            "gnocchi_aggregation_by_resources_threshold_rule": {
                "metric": "cpu_util", "aggregation_method": "mean", "granularity": 60, "threshold": threshold,
                "comparison_operator": "gt", "resource_type": "instance",
                "query": json.dumps({"=": {"server_group": group}}), **rule}}


class WebhookListener:
    """A real local HTTP server that records every POST it receives (body and headers)."""

    def __init__(self, status: int = 200):
        self.received: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                listener.received.append({"path": self.path, "headers": dict(self.headers),
                                          "body": json.loads(body or b"null")})
                listener.arrived.set()
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-listener", daemon=True)

    def __enter__(self) -> "WebhookListener":
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
