"""The service's configuration, in one place.

Every setting has a default that needs nothing installed.  A TOML file
(``--config``, ``$ORCHESTRATOR_CONFIG``, or ``orchestrator.toml`` in the
working directory) overrides defaults, and environment variables override the
file: ``ORCHESTRATOR_<SECTION>__<KEY>``, for example
``ORCHESTRATOR_LIMITS__MAX_TEMPLATE_BYTES=1048576``.

With nothing configured the service keeps its state in a SQLite file in its
data directory (``$XDG_DATA_HOME/orchestrator``, else
``~/.local/share/orchestrator``); ``[database] url`` points it at PostgreSQL
or MariaDB instead.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

ENV_PREFIX = "ORCHESTRATOR_"
DEFAULT_FILE = "orchestrator.toml"
#: the SQLite file in the data directory when no database URL is configured
DATABASE_FILE = "orchestrator.db"
#: the sandbox cloud's SQLite file in the data directory
SANDBOX_DATABASE_FILE = "sandbox.db"


class ConfigError(Exception):
    """A configuration file or variable is not acceptable."""


@dataclass(frozen=True)
class LimitsSettings:
    """Input limits (Heat's defaults where Heat has one)."""

    max_template_bytes: int = 512 * 1024
    max_template_depth: int = 100
    max_yaml_alias_nodes: int = 10_000
    max_nested_stack_depth: int = 5
    #: resources in a stack and all its nested stacks (-1: no limit)
    max_resources_per_stack: int = 1000
    #: top-level stacks a project may have (-1: no limit; admins are exempt, as in Heat)
    max_stacks_per_project: int = 512
    #: events kept per stack; older ones are purged when an operation ends
    max_events_per_stack: int = 1000
    #: largest request body the API accepts (bytes; Heat: 1 MiB)
    max_request_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class PluginSettings:
    """Where resource plugins come from besides installed packages."""

    plugin_dirs: tuple[str, ...] = ()


def default_data_dir(environ: Mapping[str, str] | None = None) -> str:
    """Where the service keeps its files, following the XDG base directory convention."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(base):  # the specification says to ignore a relative path
        base = str(Path(environ.get("HOME") or Path.home()) / ".local" / "share")
    return str(Path(base) / "orchestrator")


@dataclass(frozen=True)
class ServiceSettings:
    """The service process as a whole."""

    #: the service's own files (the embedded SQLite database among them)
    data_dir: str = field(default_factory=default_data_dir)


@dataclass(frozen=True)
class DatabaseSettings:
    """Where state is kept: empty ``url`` means the SQLite file in the data directory."""

    url: str = ""
    #: connections kept open per process (PostgreSQL and MariaDB; SQLite needs no pool)
    pool_size: int = 10


@dataclass(frozen=True)
class ApiSettings:
    """The HTTP API: where it listens and how it knows who is calling."""

    host: str = "127.0.0.1"
    port: int = 8004
    #: ``token`` (static tokens below), ``keystone`` (validate against ``keystone_url``)
    #: or ``none`` (no authentication: local development only)
    auth: str = "token"
    #: static tokens, each ``TOKEN=PROJECT`` or ``TOKEN=PROJECT/role,role`` (``admin`` role: all projects)
    tokens: tuple[str, ...] = ()
    #: the project every request acts in when ``auth`` is ``none``
    none_project: str = "demo"
    #: Keystone v3 endpoint that validates tokens in ``keystone`` mode
    keystone_url: str = ""
    #: seconds a validated Keystone token is trusted before it is validated again
    token_cache_seconds: float = 60.0
    #: the API's address as clients reach it, for links and signed URLs (default: from each request)
    public_url: str = ""
    #: key that signs pre-signed signal URLs (default: one generated and kept in the data directory)
    signing_key: str = ""


@dataclass(frozen=True)
class WorkerSettings:
    """The Celery workers that run stack operations."""

    #: Celery broker URL (``amqp://guest:guest@127.0.0.1:5672//``, ``redis://127.0.0.1:6379/0``);
    #: empty: an in-process queue (``orchestrator serve`` only)
    broker_url: str = ""
    #: operations one worker process runs at once
    concurrency: int = 8
    #: how often a worker looks for operations whose engine died (seconds)
    recovery_interval: float = 15.0
    #: the broker queue stack operations go to (API and workers of one deployment must agree)
    queue: str = "orchestrator"
    #: a stack lock's lease: a worker that stops renewing it (it died) loses the stack to
    #: another worker's recovery pass after this many seconds
    lock_lease_seconds: float = 30.0
    #: the lease the API gives a job's lock until a worker takes the job: how long a job may wait
    #: in the broker's queue before a recovery pass takes its stack over as lost (Redis hands a
    #: message a dead worker had reserved to another one after an hour)
    queued_lease_seconds: float = 3600.0


@dataclass(frozen=True)
class SandboxSettings:
    """The embedded OpenStack API emulator (``orchestrator.sandbox``), the default cloud."""

    #: ``orchestrator sandbox serve``'s address
    host: str = "127.0.0.1"
    port: int = 8100
    #: the sandbox's address as clients reach it, for the catalog (default: from each request)
    public_url: str = ""
    #: the sandbox's database (default: ``sandbox.db`` in the data directory; ``sqlite://``: in memory)
    database_url: str = ""
    #: the seeded users' password (users ``admin`` and ``demo``, projects of the same names)
    password: str = "sandbox"
    #: seconds a server spends in BUILD, a volume in ``creating``, a load balancer in PENDING_CREATE
    build_seconds: float = 1.0
    #: seconds a deleted server, volume or load balancer takes to go
    delete_seconds: float = 0.5
    #: added to every request (milliseconds)
    latency_ms: float = 0.0
    #: the share of changing requests (not GET) answered with a 503, for tests of retries
    fault_rate: float = 0.0
    #: seconds a token is valid
    token_seconds: float = 3600.0
    #: seconds between two passes of the Zabbix emulator over its items and triggers
    zabbix_evaluation_seconds: float = 10.0
    #: seconds between two passes of the alarm evaluator (Aodh's default; new measures wake it at once)
    alarm_evaluation_seconds: float = 60.0


@dataclass(frozen=True)
class CloudSettings:
    """The cloud the resource plugins act on (neither set: ``serve`` uses its own sandbox, the others none)."""

    #: an ``orchestrator sandbox serve`` to act on over HTTP (``http://127.0.0.1:8100``), as its admin
    #: user holding the member role in a sandbox project named like the stack's project
    sandbox_url: str = ""
    #: a cloud of clouds.yaml (``openstack.connect(cloud=name)``): every project acts with its credentials
    name: str = ""
    #: ``shared``: the credentials above act for every project; ``trust``: each stack acts with the Keystone
    #: trust its user gave the ``[keystone]`` service user when creating it (the user's own project and roles)
    auth: str = "shared"


#: what a ``[keystone]`` field left empty becomes when its clouds.yaml entry does not give it either
KEYSTONE_DEFAULTS = {"user_domain_name": "Default", "project_name": "service", "project_domain_name": "Default",
                     "interface": "public"}


@dataclass(frozen=True)
class KeystoneSettings:
    """A real cloud's Keystone, and this service's own user there: the trustee of every stack's trust.

    ``[api] auth = "keystone"`` validates tokens at ``auth_url`` (unless
    ``[api] keystone_url`` says otherwise); ``[cloud] auth = "trust"`` makes
    the plugins act as this user through each stack's trust.  A field left
    empty comes from the clouds.yaml entry ``cloud`` when one is named, else
    from ``KEYSTONE_DEFAULTS``.
    """

    #: a cloud of clouds.yaml that holds the service user's credentials (auth_url, user, password, project, region)
    cloud: str = ""
    #: Keystone's v3 endpoint (``https://keystone.example:5000/v3``)
    auth_url: str = ""
    #: the service user (Heat's is ``heat``) and its password
    username: str = ""
    password: str = ""
    #: its domain, by name or id (default: ``Default``)
    user_domain_name: str = ""
    user_domain_id: str = ""
    #: the project its own token is scoped to (default: ``service``, where it holds the ``service`` role)
    project_name: str = ""
    project_domain_name: str = ""
    project_domain_id: str = ""
    #: the region and the catalog interface the plugins' endpoints come from (default: the catalog's only
    #: region; ``public``)
    region_name: str = ""
    interface: str = ""
    #: a CA bundle to verify Keystone and the services with; ``insecure`` verifies nothing
    cafile: str = ""
    insecure: bool = False
    #: the roles each trust delegates (default: every role of the token that created the stack, as Heat does)
    trusts_delegated_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ZabbixSettings:
    """The Zabbix server the ``OS::Zabbix::*`` resources act on (a stack may name another, see docs/plugins.md).

    A stack's environment overrides each field with its ``parameter_defaults``
    ``zabbix_url``, ``zabbix_api_token``, ``zabbix_user`` and ``zabbix_password``.
    The token or password never appears in events, outputs or error messages.
    """

    #: the JSON-RPC API (``https://zabbix.example/api_jsonrpc.php``; the sandbox's: ``<sandbox>/zabbix``)
    url: str = ""
    #: an API token (Zabbix 5.4 and later); used instead of ``user`` and ``password`` when set
    api_token: str = ""
    user: str = ""
    password: str = ""
    #: seconds one API call may take
    timeout: float = 30.0
    #: verify the server's TLS certificate
    validate_certs: bool = True
    #: talk to a Zabbix newer than zabbix_utils has been tested with (8.0, say)
    skip_version_check: bool = False


@dataclass(frozen=True)
class Settings:
    """All settings, by section."""

    limits: LimitsSettings = field(default_factory=LimitsSettings)
    plugins: PluginSettings = field(default_factory=PluginSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    cloud: CloudSettings = field(default_factory=CloudSettings)
    keystone: KeystoneSettings = field(default_factory=KeystoneSettings)
    zabbix: ZabbixSettings = field(default_factory=ZabbixSettings)

    @property
    def data_path(self) -> Path:
        """The data directory, with ``~`` expanded."""
        return Path(self.service.data_dir).expanduser()

    def database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file's."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_path / DATABASE_FILE).resolve()}"

    def sandbox_database_url(self) -> str:
        """The sandbox's database URL: configured, or ``sandbox.db`` in the data directory."""
        if self.sandbox.database_url:
            return self.sandbox.database_url
        return f"sqlite:///{(self.data_path / SANDBOX_DATABASE_FILE).resolve()}"

    def template_limits(self):
        """The template loader's ``Limits`` from these settings."""
        from orchestrator.template.loader import Limits

        return Limits(max_bytes=self.limits.max_template_bytes, max_depth=self.limits.max_template_depth,
                      max_alias_nodes=self.limits.max_yaml_alias_nodes)


def load_settings(path: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the file, then environment variables."""
    environ = os.environ if environ is None else environ
    values: dict[str, dict[str, Any]] = {}
    file = path or environ.get(ENV_PREFIX + "CONFIG")
    if file is None and Path(DEFAULT_FILE).is_file():
        file = DEFAULT_FILE
    if file is not None:
        try:
            with open(file, "rb") as handle:
                values = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read configuration file {file}: {exc}") from None
    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX) and "__" in name:
            section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
            values.setdefault(section, {})[key] = raw
    service = values.get("service", {})
    if isinstance(service, Mapping) and "data_dir" not in service:
        # The default follows the environment given, not necessarily the process's own.
        values["service"] = {**service, "data_dir": default_data_dir(environ)}
    return complete_keystone(_build(Settings, values, ""))


def complete_keystone(settings: Settings) -> Settings:
    """``[keystone]`` completed from its clouds.yaml entry and defaults, ``[api] keystone_url`` from it; checked.

    ``[cloud] auth = "trust"`` needs the service user's credentials, and
    tokens validated by Keystone: the trust of a stack is made with its
    user's own token.
    """
    keystone = settings.keystone
    if keystone.cloud:
        entry = _cloud_entry(keystone.cloud)
        keystone = dataclasses.replace(keystone, **{key: value for key, value in entry.items()
                                                    if not getattr(keystone, key)})
    # a domain named by its id needs no default name
    defaults = {key: value for key, value in KEYSTONE_DEFAULTS.items()
                if not getattr(keystone, key) and not getattr(keystone, key.replace("_name", "_id"), "")}
    keystone = dataclasses.replace(keystone, **defaults)
    api = settings.api
    if not api.keystone_url and keystone.auth_url:
        api = dataclasses.replace(api, keystone_url=keystone.auth_url)
    cloud = settings.cloud
    if cloud.auth not in ("shared", "trust"):
        raise ConfigError(f"setting cloud.auth must be shared or trust, not {cloud.auth!r}")
    if cloud.auth == "trust":
        missing = [f"keystone.{name}" for name in ("auth_url", "username", "password") if not getattr(keystone, name)]
        if missing:
            raise ConfigError(f"cloud.auth is trust but {', '.join(missing)} is not set (the service user that "
                              "stacks' trusts delegate to; or name its clouds.yaml entry in keystone.cloud)")
        if api.auth != "keystone":
            raise ConfigError("cloud.auth is trust, which needs api.auth = keystone: a stack's trust is made "
                              "with the Keystone token of the user who creates it")
        if cloud.name or cloud.sandbox_url:
            raise ConfigError("cloud.auth is trust: every stack acts with its own trust, so cloud.name and "
                              "cloud.sandbox_url must not be set")
    return dataclasses.replace(settings, keystone=keystone, api=api)


#: clouds.yaml's names → ``[keystone]`` fields
_CLOUD_AUTH_FIELDS = ("auth_url", "username", "password", "user_domain_name", "user_domain_id", "project_name",
                      "project_domain_name", "project_domain_id")


def _cloud_entry(name: str) -> dict[str, Any]:
    """The ``[keystone]`` fields that cloud ``name`` of clouds.yaml gives (``OS_CLIENT_CONFIG_FILE`` counts)."""
    import openstack.config
    from openstack.exceptions import ConfigException

    try:
        region = openstack.config.OpenStackConfig().get_one(cloud=name)
    except ConfigException as exc:
        raise ConfigError(f"keystone.cloud: {exc}") from None
    auth = region.config.get("auth") or {}
    found: dict[str, Any] = {key: str(auth[key]) for key in _CLOUD_AUTH_FIELDS if auth.get(key)}
    found.update({key: str(value) for key, value in (("region_name", region.region_name),
                                                     ("interface", region.config.get("interface")),
                                                     ("cafile", region.config.get("cacert"))) if value})
    if region.config.get("verify") is False:
        found["insecure"] = True
    return found


def _build(cls, values: Mapping[str, Any], where: str):
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown setting {where}{sorted(unknown)[0]} (known: {', '.join(sorted(known))})")
    kwargs = {}
    for name, raw in values.items():
        kind = hints[name]
        if dataclasses.is_dataclass(kind):
            if not isinstance(raw, Mapping):
                raise ConfigError(f"[{where}{name}] must be a table")
            kwargs[name] = _build(kind, raw, f"{where}{name}.")
        else:
            kwargs[name] = _convert(raw, kind, f"{where}{name}")
    return cls(**kwargs)


def _convert(raw: Any, kind: Any, where: str) -> Any:
    origin = typing.get_origin(kind)
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            lowered = str(raw).strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind in (int, float, str):
            if kind is not str and isinstance(raw, bool):
                raise ValueError(raw)
            return kind(raw)
        if origin is tuple:
            items = raw if isinstance(raw, list) else [item for item in str(raw).split(os.pathsep) if item]
            return tuple(str(item) for item in items)
    except (TypeError, ValueError):
        pass
    raise ConfigError(f"setting {where} must be {getattr(kind, '__name__', kind)}, not {raw!r}")
