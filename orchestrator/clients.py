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
* ``http_sandbox_connections``: the same, with an ``orchestrator sandbox
  serve`` reached over HTTP (``[cloud] sandbox_url``); the project and the
  role are made through the sandbox's Keystone API, as its admin.
* ``named_cloud_connections``: a cloud of clouds.yaml (``[cloud] name``),
  one connection with its credentials for every project.

``cloud_factory(settings)`` picks one from the ``[cloud]`` settings.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import openstack
import requests
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

from orchestrator.config import Settings

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


#: the sandbox's own administrator: its user, the project it is admin in, the role it gets elsewhere
SANDBOX_ADMIN, SANDBOX_ADMIN_PROJECT, MEMBER_ROLE = "admin", "admin", "member"


def http_sandbox_connections(url: str, password: str) -> CloudConnections:
    """Connections to an ``orchestrator sandbox serve`` at ``url``, one per project (see the module docstring)."""
    auth_url = f"{url.rstrip('/')}/identity/v3"
    lock = threading.Lock()
    admin: list[Any] = []

    def make(project: str) -> Any:
        with lock:  # one admin connection makes the projects of every other
            if not admin:
                admin.append(connect(password_session(auth_url, SANDBOX_ADMIN, password, SANDBOX_ADMIN_PROJECT)))
            _ensure_member(admin[0], project, SANDBOX_ADMIN)
        return connect(password_session(auth_url, SANDBOX_ADMIN, password, project))

    connections = CloudConnections(make)
    close = connections.close

    def close_all() -> None:
        close()
        for connection in admin:
            connection.close()

    connections.close = close_all  # type: ignore[method-assign]
    return connections


def _ensure_member(admin: Any, project_name: str, user_name: str) -> None:
    """Project ``project_name`` (made if missing) with ``user_name`` holding its member role, through Keystone."""
    identity = admin.identity
    try:
        project = identity.find_project(project_name, ignore_missing=False)
    except openstack.exceptions.NotFoundException:
        project = identity.create_project(name=project_name, domain_id="default")
    user = identity.find_user(user_name, ignore_missing=False)
    role = identity.find_role(MEMBER_ROLE, ignore_missing=False)
    # granting a role the user already holds changes nothing: no need to ask first
    identity.assign_project_role_to_user(project, user, role)


class NamedCloudConnection:
    """One connection to a cloud of clouds.yaml, for every project (made on first use)."""

    def __init__(self, name: str):
        self.name = name
        self._connection: Any = None
        self._lock = threading.Lock()

    def __call__(self, view: Any) -> Any:
        """The connection (the engine's ``cloud_factory``; every stack gets the same)."""
        return self.for_project(view.project_id)

    def for_project(self, project: str) -> Any:
        """The connection; the project is the one of the cloud's credentials, whatever ``project`` is."""
        with self._lock:
            if self._connection is None:
                self._connection = openstack.connect(cloud=self.name, connect_retries=RETRIES,
                                                     status_code_retries=RETRIES)
            return self._connection

    def close(self) -> None:
        """Close the connection if it was made."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def cloud_factory(settings: Settings) -> Any:
    """The engine's ``cloud_factory`` for the ``[cloud]`` settings, or ``None`` when no cloud is configured."""
    if settings.cloud.sandbox_url:
        return http_sandbox_connections(settings.cloud.sandbox_url, settings.sandbox.password)
    if settings.cloud.name:
        return NamedCloudConnection(settings.cloud.name)
    return None
