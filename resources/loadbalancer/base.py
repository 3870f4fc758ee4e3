"""What the OS::Octavia::* plugins share: waiting for the load balancer's turn, statuses, attributes.

Octavia applies one change per load balancer at a time: after any change
the load balancer is ``PENDING_*`` until its amphora caught up, and any other
change meanwhile is refused with 409 ("… is immutable and cannot be
updated.").  Heat's stacks make many children of one load balancer at once,
so each child here waits its turn without sleeping: ``check_*_complete``
answers "not yet" while the load balancer is pending and sends its change
only once it is ``ACTIVE``.  Between that check and the call another
resource may win the race; ``tenacity`` retries the call a few times, briefly,
and a lost race is just another "not yet".

What a resource still has to send lives in its data (``update``,
``delete_sent``), so an engine restart between calls loses nothing.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping

from openstack import exceptions as sdk_exceptions
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from orchestrator.template.constraints import CustomConstraint
from resources.base import Resource
from resources.cloud import GONE
from resources.errors import ResourceInError

#: how long a call that met a busy load balancer is retried before giving the turn back to the engine
_RACE_RETRY = dict(retry=retry_if_exception_type(sdk_exceptions.ConflictException), stop=stop_after_attempt(3),
                   wait=wait_exponential(multiplier=0.05, max=0.3), reraise=True)


class Busy(Exception):
    """The load balancer is busy with another change: try again on the next check."""


def retrying(call: Callable[[], Any]) -> Any:
    """``call()``, retried briefly on 409; ``Busy`` when the load balancer stayed pending."""
    try:
        return Retrying(**_RACE_RETRY)(call)
    except sdk_exceptions.ConflictException as exc:
        if "immutable" in str(exc):
            raise Busy() from exc
        raise


def custom(name: str) -> tuple[CustomConstraint, ...]:
    return (CustomConstraint(name),)


class OctaviaResource(Resource):
    """What every Octavia plugin shares: waiting for the load balancer's turn, statuses, attributes."""

    #: the API's path below the endpoint, and the body's key
    path: ClassVar[str] = ""
    body_key: ClassVar[str] = ""
    #: openstacksdk's name for the object (``get_<entity>``, ``update_<entity>``, …)
    entity: ClassVar[str] = ""
    #: property → (API field, how to turn the value into the field's value) for in-place updates
    update_fields: ClassVar[Mapping[str, tuple[str, str | None]]] = {}
    #: attribute → key of the API's body
    attribute_keys: ClassVar[Mapping[str, str]] = {}

    # -- the cloud ----------------------------------------------------------------------------

    @property
    def octavia(self) -> Any:
        return self.runtime.cloud().load_balancer

    def _resolve(self, how: str | None, value: Any) -> Any:
        """A property's value as the API wants it (names looked up as ids)."""
        if value is None or how is None:
            return value
        cloud = self.runtime.cloud()
        finders = {"loadbalancer": cloud.load_balancer.find_load_balancer, "listener": cloud.load_balancer.find_listener,
                   "pool": cloud.load_balancer.find_pool, "flavor": cloud.load_balancer.find_flavor,
                   "subnet": cloud.network.find_subnet, "network": cloud.network.find_network}
        return finders[how](value, ignore_missing=False).id

    def _lb_id(self) -> str:
        return self.data["lb_id"]

    def _lb_ready(self, deleting: bool = False) -> bool:
        """Whether the load balancer takes changes now; ``ResourceInError`` if it failed.

        Octavia still deletes from a failed load balancer, so ``deleting`` takes ERROR as ready.
        """
        balancer = self.octavia.get_load_balancer(self._lb_id())
        if balancer.provisioning_status == "ERROR":
            if deleting:
                return True
            raise ResourceInError(f"Load balancer {balancer.id} went to status ERROR")
        return balancer.provisioning_status == "ACTIVE"

    def _url(self) -> str:
        return f"{self.path}/{self.physical_id}"

    def _fetch(self) -> Any:
        return getattr(self.octavia, f"get_{self.entity}")(self.physical_id)

    def _send_create(self, attrs: dict[str, Any]) -> Any:
        return getattr(self.octavia, f"create_{self.entity}")(**attrs)

    def _send_update(self, attrs: dict[str, Any]) -> None:
        getattr(self.octavia, f"update_{self.entity}")(self.physical_id, **attrs)

    def _send_delete(self) -> None:
        getattr(self.octavia, f"delete_{self.entity}")(self.physical_id, ignore_missing=True)

    def _settled(self) -> bool:
        """Whether the object is ``ACTIVE`` (``ResourceInError`` for ``ERROR``)."""
        found = self._fetch()
        if found.provisioning_status == "ERROR":
            raise ResourceInError(f"{self.type_name} {found.id} went to status ERROR")
        return found.provisioning_status == "ACTIVE"

    # -- lifecycle: children wait for the load balancer's turn -----------------------------------

    def create_attrs(self) -> dict[str, Any]:
        """The creation request's fields; also records ``lb_id`` (children override)."""
        raise NotImplementedError

    def create(self) -> None:
        self.set_data("attrs", self.create_attrs())
        self._try_create()

    def _try_create(self) -> bool:
        if not self._lb_ready():
            return False
        try:
            made = retrying(lambda: self._send_create(self.data["attrs"]))
        except Busy:
            return False
        self.set_physical_id(made.id)
        return True

    def check_create_complete(self) -> bool:
        if self.physical_id is None:
            self._try_create()
            return False
        return self._settled()

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        attrs = {}
        for name, value in changed.items():
            field, how = self.update_fields[name]
            attrs[field] = self._resolve(how, value)
        if attrs:
            self.set_data("update", attrs)
            self._try_update()

    def _try_update(self) -> None:
        if not self._lb_ready():
            return
        try:
            retrying(lambda: self._send_update(self.data["update"]))
        except Busy:
            return
        self.set_data("update", None)

    def check_update_complete(self) -> bool:
        if self.data.get("update"):
            self._try_update()
            return False
        return self._settled() and self._lb_ready()

    def delete(self) -> None:
        if self.physical_id is not None:
            self._try_delete()

    def _try_delete(self) -> None:
        try:
            if not self._lb_ready(deleting=True):
                return
            retrying(self._send_delete)
        except GONE:
            pass
        except Busy:
            return
        self.set_data("delete_sent", True)

    def check_delete_complete(self) -> bool:
        if self.physical_id is None:
            return True
        if not self.data.get("delete_sent"):
            self._try_delete()
            return False
        try:
            self._fetch()
            return False
        except GONE:
            pass
        try:  # the change is applied only once the load balancer is ACTIVE again
            return self._lb_ready(deleting=True)
        except GONE:
            return True

    # -- attributes --------------------------------------------------------------------------------

    def show(self) -> Any:
        """The object as Octavia's API shows it (``None`` once it is gone)."""
        if self.physical_id is None:
            return None
        response = self.octavia.get(self._url())
        if response.status_code == 404:
            return None
        sdk_exceptions.raise_from_response(response)
        return response.json()[self.body_key]

    def resolve_attribute(self, name: str) -> Any:
        shown = self.show()
        if name == "show" or shown is None:
            return shown
        return shown.get(self.attribute_keys.get(name, name))
