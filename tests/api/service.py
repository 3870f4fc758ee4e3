"""A live service for API tests: the real Flask app behind a real HTTP server, a real Celery worker.

The worker consumes Celery's in-process transport in a thread of the test
process, exactly as ``orchestrator serve`` does; state is a SQLite file in a
temporary folder.  Tests talk to it over HTTP (``requests``, the openstack
CLI, openstacksdk) or through Flask's test client where the wire adds nothing.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

import requests
from celery.contrib.testing.worker import start_worker
from waitress import create_server

from orchestrator.api import create_app
from orchestrator.config import Settings
from orchestrator.engine.context import EngineSettings
from orchestrator.engine.setup import engine_services, engine_settings, open_engine
from orchestrator.worker import CeleryQueue, celery_app, register_tasks

#: project → token; ``admin`` acts in project alpha with the admin role
TOKENS = {"alpha": "alpha-token", "beta": "beta-token", "admin": "admin-token"}
TOKEN_SETTINGS = ("alpha-token=alpha/member", "beta-token=beta/member", "admin-token=alpha/admin,member")


@dataclass
class LiveService:
    """A running service and helpers to call it."""

    url: str
    app: Any
    engine: Any
    settings: Settings

    def endpoint(self, project: str = "alpha") -> str:
        """The API's URL for ``project`` (what ``--os-endpoint`` takes)."""
        return f"{self.url}/v1/{project}"

    def headers(self, who: str = "alpha") -> dict[str, str]:
        return {"X-Auth-Token": TOKENS[who], "Content-Type": "application/json", "Accept": "application/json"}

    def call(self, method: str, path: str, who: str = "alpha", project: str | None = None,
             **kwargs: Any) -> requests.Response:
        """``method`` on ``/v1/<project>/<path>`` as ``who`` (redirects are not followed)."""
        project = project or ("alpha" if who == "admin" else who)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, f"{self.endpoint(project)}/{path.lstrip('/')}",
                                headers=self.headers(who), timeout=30, **kwargs)

    def create(self, name: str, template: dict | str, who: str = "alpha", **body: Any) -> str:
        """Create a stack; its id."""
        response = self.call("POST", "stacks", who, json={"stack_name": name, "template": template, **body})
        assert response.status_code == 201, response.text
        return response.json()["stack"]["id"]

    def wait(self, name: str, stack_id: str, who: str = "alpha", timeout: float = 30) -> dict:
        """The stack once it is no longer in progress."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.call("GET", f"stacks/{name}/{stack_id}", who)
            assert response.status_code == 200, response.text
            stack = response.json()["stack"]
            if not stack["stack_status"].endswith("IN_PROGRESS"):
                return stack
            assert time.monotonic() < deadline, f"stack {name} still {stack['stack_status']}"
            time.sleep(0.05)


@contextlib.contextmanager
def live_service(folder: Path, base: Settings | None = None, **api_settings: Any) -> Iterator[LiveService]:
    """Start the service with its data in ``folder`` (and ``base``'s other settings); stop it afterwards."""
    settings = base or Settings()
    settings = replace(settings, service=replace(settings.service, data_dir=str(folder)),
                       api=replace(settings.api, port=0, tokens=TOKEN_SETTINGS,
                                   **{"signing_key": "test-signing-key", **api_settings}))
    quick = replace(engine_settings(settings), poll_initial=0.01, poll_max=0.2, retry_backoff=0.05,
                    watch_interval=0.05)
    engine = open_engine(settings, engine_settings_=quick)
    jobs = celery_app("")
    register_tasks(jobs, engine)
    app = create_app(settings, engine, CeleryQueue(jobs))
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    url = f"http://127.0.0.1:{server.effective_port}"
    app.extensions["orchestrator"].settings = replace(settings, api=replace(settings.api,
                                                                             port=server.effective_port))
    # signed signal URLs must carry the port the server got, not the 0 it was asked for
    engine.context.extra_services.update(engine_services(app.extensions["orchestrator"].settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with start_worker(jobs, pool="threads", concurrency=4, perform_ping_check=False, loglevel="WARNING",
                          shutdown_timeout=30):
            yield LiveService(url, app, engine, settings)
    finally:
        server.close()
        engine.context.close()
        engine.context.database.dispose()


__all__ = ["EngineSettings", "LiveService", "TOKENS", "assert_heat_error", "live_service"]


def assert_heat_error(response: requests.Response, status: int, error_type: str | None = None,
                      message: str | None = None) -> dict:
    """Heat's error body: ``{code, title, explanation, error: {message, type, traceback}}``."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "title", "explanation", "error"}, body
    assert body["code"] == status and body["title"] and body["explanation"]
    assert set(body["error"]) == {"message", "type", "traceback"}, body
    assert body["error"]["traceback"] is None and body["error"]["message"]
    if error_type is not None:
        assert body["error"]["type"] == error_type, body
    if message is not None:
        assert message in body["error"]["message"], body
    return body["error"]
