"""OS::Nova::Flavor: an admin's business, as in Nova."""

from __future__ import annotations

from typing import Any, Mapping

from resources.base import Resource
from resources.cloud import GONE
from resources.schema import Attribute, Boolean, Integer, List, Map, Number, Range, String


class Flavor(Resource):
    """A Nova flavor (admins only, as Nova's policy says)."""

    type_name = "OS::Nova::Flavor"
    description = "A flavor: the vCPUs, memory and disks servers of it get."
    properties_schema = {
        "ram": Integer("Memory in MB.", required=True, constraints=(Range(min=1),)),
        "vcpus": Integer("Number of vCPUs.", required=True, constraints=(Range(min=1),)),
        "disk": Integer("Root disk size in GB.", default=0, constraints=(Range(min=0),)),
        "swap": Integer("Swap size in MB.", default=0, constraints=(Range(min=0),)),
        "ephemeral": Integer("Ephemeral disk size in GB.", default=0, constraints=(Range(min=0),)),
        "rxtx_factor": Number("Bandwidth factor relative to the network's.", default=1.0),
        "is_public": Boolean("Whether every project may use the flavor.", default=True),
        "flavorid": String("The flavor's id (default: one Nova makes)."),
        "name": String("The flavor's name (default: a name made from the stack's and resource's)."),
        "extra_specs": Map("Extra specs key/values.", update_allowed=True),
        "tenants": List("Projects given access to a private flavor.", default=[], update_allowed=True),
        "description": String("A description of the flavor.", update_allowed=True),
    }
    attributes_schema = {
        "is_public": Attribute("Whether the flavor is public.", type="boolean"),
        "extra_specs": Attribute("The flavor's extra specs.", type="map"),
        "show": Attribute("The flavor as Nova shows it.", type="map"),
    }

    def _compute(self) -> Any:
        return self.runtime.cloud().compute

    def create(self) -> None:
        props = self.properties
        fields: dict[str, Any] = {"name": props.get("name") or self.runtime.physical_name(), "ram": props["ram"],
                                  "vcpus": props["vcpus"], "disk": props["disk"], "swap": props["swap"],
                                  "ephemeral": props["ephemeral"], "rxtx_factor": props["rxtx_factor"],
                                  "is_public": props["is_public"]}
        if props.get("flavorid"):
            fields["id"] = props["flavorid"]
        if props.get("description"):
            fields["description"] = props["description"]
        flavor = self._compute().create_flavor(**fields)
        self.set_physical_id(flavor.id)
        if props.get("extra_specs"):
            self._compute().create_flavor_extra_specs(flavor.id, {k: str(v) for k, v in props["extra_specs"].items()})
        if not props["is_public"]:
            for tenant in props.get("tenants") or []:
                self._compute().flavor_add_tenant_access(flavor.id, tenant)

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        compute = self._compute()
        if "extra_specs" in changed:
            wanted = {str(k): str(v) for k, v in (changed["extra_specs"] or {}).items()}
            flavor = compute.fetch_flavor_extra_specs(compute.get_flavor(self.physical_id))
            for key in flavor.extra_specs or {}:
                if key not in wanted:
                    compute.delete_flavor_extra_specs_property(self.physical_id, key)
            if wanted:
                compute.create_flavor_extra_specs(self.physical_id, wanted)
        if "tenants" in changed and not properties.get("is_public"):
            before = set(self.properties.get("tenants") or [])
            after = set(changed["tenants"] or [])
            for tenant in after - before:
                compute.flavor_add_tenant_access(self.physical_id, tenant)
            for tenant in before - after:
                compute.flavor_remove_tenant_access(self.physical_id, tenant)
        if "description" in changed:
            compute.update_flavor(self.physical_id, description=changed["description"])
        self.properties = dict(properties)

    def delete(self) -> None:
        if self.physical_id is None:
            return
        try:
            self._compute().delete_flavor(self.physical_id, ignore_missing=True)
        except GONE:
            pass

    def show(self) -> Any:
        if self.physical_id is None:
            return None
        try:
            flavor = self._compute().get_flavor(self.physical_id)
            flavor = self._compute().fetch_flavor_extra_specs(flavor)
        except GONE:
            return None
        return flavor.to_dict(computed=False)

    def resolve_attribute(self, name: str) -> Any:
        if name in ("is_public", "extra_specs"):
            shown = self.show()
            return shown.get(name) if shown else None
        return super().resolve_attribute(name)

