"""Nova flavors: the seeded m1.* sizes, admin-made ones, their extra specs and access lists."""

from __future__ import annotations

from typing import Any

from flask import request

from ..service import BadRequest, Conflict, body_of, caller, reply, store
from ..store import new_id, public
from .api import admin_only, at_least, blueprint, link, not_found, visible_flavor

#: devstack's flavors: (id, name, vcpus, ram MB, disk GB)
SEEDED = (("1", "m1.tiny", 1, 512, 1), ("2", "m1.small", 1, 2048, 20), ("3", "m1.medium", 2, 4096, 40),
          ("4", "m1.large", 4, 8192, 80), ("5", "m1.xlarge", 8, 16384, 160))


def seed() -> None:
    """Add the m1.* flavors unless they are there."""
    objects = store()
    for flavor_id, name, vcpus, ram, disk in SEEDED:
        if objects.get("flavor", flavor_id) is None:
            objects.add("flavor", _new(flavor_id, name, vcpus, ram, disk))


def _new(flavor_id: str, name: str, vcpus: int, ram: int, disk: int, *, swap: int = 0, ephemeral: int = 0,
         rxtx_factor: float = 1.0, is_public: bool = True, description: str | None = None) -> dict[str, Any]:
    return {"id": flavor_id, "name": name, "vcpus": vcpus, "ram": ram, "disk": disk, "swap": swap,
            "OS-FLV-EXT-DATA:ephemeral": ephemeral, "OS-FLV-DISABLED:disabled": False,
            "os-flavor-access:is_public": is_public, "rxtx_factor": rxtx_factor, "description": description,
            "extra_specs": {}, "_access": []}


def view(flavor: dict[str, Any], detailed: bool = True) -> dict[str, Any]:
    """The flavor as the request's microversion shows it."""
    shown: dict[str, Any] = {"id": flavor["id"], "name": flavor["name"]}
    if at_least(55):
        shown["description"] = flavor.get("description")
    if detailed:
        shown.update({key: value for key, value in public(flavor).items()
                      if key not in ("description", "extra_specs", "id", "name")})
        if not at_least(75) and not flavor["swap"]:
            shown["swap"] = ""  # older microversions show no swap as an empty string
        if at_least(61):
            shown["extra_specs"] = flavor.get("extra_specs") or {}
    shown["links"] = link("flavors", flavor["id"])
    return shown


def embedded(flavor: dict[str, Any]) -> dict[str, Any]:
    """What a server keeps of its flavor (the 2.47+ ``flavor`` of a server)."""
    return {"id": flavor["id"], "vcpus": flavor["vcpus"], "ram": flavor["ram"], "disk": flavor["disk"],
            "ephemeral": flavor["OS-FLV-EXT-DATA:ephemeral"], "swap": flavor["swap"],
            "original_name": flavor["name"], "extra_specs": dict(flavor.get("extra_specs") or {})}


def _found(flavor_id: str) -> dict[str, Any]:
    flavor = visible_flavor(flavor_id)
    if flavor is None:
        raise not_found(f"Flavor {flavor_id} could not be found.")
    return flavor


def _listed() -> list[dict[str, Any]]:
    wanted_public = request.args.get("is_public", "true").lower()
    flavors = [f for f in store().list("flavor") if visible_flavor(f["id"]) is not None]
    if caller().is_admin and wanted_public in ("none", "all"):
        pass
    elif caller().is_admin and wanted_public in ("false", "0", "no"):
        flavors = [f for f in flavors if not f["os-flavor-access:is_public"]]
    else:
        flavors = [f for f in flavors if f["os-flavor-access:is_public"]
                   or caller().project_id in f.get("_access", []) or caller().is_admin]
    for name, key in (("minRam", "ram"), ("minDisk", "disk")):
        if request.args.get(name):
            flavors = [f for f in flavors if f[key] >= int(request.args[name])]
    return sorted(flavors, key=lambda f: (f["ram"], f["id"]))


@blueprint.route("/v2.1/flavors", methods=["GET"])
def list_flavors():
    return reply({"flavors": [view(f, detailed=False) for f in _listed()]})


@blueprint.route("/v2.1/flavors/detail", methods=["GET"])
def list_flavors_detail():
    return reply({"flavors": [view(f) for f in _listed()]})


@blueprint.route("/v2.1/flavors/<flavor_id>", methods=["GET"])
def show_flavor(flavor_id: str):
    return reply({"flavor": view(_found(flavor_id))})


