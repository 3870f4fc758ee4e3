"""Pre-signed signal URLs: POSTing to one signals one resource, with no token.

Alarm services (Aodh, Zabbix, the sandbox's evaluator) and booting servers
call these URLs.  Each carries the stack, the resource's name and its row id,
signed with the service's key (HMAC-SHA256, through itsdangerous): it cannot
be guessed or altered to reach another resource, and it stops working when
the resource is deleted or replaced, because its row is gone.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from orchestrator.config import Settings

#: the key file in the data directory when no key is configured
KEY_FILE = "signing.key"
SALT = "orchestrator.signal"


@dataclass(frozen=True)
class SignedTarget:
    """What a signed URL may signal."""

    stack_id: str
    resource_name: str
    resource_id: int


class SignalSigner:
    """Makes and checks the signed part of signal URLs."""

    def __init__(self, key: str, base_url: str = ""):
        self._serializer = URLSafeSerializer(key, salt=SALT)
        #: the API's address as callers reach it (``http://host:port``)
        self.base_url = base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> "SignalSigner":
        """The configured key, else one generated once and kept in the data directory."""
        key = settings.api.signing_key or _stored_key(settings.data_path / KEY_FILE)
        base = settings.api.public_url or f"http://{settings.api.host}:{settings.api.port}"
        return cls(key, base)

    def sign(self, target: SignedTarget) -> str:
        return self._serializer.dumps([target.stack_id, target.resource_name, target.resource_id])

    def url(self, target: SignedTarget, base_url: str | None = None) -> str:
        """The full URL that signals ``target``."""
        return f"{(base_url or self.base_url).rstrip('/')}/v1/signal/{self.sign(target)}"

    def verify(self, signature: str) -> SignedTarget | None:
        """The target a signature names, or ``None`` if it was not made with this key."""
        try:
            stack_id, resource_name, resource_id = self._serializer.loads(signature)
        except (BadSignature, ValueError, TypeError):
            return None
        return SignedTarget(str(stack_id), str(resource_name), int(resource_id))


#: what a client needs to signal over each transport of a wait condition handle (or a deployment)
TOKEN_SIGNAL = "TOKEN_SIGNAL"
URL_TRANSPORTS = ("CFN_SIGNAL", "HEAT_SIGNAL", "TEMP_URL_SIGNAL")


class SignalUrls:
    """The engine's ``"signals"`` service: signed URLs for plugins (``runtime.service("signals")``).

    The runtime hands each plugin this service bound to its own resource row
    (``bound_to``), since a URL names the row it signals: a replacement gets
    a URL of its own, and the old one stops working with the old row.
    """

    def __init__(self, signer: SignalSigner):
        self.signer = signer

    def url(self, stack_id: str, resource_name: str, resource_id: int) -> str:
        """The signed URL that signals resource row ``resource_id``."""
        return self.signer.url(SignedTarget(stack_id, resource_name, resource_id))

    def details(self, stack_id: str, resource_name: str, resource_id: int, transport: str) -> dict:
        """How a client signals the resource over ``transport``.

        Signed URLs need no token, so ``TOKEN_SIGNAL`` gives the URL as
        ``endpoint`` with ``token`` ``None``; the CloudFormation, Heat and
        Swift transports give it as ``alarm_url`` (what their clients POST
        to); ``NO_SIGNAL`` and Zaqar (no queue service here) give nothing.
        """
        if transport == TOKEN_SIGNAL:
            return {"endpoint": self.url(stack_id, resource_name, resource_id), "token": None}
        if transport in URL_TRANSPORTS:
            return {"alarm_url": self.url(stack_id, resource_name, resource_id), "stack_id": stack_id,
                    "resource_name": resource_name}
        return {}

    def resource_signal_url(self, project_id: str, stack_name: str, stack_id: str, resource_name: str) -> str:
        """The API's own (token-checked) signal endpoint of a resource: Heat's ``signal_url``."""
        return (f"{self.signer.base_url}/v1/{project_id}/stacks/{stack_name}/{stack_id}/resources/"
                f"{resource_name}/signal")

    def bound_to(self, view, record) -> "BoundSignalUrls":
        """This service as resource ``record`` of the stack in ``view`` sees it."""
        return BoundSignalUrls(self, view.id, record.name, record.id, view.project_id, view.name)


@dataclass(frozen=True)
class BoundSignalUrls:
    """``SignalUrls`` for one resource row: the ``SignalService`` of ``resources.orchestration.wait_condition``."""

    urls: SignalUrls
    stack_id: str
    resource_name: str
    resource_id: int
    project_id: str = ""
    stack_name: str = ""

    def signal_details(self, stack_id: str, resource_name: str, transport: str) -> dict:
        """How a client signals this resource over ``transport`` (a plugin may ask only for itself)."""
        if (stack_id, resource_name) != (self.stack_id, self.resource_name):
            raise LookupError(f"resource {self.resource_name} may not make signal URLs for {resource_name}")
        return self.urls.details(stack_id, resource_name, self.resource_id, transport)

    def resource_signal_url(self) -> str:
        """The API's authenticated signal endpoint of this resource (a scaling policy's ``signal_url``)."""
        return self.urls.resource_signal_url(self.project_id, self.stack_name, self.stack_id, self.resource_name)


def _stored_key(path: Path) -> str:
    """The key in ``path``, created (readable by its owner only) on first use."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        with open(path, "x", opener=lambda p, flags: os.open(p, flags, 0o600)) as handle:
            handle.write(key)
        return key
    except FileExistsError:  # another process of the service wrote it first
        return path.read_text().strip()
