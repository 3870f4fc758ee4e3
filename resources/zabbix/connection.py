"""The connection to a stack's Zabbix: where it is, logging in, and errors a person can act on.

Where the Zabbix server is, and how to log in, is no property of any
resource: the engine's ``"configuration"`` service gives the ``[zabbix]``
section of the service's configuration, and a stack's environment overrides
it through its ``parameter_defaults`` (``ENVIRONMENT_KEYS``).  The token and
password go to the Zabbix API and nowhere else: nothing stored, shown or
raised carries them.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

from zabbix_utils import ZabbixAPI
from zabbix_utils.exceptions import APINotSupported, APIRequestError, ProcessingError

from resources.errors import ResourceFailure

#: the stack environment's ``parameter_defaults`` that override the ``[zabbix]`` settings
ENVIRONMENT_KEYS = {"zabbix_url": "url", "zabbix_api_token": "api_token", "zabbix_user": "user",
                    "zabbix_password": "password"}
SECRET_SETTINGS = ("api_token", "password")
#: what Zabbix answers when it does not accept the session, the token or the password
AUTHENTICATION_ERRORS = ("Not authorized", "Session terminated", "Incorrect user name or password",
                         "API token expired", "Login name or password is incorrect")


#: how ``lookup_ids`` finds objects by name: the id field, and the name fields tried in turn
NAMED_BY = {"hostgroup": ("groupid", ("name",)), "template": ("templateid", ("host", "name"))}


def connection_settings(runtime: Any) -> dict[str, Any]:
    """The ``[zabbix]`` settings with the stack environment's ``parameter_defaults`` over them."""
    try:
        configuration = runtime.service("configuration")
    except LookupError:
        return {}
    settings = configuration.section("zabbix")
    defaults = configuration.parameter_defaults()
    overrides = {name: defaults[key] for key, name in ENVIRONMENT_KEYS.items() if defaults.get(key)}
    # a stack that logs in its own way does not inherit the configuration's other way
    if "api_token" in overrides:
        settings.pop("user", None)
        settings.pop("password", None)
    elif {"user", "password"} & set(overrides):
        settings.pop("api_token", None)
    return {**settings, **overrides}


def shown_url(url: str) -> str:
    """``url`` without credentials it may carry (``http://user:secret@host/``), for messages."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


@contextmanager
def zabbix(runtime: Any) -> Iterator[ZabbixAPI]:
    """A logged-in API client for the stack's Zabbix; every error of the block becomes a ``ResourceFailure``.

    The messages name the server and what it refused, never a secret.
    """
    settings = connection_settings(runtime)
    url = str(settings.get("url") or "")
    if not url:
        raise ResourceFailure("No Zabbix server is configured: set url in the [zabbix] section of the service's "
                              "configuration, or zabbix_url in the stack environment's parameter_defaults")
    token, user = settings.get("api_token"), settings.get("user")
    # Zabbix never quotes them back; masked all the same, unless so short that plain words would be masked too
    secrets = [str(settings[name]) for name in SECRET_SETTINGS if len(str(settings.get(name) or "")) >= 8]
    where = shown_url(url)

    def failure(message: str) -> ResourceFailure:
        message = message.replace(url, where)
        for secret in secrets:
            message = message.replace(secret, "***")
        return ResourceFailure(message)

    if not token and not (user and settings.get("password")):
        raise ResourceFailure(f"No credentials for Zabbix at {where}: set api_token, or user and password")
    try:
        api = ZabbixAPI(url=url, timeout=int(settings.get("timeout") or 30),
                        validate_certs=bool(settings.get("validate_certs", True)),
                        skip_version_check=bool(settings.get("skip_version_check", False)))
        if token:
            api.login(token=token)
        else:
            api.login(user=user, password=settings["password"])
        try:
            yield api
        finally:
            if not token:
                _logout(api)
    except ProcessingError as exc:
        raise failure(f"Zabbix at {where} cannot be reached: {exc}") from None
    except OSError as exc:  # a connection that hangs, or drops, after it was made
        raise failure(f"Zabbix at {where} did not answer: {exc}") from None
    except APINotSupported as exc:
        raise failure(f"Zabbix at {where}: {exc}") from None
    except APIRequestError as exc:
        detail = str(getattr(exc, "data", "") or exc)
        if any(text in detail for text in AUTHENTICATION_ERRORS):
            credentials = "the API token" if token else f"the password of user {user}"
            raise failure(f"Zabbix at {where} refused {credentials}: {detail}") from None
        method = (getattr(exc, "body", None) or {}).get("method", "the request")
        raise failure(f"Zabbix refused {method}: {detail}") from None


def _logout(api: ZabbixAPI) -> None:
    try:
        api.logout()
    except (ProcessingError, APIRequestError):  # a session Zabbix lost or cannot end expires by itself
        pass


def lookup_ids(api: ZabbixAPI, kind: str, values: Iterable[str]) -> list[str]:
    """Ids of host groups or templates (``kind``) given by id or name; a name Zabbix lacks is a failure."""
    values = [str(value) for value in values]
    names = [value for value in values if not value.isdigit()]
    found: dict[str, str] = {}
    if names:
        id_field, name_fields = NAMED_BY[kind]
        for field in name_fields:
            missing = [name for name in names if name not in found]
            if missing:
                for row in getattr(api, kind).get(filter={field: missing}, output=[id_field, field]):
                    found[row[field]] = row[id_field]
    absent = [name for name in names if name not in found]
    if absent:
        label = {"hostgroup": "host group", "template": "template"}[kind]
        raise ResourceFailure(f"Zabbix has no {label} named " + ", ".join(f'"{name}"' for name in absent))
    return [found.get(value, value) for value in values]
