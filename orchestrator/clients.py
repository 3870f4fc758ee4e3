"""The openstacksdk connections that resource plugins act with.

The engine asks for a connection per stack (``EngineContext.cloud_factory``);
this module answers with one per project, made on first use and then kept
(a keystoneauth session re-authenticates by itself when its token expires).
Every connection retries what a cloud may answer while busy: connection
errors and 5xx statuses, with keystoneauth's backoff.

Where the connections lead:

* ``sandbox_connections``: the embedded sandbox, in-process.  Our project
  (the one in the API's URL) is the sandbox project of the same name, made on
  first use; the sandbox's ``admin`` user acts in it with the ``member`` role
  only, so it sees that project's objects and nothing else.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import openstack
import requests
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

#: how often a request is tried again on a connection error or a 5xx status
RETRIES = 4
RETRIABLE_STATUSES = (500, 502, 503, 504)


class CloudConnections:
    """One connection per project, made by ``make(project)`` on first use."""

    def __init__(self, make: Callable[[str], Any]):
        self._make = make
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, view: Any) -> Any:
        """The connection for the stack in ``view`` (the engine's ``cloud_factory``)."""
        return self.for_project(view.project_id)

    def for_project(self, project: str) -> Any:
        """The connection acting in ``project``."""
        with self._lock:
            connection = self._made.get(project)
            if connection is None:
                connection = self._made[project] = self._make(project)
            return connection

    def close(self) -> None:
        """Close every connection made."""
        with self._lock:
            for connection in self._made.values():
                connection.close()
            self._made.clear()


def connect(session: ksa_session.Session) -> openstack.connection.Connection:
    """An openstacksdk connection on ``session``, retrying connection errors and 5xx statuses."""
    return openstack.connection.Connection(session=session, connect_retries=RETRIES,
                                           status_code_retries=RETRIES, retriable_status_codes=RETRIABLE_STATUSES)


def password_session(auth_url: str, username: str, password: str, project_name: str,
                     http: requests.Session | None = None) -> ksa_session.Session:
    """A keystoneauth session for a user of the default domain, scoped to ``project_name``."""
    auth = v3.Password(auth_url=auth_url, username=username, password=password, project_name=project_name,
                       user_domain_id="default", project_domain_id="default")
    return ksa_session.Session(auth=auth, session=http)


def sandbox_connections(app: Any, password: str) -> CloudConnections:
    """Connections to the in-process sandbox ``app``, one per project (see the module docstring)."""
    from orchestrator.sandbox.adapter import IN_PROCESS_URL, mount
    from orchestrator.sandbox.identity import ensure_member

    auth_url = f"{IN_PROCESS_URL}/identity/v3"

    def make(project: str) -> Any:
        with app.app_context():
            ensure_member(project, "admin")
        return connect(password_session(auth_url, "admin", password, project, mount(requests.Session(), app)))

    return CloudConnections(make)
