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
* ``TrustConnections`` (``[cloud] auth = "trust"``): no credentials of our
  own in anyone's project.  Each stack acts with the Keystone trust its user
  gave the service user when creating it (``orchestrator.keystone``), one
  connection per trust; requests checked while their user waits act with
  the user's own token.

``cloud_factory(settings)`` picks one from the ``[cloud]`` settings.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any, Callable

import openstack
import requests
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

from orchestrator.config import Settings
from orchestrator.keystone import CallerToken, ServiceUser, TrustError

log = logging.getLogger(__name__)

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


def connect(session: ksa_session.Session, **config: Any) -> openstack.connection.Connection:
    """An openstacksdk connection on ``session``, retrying connection errors and 5xx statuses.

    ``config`` is more of openstacksdk's cloud settings (``region_name``, ``interface``).
    """
    return openstack.connection.Connection(session=session, connect_retries=RETRIES,
                                           status_code_retries=RETRIES, retriable_status_codes=RETRIABLE_STATUSES,
                                           **config)


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


class TrustConnections:
    """Connections that act with each stack's Keystone trust, as the ``[keystone]`` service user.

    The engine's ``cloud_factory`` and its keeper of trusts: it makes a
    stack's trust when the stack is created (``create_trust``), acts with it
    for as long as the stack lives, and deletes it with the stack
    (``delete_trust``).  A connection is made per trust on first use and
    kept (the most recently used ``cache_size`` of them); its session logs in
    again by itself when its token nears expiry.
    """

    def __init__(self, service: ServiceUser, cache_size: int = 512):
        self.service = service
        self._cache_size = cache_size
        self._by_trust: OrderedDict[str, Any] = OrderedDict()
        self._by_token: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()
        configured = service.settings
        self._config = {key: value for key, value in (("region_name", configured.region_name),
                                                       ("interface", configured.interface)) if value}

    def __call__(self, target: Any) -> Any:
        """The connection for a stack (a view with its ``trust_id``) or a request's checks (its ``credentials``)."""
        trust_id = getattr(target, "trust_id", None)
        if trust_id:
            return self.for_trust(trust_id)
        caller = getattr(target, "credentials", None)
        if isinstance(caller, CallerToken):
            return self.for_caller(caller)
        name = getattr(target, "name", None)
        raise TrustError(f"stack {name or '(none)'} has no Keystone trust to act with: with [cloud] auth = trust "
                         "a stack acts only with the trust its user gave when creating it through the API")

    def for_trust(self, trust_id: str) -> Any:
        """The connection acting with trust ``trust_id``."""
        return self._cached(self._by_trust, trust_id, lambda: self.service.trust_session(trust_id))

    def for_caller(self, caller: CallerToken) -> Any:
        """The connection acting with the caller's own token, in its project."""
        return self._cached(self._by_token, (caller.token, caller.project_id),
                            lambda: self.service.caller_session(caller))

    def _cached(self, cache: OrderedDict, key: Any, session: Callable[[], ksa_session.Session]) -> Any:
        with self._lock:
            connection = cache.get(key)
            if connection is None:
                connection = cache[key] = connect(session(), **self._config)
                if len(cache) > self._cache_size:
                    # not closed: another thread may still be using it
                    cache.popitem(last=False)
            else:
                cache.move_to_end(key)
            return connection

    def create_trust(self, caller: CallerToken | None, project_id: str) -> str:
        """A new trust from the caller to the service user in ``project_id``; its id."""
        if caller is None:
            raise TrustError("this service acts in the cloud with Keystone trusts ([cloud] auth = trust): a stack "
                             "can only be made by a caller whose Keystone token makes its trust")
        return self.service.create_trust(caller, project_id)

    def delete_trust(self, trust_id: str) -> None:
        """Delete a trust, logging (never raising) when Keystone will not: a stack delete must not fail on it."""
        with self._lock:
            connection = self._by_trust.pop(trust_id, None)
        session = connection.session if connection is not None else self.service.trust_session(trust_id)
        try:
            self.service.delete_trust(session, trust_id)
        except TrustError as exc:
            log.warning("could not delete trust %s: %s", trust_id, exc)

    def close(self) -> None:
        """Close every connection made."""
        with self._lock:
            for connection in (*self._by_trust.values(), *self._by_token.values()):
                connection.close()
            self._by_trust.clear()
            self._by_token.clear()


def cloud_factory(settings: Settings) -> Any:
    """The engine's ``cloud_factory`` for the ``[cloud]`` settings, or ``None`` when no cloud is configured."""
    if settings.cloud.auth == "trust":
        return TrustConnections(ServiceUser(settings.keystone))
    if settings.cloud.sandbox_url:
        return http_sandbox_connections(settings.cloud.sandbox_url, settings.sandbox.password)
    if settings.cloud.name:
        return NamedCloudConnection(settings.cloud.name)
    return None
