"""Keystone trusts: how a stack keeps acting as the user who made it, long after their token has expired.

With ``[cloud] auth = "trust"`` the service never acts in a user's project
with credentials of its own.  When a user creates a stack, their token makes
a trust: the user is the trustor, the service user of ``[keystone]`` the
trustee, the project is the stack's, the roles are the token's (or
``trusts_delegated_roles``), and impersonation is on, so the cloud sees the
user as the one who made each object.  The trust's id is stored with the
stack; whoever runs the stack's operations later (a worker, a signal, an
autoscaling alarm) authenticates as the service user scoped to that trust.
Deleting the stack deletes the trust.

What Keystone does that this relies on (checked against Keystone Zed):

* only the trustor may create a trust (403 otherwise), and only with roles
  they hold in the project (404 for a role they do not hold);
* a trust-scoped token stands for the trustor (impersonation), in the
  trust's project, with the trust's roles;
* the trustee's own token may not delete the trust (403), a token scoped to
  the trust may: so deleting needs no administrator;
* authenticating with a trust that is gone is a 401; with one whose trustor
  has since lost a delegated role, a 403.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from keystoneauth1 import exceptions as ksa_exceptions
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

from orchestrator.config import KeystoneSettings


@dataclass(frozen=True)
class CallerToken:
    """A caller's own Keystone token and what it says, as the API validated it."""

    token: str
    user_id: str
    project_id: str
    #: the names of the token's roles
    roles: tuple[str, ...]


class TrustError(Exception):
    """Keystone will not make a trust, or no longer honours one; the message says which and why."""


class TrustGone(TrustError):
    """Keystone no longer knows the trust: it was deleted, or it expired."""


class KeystoneUnreachable(TrustError):
    """Keystone did not answer."""


def identity_url(auth_url: str) -> str:
    """Keystone's v3 root from an auth URL given with or without its ``/v3``."""
    url = auth_url.rstrip("/")
    return url if url.endswith("/v3") else f"{url}/v3"


class _TrustPassword(v3.Password):
    """The service user's password scoped to one trust; Keystone's refusals become a ``TrustError``.

    keystoneauth authenticates again by itself when the token nears its
    expiry or a service answers 401 (a revoked token): a trust deleted or
    broken in between then fails with a message that says so, rather than a
    bare 401 from whichever service was called.
    """

    def get_auth_ref(self, session: Any, **kwargs: Any) -> Any:
        try:
            return super().get_auth_ref(session, **kwargs)
        except (ksa_exceptions.Unauthorized, ksa_exceptions.NotFound):
            raise TrustGone(f"Keystone no longer honours trust {self.trust_id}: it was deleted or has expired"
                            ) from None
        except ksa_exceptions.Forbidden as exc:
            raise TrustError(f"Keystone refuses trust {self.trust_id}: its user no longer holds the roles it "
                             f"delegates ({exc.message})") from None
        except ksa_exceptions.ConnectFailure as exc:
            raise KeystoneUnreachable(f"Keystone cannot be reached to act with trust {self.trust_id}: {exc}"
                                      ) from None


class ServiceUser:
    """The service user of ``[keystone]``: makes, uses and deletes the trusts that users give it."""

    def __init__(self, settings: KeystoneSettings):
        self.settings = settings
        self.url = identity_url(settings.auth_url)
        self._user_id: str | None = None
        self._lock = threading.Lock()

    def session(self, auth: Any = None) -> ksa_session.Session:
        """A keystoneauth session with ``auth`` and the configured TLS verification."""
        verify: bool | str = self.settings.cafile or not self.settings.insecure
        return ksa_session.Session(auth=auth, verify=verify)

    def _password(self, cls: type = v3.Password, **scope: Any) -> Any:
        configured = self.settings
        domain = {key: value for key, value in (("user_domain_name", configured.user_domain_name),
                                                ("user_domain_id", configured.user_domain_id)) if value}
        return cls(auth_url=self.url, username=configured.username, password=configured.password,
                   **domain, **scope)

    @property
    def user_id(self) -> str:
        """The service user's id (asked of Keystone once): every trust's trustee."""
        with self._lock:
            if self._user_id is None:
                configured = self.settings
                scope = {key: value for key, value in (
                    ("project_name", configured.project_name),
                    ("project_domain_name", configured.project_domain_name),
                    ("project_domain_id", configured.project_domain_id)) if value}
                session = self.session(self._password(**scope))
                try:
                    self._user_id = session.get_user_id()
                except ksa_exceptions.ConnectFailure as exc:
                    raise KeystoneUnreachable(f"Keystone cannot be reached at {self.url}: {exc}") from None
                except ksa_exceptions.ClientException as exc:
                    raise TrustError(f"the service user {configured.username!r} cannot log in to Keystone at "
                                     f"{self.url}: {exc}") from None
            return self._user_id

    def create_trust(self, caller: CallerToken, project_id: str) -> str:
        """A new trust from ``caller`` to the service user in ``project_id``; its id.

        It delegates ``trusts_delegated_roles``, else every role of the
        caller's token, with impersonation.
        """
        roles = self.settings.trusts_delegated_roles or caller.roles
        body = {"trust": {"trustor_user_id": caller.user_id, "trustee_user_id": self.user_id,
                          "project_id": project_id, "impersonation": True,
                          "roles": [{"name": name} for name in roles]}}
        try:
            response = self.session().post(f"{self.url}/OS-TRUST/trusts", json=body, authenticated=False,
                                           raise_exc=False, headers={"X-Auth-Token": caller.token})
        except ksa_exceptions.ConnectFailure as exc:
            raise KeystoneUnreachable(f"Keystone cannot be reached to make the stack's trust: {exc}") from None
        if response.status_code != 201:
            raise TrustError(f"Keystone refused to make the stack's trust (delegating roles "
                             f"{', '.join(roles) or 'none'} to the service user in project {project_id}): "
                             f"{_keystone_message(response)}")
        return response.json()["trust"]["id"]

    def trust_session(self, trust_id: str) -> ksa_session.Session:
        """A session that acts as the trust's user, in its project, with its roles."""
        return self.session(self._password(_TrustPassword, trust_id=trust_id))

    def caller_session(self, caller: CallerToken) -> ksa_session.Session:
        """A session that acts with the caller's own token, in its project (checks made while they wait)."""
        return self.session(v3.Token(auth_url=self.url, token=caller.token, project_id=caller.project_id))

    def delete_trust(self, session: ksa_session.Session, trust_id: str) -> None:
        """Delete the trust with a ``session`` scoped to it; a trust already gone is no error."""
        try:
            response = session.delete(f"{self.url}/OS-TRUST/trusts/{trust_id}", raise_exc=False)
        except TrustGone:
            return
        except ksa_exceptions.ConnectFailure as exc:
            raise KeystoneUnreachable(f"Keystone cannot be reached to delete trust {trust_id}: {exc}") from None
        if response.status_code not in (204, 404):
            raise TrustError(f"Keystone refused to delete trust {trust_id}: {_keystone_message(response)}")


def _keystone_message(response: Any) -> str:
    """What Keystone's error body says, else the status."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    message = error.get("message") if isinstance(error, dict) else None
    return f"{message} (HTTP {response.status_code})" if message else f"HTTP {response.status_code}"
