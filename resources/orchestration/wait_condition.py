"""Wait conditions: a stack pauses until something outside it says "ready" (or "failed").

A server's boot script (or any client) signals a *handle*; the *wait
condition* holds the stack's create until the handle has received ``count``
successful signals, fails at the first FAILURE, and gives up after
``timeout`` seconds.

Signals arrive where the API runs, not inside the operation that waits, and
possibly in another process: the handle stores each signal in its own data
(with ``merge_data``, so that signals arriving together are all kept), and
the wait condition reads the handle's stored row through the engine's
``"stack"`` service every time it is asked.  Neither keeps anything in memory,
and the wait condition keeps its start time in data, so an engine restart
neither loses signals nor restarts the clock.

Stored signals are ``{id: {"status", "reason", "data"}}``, whatever the
handle type's wire format, so the wait condition reads every handle alike.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, ClassVar, Mapping, Protocol

from resources.base import Resource
from resources.errors import ResourceFailure
from resources.schema import AllowedValues, Attribute, Integer, Number, Range, String

SUCCESS, FAILURE = "SUCCESS", "FAILURE"
STATUSES = (SUCCESS, FAILURE)
#: where a handle keeps what it has been told
SIGNALS = "signals"
SIGNAL_TRANSPORTS = ("CFN_SIGNAL", "TEMP_URL_SIGNAL", "HEAT_SIGNAL", "NO_SIGNAL", "ZAQAR_SIGNAL", "TOKEN_SIGNAL")
TOKEN_SIGNAL = "TOKEN_SIGNAL"
#: seconds between looks at the handle: signals come from people and servers, not in microseconds
POLL_SECONDS = 1.0
FORMAT_INVALID = "Metadata format invalid"


class SignalService(Protocol):
    """What the engine's ``"signals"`` service offers handles (``orchestrator.engine.signing.SignalUrls``,
    bound to the asking resource)."""

    def signal_details(self, stack_id: str, resource_name: str, transport: str) -> Mapping[str, Any]:
        """How a client signals the resource over ``transport``.

        For TOKEN_SIGNAL: ``endpoint`` (the URL to POST to) and ``token``
        (``None`` when the URL is signed and needs none); other transports
        name what their clients need (``alarm_url`` for CFN_SIGNAL, …).
        """


class WaitConditionFailure(ResourceFailure):
    """A signal said FAILURE; the message joins the failure reasons with ``;`` (Heat's form)."""


class WaitConditionTimeout(ResourceFailure):
    """``timeout`` passed before ``count`` successes arrived: ``N of M received[ - reasons]``."""


class WaitConditionHandle(Resource):
    """Receives signals ``{status, reason, data, id}``; any field may be left out.

    A missing status is SUCCESS, a missing id is the number of the signal
    (1, 2, …), a missing reason is ``Signal <n> received``; a signal with an
    id already received replaces the earlier one.

    The ``token``, ``endpoint``, ``curl_cli`` and ``signal`` attributes come
    from the engine's ``"signals"`` service (``SignalService``), which makes
    the signed URLs; where the engine offers no such service they are
    ``None``.  Because our URLs are signed, ``curl_cli`` carries a token
    header only when the service hands out a token.
    """

    type_name = "OS::Heat::WaitConditionHandle"
    description = "Receives signals for an OS::Heat::WaitCondition."
    blocking = False
    properties_schema = {
        "signal_transport": String("How the client will signal the wait condition.", default=TOKEN_SIGNAL,
                                   constraints=(AllowedValues(SIGNAL_TRANSPORTS),)),
    }
    attributes_schema = {
        "token": Attribute("Token for signalling the handle with TOKEN_SIGNAL (None for other transports).",
                           type="string"),
        "endpoint": Attribute("URL to signal the handle at with TOKEN_SIGNAL (None for other transports).",
                              type="string"),
        "curl_cli": Attribute("A curl command prefix that signals the handle (TOKEN_SIGNAL only); add "
                              "--data-binary '{\"status\": \"SUCCESS\"}' (or FAILURE).", type="string"),
        "signal": Attribute("JSON map of what a client needs to signal the handle over its transport.",
                            type="string"),
    }

    #: stored field -> key in the signal body
    signal_keys: ClassVar[Mapping[str, str]] = {"status": "status", "reason": "reason", "data": "data", "id": "id"}
    #: whether left-out fields get defaults (the native handle) or make the signal invalid (CFN's)
    fills_defaults: ClassVar[bool] = True

    def create(self) -> None:
        self.set_physical_id(str(uuid.uuid4()))

    # -- signals ----------------------------------------------------------------------

    def signal(self, details: Any) -> str | None:
        """Store one signal; what it says is returned for the event (``status:X reason:Y``)."""
        if details is None and not self.fills_defaults:
            return None
        self._entry(details, 0)  # a signal that does not fit is refused before anything is stored
        stored: dict[str, Any] = {}

        def add(signals: Mapping[str, Any]) -> dict[str, Any]:
            # Numbered under the row lock: signals arriving together get numbers of their own.
            entry = self._entry(details, len(signals) + 1)
            key = str(entry.pop("id"))
            stored.update(entry)
            return {key: entry}

        self.merge_data(SIGNALS, add)
        return f"status:{stored['status']} reason:{stored['reason']}"

    def _entry(self, details: Any, number: int) -> dict[str, Any]:
        body = details or {}
        if not isinstance(body, Mapping):
            raise ValueError(FORMAT_INVALID)
        body = dict(body)
        if self.fills_defaults:
            defaults = {"status": SUCCESS, "reason": f"Signal {number} received", "data": None, "id": number}
            for field, default in defaults.items():
                body.setdefault(self.signal_keys[field], default)
        if set(body) != set(self.signal_keys.values()) or body[self.signal_keys["status"]] not in STATUSES:
            raise ValueError(FORMAT_INVALID)
        return {field: body[key] for field, key in self.signal_keys.items()}

    # -- attributes -------------------------------------------------------------------

    def resolve_attribute(self, name: str) -> Any:
        if name not in self.attributes_schema:
            return super().resolve_attribute(name)
        details = self._signal_details()
        if details is None:
            return None
        if name == "signal":
            return json.dumps(dict(details))
        if self.properties.get("signal_transport", TOKEN_SIGNAL) != TOKEN_SIGNAL:
            return None
        if name == "curl_cli":
            return _curl_cli(details.get("endpoint"), details.get("token"))
        return details.get(name)

    def _signal_details(self) -> Mapping[str, Any] | None:
        if self.physical_id is None:
            return None
        try:
            service: SignalService = self.runtime.service("signals")
        except LookupError:
            return None  # no signal URLs in this engine (yet): the attributes are None
        return service.signal_details(self.runtime.stack_id, self.name,
                                      self.properties.get("signal_transport") or TOKEN_SIGNAL)


def _curl_cli(endpoint: str | None, token: str | None) -> str | None:
    if endpoint is None:
        return None
    auth = f"-H 'X-Auth-Token: {token}' " if token else ""
    return (f"curl -i -X POST {auth}-H 'Content-Type: application/json' -H 'Accept: application/json' "
            f"{endpoint}")


class UpdateWaitConditionHandle(WaitConditionHandle):
    """A handle whose signals use CloudFormation's keys (``Status``, ``Reason``, ``Data``, ``UniqueId``).

    Every key is required.  Like Heat, every stack update replaces this
    handle, so senders must signal again after each update.
    """

    type_name = "OS::Heat::UpdateWaitConditionHandle"
    always_replace_on_update = True
    description = "A wait condition handle that is replaced (and so reset) by stack updates."
    properties_schema: ClassVar[Mapping] = {}
    attributes_schema: ClassVar[Mapping] = {}
    signal_keys = {"status": "Status", "reason": "Reason", "data": "Data", "id": "UniqueId"}
    fills_defaults = False


#: the types a wait condition accepts as its handle
HANDLE_TYPES = frozenset((WaitConditionHandle.type_name, UpdateWaitConditionHandle.type_name))


def stored_signals(handle_row: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The signals a handle's stored row holds, oldest first."""
    return dict((handle_row.get("data") or {}).get(SIGNALS) or {})


def _reasons(signals: Mapping[str, Mapping[str, Any]], status: str) -> list[str]:
    return [str(entry.get("reason")) for entry in signals.values() if entry.get("status") == status]


class WaitCondition(Resource):
    """Completes once its handle has ``count`` SUCCESS signals; fails on FAILURE or after ``timeout``."""

    type_name = "OS::Heat::WaitCondition"
    description = "Waits for signals sent to an OS::Heat::WaitConditionHandle."
    properties_schema = {
        "handle": String("A reference to the wait condition handle used to signal this wait condition.",
                         required=True),
        "timeout": Number("The number of seconds to wait for the correct number of signals to arrive.",
                          required=True, constraints=(Range(1, 43200),)),
        "count": Integer("The number of success signals that must be received before the stack creation "
                         "process continues.", default=1, constraints=(Range(min=1),), update_allowed=True),
    }
    attributes_schema = {
        "data": Attribute("JSON string of the data sent with the signals, by signal id.", type="string"),
    }

    # -- lifecycle --------------------------------------------------------------------

    def create(self) -> None:
        self._handle()  # a wrong handle fails now, not after the timeout
        self.set_data("started_at", time.time())
        # An id makes a restarted engine resume the wait instead of starting the clock again.
        self.set_physical_id(self.runtime.physical_name())

    def check_create_complete(self) -> bool | float:
        return self._wait()

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """A new count is waited for afresh, with the signals already received counting."""
        self.properties = dict(properties)
        self.set_data("started_at", time.time())

    def check_update_complete(self) -> bool | float:
        return self._wait()

    def reference_id(self) -> Any:
        """The resource's name, as in Heat (nothing outside the stack has an id)."""
        return self.name

    # -- waiting ----------------------------------------------------------------------

    def _handle(self) -> Mapping[str, Any]:
        """The handle's stored row, read afresh (signals may have arrived in another process)."""
        reference = self.properties["handle"]
        row = self.runtime.service("stack").resource_by_reference(str(reference))
        if row is None or row["type"] not in HANDLE_TYPES:
            name = row["name"] if row is not None else reference
            raise ValueError(f"{name} is not a valid wait condition handle.")
        return row

    def _wait(self) -> bool | float:
        signals = stored_signals(self._handle())
        started_at = self.data.get("started_at")
        if started_at is None:  # adopted, or created before the start time was kept
            started_at = time.time()
            self.set_data("started_at", started_at)
        left = float(started_at) + float(self.properties["timeout"]) - time.time()
        if left <= 0:
            raise WaitConditionTimeout(self._timeout_message(signals))
        failures = _reasons(signals, FAILURE)
        if failures:
            raise WaitConditionFailure(";".join(failures))
        if len(signals) >= int(self.properties["count"]):
            self.set_data("data", _data(signals))
            return True
        return min(POLL_SECONDS, left)

    def _timeout_message(self, signals: Mapping[str, Mapping[str, Any]]) -> str:
        successes = _reasons(signals, SUCCESS)
        message = f"{len(successes)} of {int(self.properties['count'])} received"
        return f"{message} - {';'.join(successes)}" if successes else message

    # -- attributes -------------------------------------------------------------------

    def resolve_attribute(self, name: str) -> Any:
        if name != "data":
            return super().resolve_attribute(name)
        try:
            return _data(stored_signals(self._handle()))
        except (LookupError, ValueError):
            # Read outside an operation (no "stack" service) or the handle is gone:
            # what the signals said when the wait completed.
            return self.data.get("data")


def _data(signals: Mapping[str, Mapping[str, Any]]) -> str:
    """The ``data`` attribute: ``{id: data}`` as a JSON string."""
    return json.dumps({key: entry.get("data") for key, entry in signals.items()})
