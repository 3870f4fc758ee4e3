"""Who is calling: a request's token becomes a ``RequestContext`` (project, user, roles).

Three modes, chosen in configuration (``[api] auth``):

- ``token``: static tokens from configuration, each bound to one project
  and its roles (``TOKEN=PROJECT/role,role``); clients send it as
  ``X-Auth-Token`` (``openstack --os-auth-type admin_token --os-token …``).
- ``keystone``: the token is validated against a Keystone v3 endpoint (the
  user's own token validates itself, so no service account is needed), and
  the result is trusted for ``token_cache_seconds``.  The caller's token and
  user id go on to the engine (``cloud_credentials``): checks made while
  they wait act with it, and it makes a new stack's Keystone trust.
- ``none``: no authentication; every request acts in the project its URL
  names.  For local development only, so it must be chosen explicitly.

Every mode enforces the same tenancy rule: the project in the URL must be the
caller's, unless the caller has the ``admin`` role.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from keystoneauth1 import session as ks_session
from keystoneauth1.exceptions import ClientException as KeystoneError

from orchestrator.config import ApiSettings, ConfigError, KeystoneSettings
from orchestrator.keystone import CallerToken

from .faults import ApiError, Forbidden, Unauthorized

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class RequestContext:
    """The caller of one request."""

    project_id: str
    user: str | None = None
    roles: tuple[str, ...] = ()
    #: the token the caller presented (``None`` in ``none`` mode)
    token: str | None = field(default=None, repr=False)
    #: the caller's Keystone user id (``keystone`` mode only)
    user_id: str | None = None
    #: the project the token is scoped to (the same as ``project_id`` unless an admin acts in another)
    token_project_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def acting_in(self, project_id: str) -> "RequestContext":
        """This caller acting in the project a URL names; 403 unless it is theirs or they are admin."""
        if project_id == self.project_id:
            return self
        if not self.is_admin:
            raise Forbidden(f"You are not authorized to act in project {project_id}.")
        return RequestContext(project_id, self.user, self.roles, self.token, self.user_id,
                              self.token_project_id or self.project_id)

    def cloud_credentials(self) -> CallerToken | None:
        """The caller's own Keystone token, for the cloud (``keystone`` mode only; else ``None``)."""
        if self.token is None or self.user_id is None:
            return None
        return CallerToken(self.token, self.user_id, self.token_project_id or self.project_id, self.roles)


#: ``authenticate(token, url_project) -> RequestContext``
Authenticator = Callable[[str | None, str], RequestContext]


def parse_tokens(entries: tuple[str, ...]) -> dict[str, RequestContext]:
    """``TOKEN=PROJECT`` or ``TOKEN=PROJECT/role,role`` entries → contexts by token."""
    tokens = {}
    for entry in entries:
        token, equals, rest = entry.partition("=")
        project, _, roles = rest.partition("/")
        if not equals or not token or not project:
            raise ConfigError(f"api.tokens: {entry!r} is not TOKEN=PROJECT or TOKEN=PROJECT/role,role")
        tokens[token] = RequestContext(project, user=f"token:{project}",
                                       roles=tuple(r for r in roles.split(",") if r) or ("member",), token=token)
    return tokens


def static_tokens(settings: ApiSettings, keystone: KeystoneSettings) -> Authenticator:
    tokens = parse_tokens(settings.tokens)

    def authenticate(token: str | None, url_project: str) -> RequestContext:
        context = tokens.get(token or "")
        if context is None:
            raise Unauthorized("The request you have made requires authentication." if not token
                               else "The token is not valid.")
        return context

    return authenticate


def no_authentication(settings: ApiSettings, keystone: KeystoneSettings) -> Authenticator:
    def authenticate(token: str | None, url_project: str) -> RequestContext:
        return RequestContext(url_project or settings.none_project, user="anonymous", roles=("member",))

    return authenticate


class KeystoneTokens:
    """Tokens validated by Keystone v3 (``GET /v3/auth/tokens``), cached for a short while.

    Keystone's certificate is verified with ``[keystone] cafile`` (or not at
    all with ``insecure``), as the service user's connections are.
    """

    def __init__(self, settings: ApiSettings, keystone: KeystoneSettings):
        if not settings.keystone_url:
            raise ConfigError("api.auth is keystone but api.keystone_url is not set")
        self.url = settings.keystone_url.rstrip("/")
        if not self.url.endswith("/v3"):
            self.url += "/v3"
        self.ttl = settings.token_cache_seconds
        self.session = ks_session.Session(verify=keystone.cafile or not keystone.insecure)
        self._cache: dict[str, tuple[float, RequestContext]] = {}
        self._lock = threading.Lock()

    def __call__(self, token: str | None, url_project: str) -> RequestContext:
        if not token:
            raise Unauthorized("The request you have made requires authentication.")
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(token)
        if cached is not None and cached[0] > now:
            return cached[1]
        context = self._validate(token)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = (now + self.ttl, context)
        return context

    def _validate(self, token: str) -> RequestContext:
        try:
            response = self.session.get(f"{self.url}/auth/tokens", authenticated=False, raise_exc=False,
                                        headers={"X-Auth-Token": token, "X-Subject-Token": token})
        except KeystoneError as exc:
            raise ApiError(503, f"Keystone cannot be reached to validate the token: {exc}",
                           "HTTPServiceUnavailable") from None
        if response.status_code in (401, 403, 404):
            raise Unauthorized("The token is not valid.")
        if response.status_code != 200:
            raise ApiError(503, f"Keystone answered {response.status_code} validating the token",
                           "HTTPServiceUnavailable")
        body = response.json().get("token", {})
        project = (body.get("project") or {}).get("id")
        if not project:
            raise Forbidden("The token is not scoped to a project.")
        roles = tuple(role.get("name", "") for role in body.get("roles") or ())
        user = body.get("user") or {}
        return RequestContext(project, user=user.get("name"), roles=roles, token=token, user_id=user.get("id"))


#: mode → how its authenticator is built (from ``[api]`` and ``[keystone]``)
MODES: dict[str, Callable[[ApiSettings, KeystoneSettings], Authenticator]] = {
    "token": static_tokens,
    "keystone": KeystoneTokens,
    "none": no_authentication,
}


def authenticator(settings: ApiSettings, keystone: KeystoneSettings | None = None) -> Authenticator:
    """The authenticator of the configured mode (``keystone``: TLS as ``[keystone]`` says)."""
    if settings.auth not in MODES:
        raise ConfigError(f"api.auth must be one of {', '.join(sorted(MODES))}, not {settings.auth!r}")
    return MODES[settings.auth](settings, keystone or KeystoneSettings())
