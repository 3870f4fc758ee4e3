"""What the Neutron plugins share: REST calls in Neutron's own vocabulary, lookups, the built check.

The plugins speak Neutron's body names (``admin_state_up``, ``router:external``)
through the openstacksdk connection's network adapter, so properties map to
request bodies and attributes to response bodies one to one.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping

from openstack import exceptions

from resources.base import Resource
from resources.cloud import lookup
from resources.errors import ResourceInError

#: statuses Heat treats as still building, and as failed
BUILDING = {"BUILD", "PENDING_CREATE", "PENDING_UPDATE"}
FAILED = {"ERROR", "DEGRADED"}


def call(cloud: Any, method: str, path: str, body: Any = None) -> Any:
    """A Neutron request; the response's JSON (``None`` when empty), or the SDK's exception for an error."""
    options = {"json": body} if body is not None else {}
    response = cloud.network.request(path, method, **options)
    try:
        exceptions.raise_from_response(response)
    except exceptions.HttpException as exc:
        # Neutron's own words (as Heat's events show them) rather than the bare status code
        exc.message = exc.details or exc.message
        raise
    return response.json() if response.content else None


def find_id(cloud: Any, kind: str, value: str) -> str:
    """The id of the ``kind`` (``network``, ``subnet``, ``port``, ``router``, ``security_group``) named or numbered ``value``."""
    return getattr(cloud.network, f"find_{kind}")(value, ignore_missing=False).id


#: constraint name → check raising ``openstack.exceptions.ResourceNotFound`` for a missing object; each
#: plugin module exposes it, since the engine reads ``CUSTOM_CONSTRAINTS`` from the module defining a type
CUSTOM_CONSTRAINTS: dict[str, Callable[[Any, str], None]] = {
    "neutron.network": lookup("network", "network"),
    "neutron.subnet": lookup("network", "subnet"),
    "neutron.port": lookup("network", "port"),
    "neutron.router": lookup("network", "router"),
    "neutron.security_group": lookup("network", "security_group"),
}


class NeutronResource(Resource):
    """A plugin whose object lives in one Neutron collection (``collection``, ``singular``)."""

    collection: ClassVar[str] = ""
    singular: ClassVar[str] = ""
    #: attributes read straight from the object's body (anything else is computed)
    body_attributes: ClassVar[tuple[str, ...]] = ()

    @property
    def cloud(self) -> Any:
        return self.runtime.cloud()

    def _path(self, object_id: str | None = None) -> str:
        return f"/{self.collection}/{object_id or self.physical_id}"

    def _create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        made = call(self.cloud, "POST", f"/{self.collection}", {self.singular: dict(body)})[self.singular]
        self.set_physical_id(made["id"])
        return made

    def _update(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return call(self.cloud, "PUT", self._path(), {self.singular: dict(body)})[self.singular]

    def body(self) -> dict[str, Any] | None:
        """The object as Neutron shows it; ``None`` when there is none."""
        if not self.physical_id:
            return None
        try:
            return call(self.cloud, "GET", self._path())[self.singular]
        except exceptions.NotFoundException:
            return None

    def check_create_complete(self) -> bool:
        return self._built()

    def check_update_complete(self) -> bool:
        return self._built()

    def _built(self) -> bool:
        found = self.body()
        if found is None:
            raise ResourceInError(f"{self.type_name} {self.physical_id} disappeared")
        status = found.get("status")
        if status in FAILED:
            raise ResourceInError(f"Went to status {status} due to \"Unknown\"")
        return status not in BUILDING

    def delete(self) -> None:
        if not self.physical_id:
            return
        try:
            call(self.cloud, "DELETE", self._path())
        except exceptions.NotFoundException:
            pass

    def check_delete_complete(self) -> bool:
        return self.body() is None

    def show(self) -> Any:
        return self.body()

    def resolve_attribute(self, name: str) -> Any:
        if name == "show":
            return self.show()
        if name in self.body_attributes:
            found = self.body()
            return found.get(name) if found else None
        return None

    def set_tags(self, tags: list[str]) -> None:
        """Replace the object's tags (Neutron's tag extension)."""
        call(self.cloud, "PUT", f"{self._path()}/tags", {"tags": list(tags)})

    def value_specs(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """``value_specs``: extra body fields passed as they are."""
        return dict(properties.get("value_specs") or {})