@blueprint.route("/v2.1/flavors", methods=["POST"])
def create_flavor():
    admin_only("os_compute_api:os-flavor-manage:create")
    data = body_of("flavor")
    name = str(data.get("name") or "").strip()
    if not name:
        raise BadRequest("Invalid input for field/attribute name. Value: ''. '' is too short")
    numbers = {}
    for key, default in (("ram", None), ("vcpus", None), ("disk", 0), ("swap", 0),
                         ("OS-FLV-EXT-DATA:ephemeral", 0)):
        value = data.get(key, default)
        try:
            numbers[key] = int(value)
        except (TypeError, ValueError):
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}. "
                             f"{value!r} is not of type 'integer', 'string'") from None
        if numbers[key] < (1 if key in ("ram", "vcpus") else 0):
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}. "
                             f"{value} is less than the minimum of {1 if key in ('ram', 'vcpus') else 0}")
    flavor_id = str(data.get("id") or new_id())
    with store().transaction():
        if store().get("flavor", flavor_id) is not None:
            raise Conflict(f"Flavor with ID {flavor_id} already exists.")
        if store().list("flavor", where=lambda f: f["name"] == name):
            raise Conflict(f"Flavor with name {name} already exists.")
        flavor = _new(flavor_id, name, numbers["vcpus"], numbers["ram"], numbers["disk"], swap=numbers["swap"],
                      ephemeral=numbers["OS-FLV-EXT-DATA:ephemeral"], rxtx_factor=float(data.get("rxtx_factor", 1.0)),
                      is_public=bool(data.get("os-flavor-access:is_public", True)),
                      description=data.get("description"))
        return reply({"flavor": view(store().add("flavor", flavor))})


@blueprint.route("/v2.1/flavors/<flavor_id>", methods=["PUT"])
def update_flavor(flavor_id: str):
    admin_only("os_compute_api:os-flavor-manage:update")
    flavor = _found(flavor_id)
    data = body_of("flavor")
    return reply({"flavor": view(store().change("flavor", flavor["id"], {"description": data.get("description")}))})


@blueprint.route("/v2.1/flavors/<flavor_id>", methods=["DELETE"])
def delete_flavor(flavor_id: str):
    admin_only("os_compute_api:os-flavor-manage:delete")
    store().remove("flavor", _found(flavor_id)["id"])
    return reply(None, 202)


@blueprint.route("/v2.1/flavors/<flavor_id>/os-extra_specs", methods=["GET"])
def list_extra_specs(flavor_id: str):
    return reply({"extra_specs": _found(flavor_id).get("extra_specs") or {}})


@blueprint.route("/v2.1/flavors/<flavor_id>/os-extra_specs", methods=["POST"])
def create_extra_specs(flavor_id: str):
    admin_only("os_compute_api:os-flavor-extra-specs:create")
    with store().transaction():
        flavor = _found(flavor_id)
        specs = body_of().get("extra_specs")
        if not isinstance(specs, dict):
            raise BadRequest("Invalid input for field/attribute extra_specs.")
        merged = {**(flavor.get("extra_specs") or {}), **{str(k): str(v) for k, v in specs.items()}}
        store().change("flavor", flavor["id"], {"extra_specs": merged})
    return reply({"extra_specs": merged})


@blueprint.route("/v2.1/flavors/<flavor_id>/os-extra_specs/<key>", methods=["GET"])
def show_extra_spec(flavor_id: str, key: str):
    specs = _found(flavor_id).get("extra_specs") or {}
    if key not in specs:
        raise not_found(f"Flavor {flavor_id} has no extra specs with key {key}.")
    return reply({key: specs[key]})


@blueprint.route("/v2.1/flavors/<flavor_id>/os-extra_specs/<key>", methods=["PUT"])
def update_extra_spec(flavor_id: str, key: str):
    admin_only("os_compute_api:os-flavor-extra-specs:update")
    with store().transaction():
        flavor = _found(flavor_id)
        data = body_of()
        if key not in data or len(data) != 1:
            raise BadRequest("Request body and URI mismatch")
        merged = {**(flavor.get("extra_specs") or {}), key: str(data[key])}
        store().change("flavor", flavor["id"], {"extra_specs": merged})
    return reply({key: merged[key]})


@blueprint.route("/v2.1/flavors/<flavor_id>/os-extra_specs/<key>", methods=["DELETE"])
def delete_extra_spec(flavor_id: str, key: str):
    admin_only("os_compute_api:os-flavor-extra-specs:delete")
    with store().transaction():
        flavor = _found(flavor_id)
        specs = dict(flavor.get("extra_specs") or {})
        if specs.pop(key, None) is None:
            raise not_found(f"Flavor {flavor_id} has no extra specs with key {key}.")
        store().change("flavor", flavor["id"], {"extra_specs": specs})
    return reply(None, 200)


@blueprint.route("/v2.1/flavors/<flavor_id>/action", methods=["POST"])
def flavor_action(flavor_id: str):
    admin_only("os_compute_api:os-flavor-access:add_tenant_access")
    with store().transaction():
        flavor = _found(flavor_id)
        data = body_of()
        access = list(flavor.get("_access") or [])
        if "addTenantAccess" in data:
            tenant = data["addTenantAccess"].get("tenant")
            if tenant in access:
                raise Conflict(f"Flavor access already exists for flavor {flavor_id} and project {tenant} "
                               "combination.")
            access.append(tenant)
        elif "removeTenantAccess" in data:
            tenant = data["removeTenantAccess"].get("tenant")
            if tenant not in access:
                raise not_found(f"Flavor access not found for {flavor_id} / {tenant} combination.")
            access.remove(tenant)
        else:
            raise BadRequest("There is no such action: " + ", ".join(data))
        store().change("flavor", flavor["id"], {"_access": access})
    return reply({"flavor_access": [{"flavor_id": flavor_id, "tenant_id": t} for t in access]})
