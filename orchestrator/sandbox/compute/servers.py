"""Nova servers: create, list, show, update, delete, and their metadata and volume attachments.

A server is ``BUILD`` for ``build_seconds`` then ``ACTIVE``; deleting sets
``task_state: deleting`` and the server is gone ``delete_seconds`` later.
Lifecycle actions (stop, resize, …) live in ``actions.py``.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from typing import Any

from flask import request

from ..service import BadRequest, Conflict, OverQuota, SandboxError, body_of, caller, reply, settings, store
from ..store import new_id, public
from . import links
from .api import (AVAILABILITY_ZONE, all_projects, at_least, blueprint, link, not_found, now_iso, quota, usage,
                  visible_flavor, visible_image)
from .flavors import embedded
from .keypairs import find as find_keypair
from .project import add_member

#: what each status means in Nova's vm_state and power_state (task_state set separately)
STATES: dict[str, tuple[str, int]] = {
    "BUILD": ("building", 0), "ACTIVE": ("active", 1), "SHUTOFF": ("stopped", 4), "SUSPENDED": ("suspended", 7),
    "PAUSED": ("paused", 3), "VERIFY_RESIZE": ("resized", 1), "RESIZE": ("active", 1), "REBUILD": ("active", 1),
    "REBOOT": ("active", 1), "HARD_REBOOT": ("active", 1), "REVERT_RESIZE": ("resized", 1), "ERROR": ("error", 0),
}
USER_DATA_LIMIT = 65535
UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def state(status: str, task_state: str | None = None) -> dict[str, Any]:
    """The changes that put a server in ``status`` (``task_state`` ``None`` clears it)."""
    vm_state, power_state = STATES[status]
    return {"status": status, "OS-EXT-STS:vm_state": vm_state, "OS-EXT-STS:power_state": power_state,
            "OS-EXT-STS:task_state": task_state}


def find(server_id: str) -> dict[str, Any]:
    """The caller's server (any project's for an admin), or Nova's 404."""
    # one transaction: two reads attaching the same pending volumes must not overwrite each other's lists
    with store().transaction():
        server = store().get("server", server_id, None if caller().is_admin else caller().project_id)
        if server is None:
            raise not_found(f"Instance {server_id} could not be found.")
        return attach_pending(server)


def view(server: dict[str, Any]) -> dict[str, Any]:
    """The server in full, as the request's microversion shows it."""
    shown = public(server)
    shown["OS-EXT-STS:task_state"] = server.get("OS-EXT-STS:task_state")
    for key in ("user_data", "image_id", "flavor", "tags", "description"):
        shown.pop(key, None)
    image_id = server.get("image_id")
    shown["image"] = {"id": image_id, "links": [link("images", image_id)[1]]} if image_id else ""
    flavor = server["flavor"]
    if at_least(47):
        shown["flavor"] = {key: value for key, value in flavor.items() if key != "id"}
    else:
        shown["flavor"] = {"id": flavor["id"], "links": [link("flavors", flavor["id"])[1]]}
    shown["addresses"] = links.addresses(server["id"])
    shown["links"] = link("servers", server["id"])
    if at_least(19):
        shown["description"] = server.get("description")
    if at_least(26):
        shown["tags"] = server.get("tags") or []
    if at_least(71):
        shown["server_groups"] = [g["id"] for g in store().list(
            "server_group", where=lambda g: server["id"] in g.get("members", []))]
    volumes = [{"id": v["id"], "delete_on_termination": v.get("delete_on_termination", False)}
               for v in server.get("_volumes", [])]
    shown["os-extended-volumes:volumes_attached"] = volumes
    if caller().is_admin:
        shown.update({"OS-EXT-SRV-ATTR:host": "sandbox", "OS-EXT-SRV-ATTR:hypervisor_hostname": "sandbox",
                      "OS-EXT-SRV-ATTR:instance_name": server["_instance_name"]})
        if at_least(3):
            shown["OS-EXT-SRV-ATTR:user_data"] = server.get("user_data")
    return shown


def _brief(server: dict[str, Any]) -> dict[str, Any]:
    return {"id": server["id"], "name": server["name"], "links": link("servers", server["id"])}


# -- create --------------------------------------------------------------------------------

def _flavor(reference: Any) -> dict[str, Any]:
    flavor_id = str(reference or "").rstrip("/").rpartition("/")[2]
    flavor = visible_flavor(flavor_id) if flavor_id else None
    if flavor is None:
        raise BadRequest("Invalid flavorRef provided.")
    return flavor


def _image(reference: Any, boots_from_volume: bool, flavor: dict[str, Any]) -> str | None:
    image_id = str(reference or "").rstrip("/").rpartition("/")[2]
    if not image_id:
        if boots_from_volume:
            return None
        raise BadRequest("Block Device Mapping is Invalid: Boot sequence for the instance and image/block device "
                         "mapping combination is not valid.")
    if not UUID.match(image_id):
        raise BadRequest("Invalid imageRef provided.")
    image = visible_image(image_id)
    if image is None:
        raise BadRequest(f"Image {image_id} could not be found.")
    if image.get("status") != "active":
        raise BadRequest(f"Image {image_id} is not active.")
    if not boots_from_volume and flavor["disk"] and (image.get("min_disk") or 0) > flavor["disk"]:
        raise BadRequest("Flavor's disk is too small for requested image. Flavor disk is "
                         f"{flavor['disk'] * 1024 ** 3} bytes, minimum requested disk is "
                         f"{image['min_disk'] * 1024 ** 3} bytes.")
    if (image.get("min_ram") or 0) > flavor["ram"]:
        raise BadRequest("Flavor's memory is too small for requested image.")
    return image_id


def _user_data(value: Any) -> str | None:
    if value is None:
        return None
    if len(value) > USER_DATA_LIMIT:
        raise BadRequest(f"User data too large. User data must be no larger than {USER_DATA_LIMIT} bytes once "
                         f"base64 encoded. Your data is {len(value)} bytes")
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("User data needs to be valid base 64.") from None
    return value


def _check_quota(project_id: str, wanted: dict[str, int], freed: dict[str, int] | None = None) -> None:
    used = usage(project_id)
    freed = freed or {}
    overs = [name for name, more in wanted.items()
             if more > 0 and used[name] - freed.get(name, 0) + more > quota(project_id, name)]
    if overs:
        requested = ", ".join(str(wanted[name]) for name in overs)
        in_use = ", ".join(str(used[name]) for name in overs)
        allowed = ", ".join(str(quota(project_id, name)) for name in overs)
        names = ", ".join(overs)
        raise OverQuota(f"Quota exceeded for {names}: Requested {requested}, but already used {in_use} of "
                        f"{allowed} {names}", status=403)


def _networks(requested: Any) -> list[dict[str, Any]]:
    if requested is None:
        if at_least(37):
            raise BadRequest("Invalid input for field/attribute server. Value: {}. 'networks' is a required "
                             "property")
        return [{"auto": True}]
    if requested in ("auto", "none"):
        if not at_least(37):
            raise BadRequest(f"Invalid input for field/attribute networks. Value: {requested}. "
                             f"'{requested}' is not of type 'array'")
        return [{"auto": True}] if requested == "auto" else []
    if not isinstance(requested, list):
        raise BadRequest(f"Invalid input for field/attribute networks. Value: {requested}. "
                         f"{requested!r} is not of type 'array'")
    found = []
    for item in requested:
        if not isinstance(item, dict) or not (item.get("uuid") or item.get("port")):
            raise BadRequest("Bad networks format: network uuid is not in proper format")
        if item.get("uuid") and not UUID.match(item["uuid"]):
            raise BadRequest(f"Bad networks format: network uuid is not in proper format ({item['uuid']})")
        found.append(item)
    return found


def _auto_network() -> str | None:
    """The network ``auto`` picks: the project's only one, or else the only shared one (no auto-allocation)."""
    project = caller().project_id
    networks = store().list("network", where=lambda n: not n.get("router:external"))
    own = [n for n in networks if n.get("project_id", n.get("tenant_id")) == project]
    shared = [n for n in networks if n.get("shared")]
    for candidates in (own, shared):
        if len(candidates) == 1:
            return candidates[0]["id"]
        if candidates:
            raise Conflict("Multiple possible networks found, use a Network ID to be more specific.")
    return None


def _bind_ports(server_id: str, requested: list[dict[str, Any]], security_groups: list[str]) -> None:
    project = caller().project_id
    for item in requested:
        if item.get("auto"):
            network_id = _auto_network()
            if network_id is None:
                continue
            item = {"uuid": network_id}
        links.call("network", "bind_port", project, device_id=server_id, device_owner=f"compute:{AVAILABILITY_ZONE}",
                   network_id=item.get("uuid"), port_id=item.get("port"), fixed_ip=item.get("fixed_ip"),
                   security_groups=None if item.get("port") else (security_groups or None))


def _boot_order(mapping: dict[str, Any]) -> int:
    try:
        index = int(mapping.get("boot_index"))
    except (TypeError, ValueError):
        return 1 << 16  # no boot index: after every bootable device
    return index if index >= 0 else 1 << 16


def _attach_block_devices(server_id: str, mappings: list[dict[str, Any]]) -> tuple[list, list]:
    """Attach the server's existing volumes; create those made from an image or blank.

    Returns ``(attached, pending)``: a new volume is ``creating`` and cannot be
    attached yet, so it waits in ``pending`` until ``attach_pending`` finds it
    available (within the server's build time, as both take ``build_seconds``).
    """
    project = caller().project_id
    attached, pending = [], []
    prefix = "Block Device Mapping is Invalid: "
    for index, mapping in enumerate(sorted(mappings, key=_boot_order)):
        source, destination = mapping.get("source_type"), mapping.get("destination_type", "volume")
        if destination != "volume":
            continue
        device = mapping.get("device_name") or f"/dev/vd{chr(ord('a') + index)}"
        entry = {"device": device, "delete_on_termination": bool(mapping.get("delete_on_termination", False))}
        if source in ("image", "blank"):
            if not mapping.get("volume_size"):
                raise BadRequest(prefix + "Images with destination_type 'volume' need to have a non-zero size "
                                 "specified")
            volume = links.call("volume", "create_volume", project, int(mapping["volume_size"]),
                                image_id=mapping.get("uuid") if source == "image" else None, prefix=prefix)
            if volume is None:
                raise BadRequest(prefix + "the sandbox's Cinder cannot create volumes.")
            pending.append({**entry, "id": volume["id"]})
        elif source == "volume":
            attachment = links.call("volume", "attach_volume", project, mapping.get("uuid"), server_id, device,
                                    prefix=prefix) or {}
            attached.append({**entry, "id": mapping.get("uuid"), "device": attachment.get("device", device),
                             "attachment_id": attachment.get("attachment_id"), "bdm_uuid": new_id()})
        else:
            raise BadRequest(prefix + f"source_type {source} with destination_type volume is not supported.")
    return attached, pending


def attach_pending(server: dict[str, Any]) -> dict[str, Any]:
    """Attach the server's new volumes that have become available; the server after."""
    waiting = server.get("_pending_volumes")
    if not waiting:
        return server
    volumes, still = list(server.get("_volumes", [])), []
    for entry in waiting:
        try:
            attachment = links.call("volume", "attach_volume", server["tenant_id"], entry["id"], server["id"],
                                    entry["device"]) or {}
        except SandboxError:
            still.append(entry)
            continue
        volumes.append({**entry, "device": attachment.get("device", entry["device"]),
                        "attachment_id": attachment.get("attachment_id"), "bdm_uuid": new_id()})
    return store().change("server", server["id"], {"_volumes": volumes, "_pending_volumes": still or None})


@blueprint.route("/v2.1/servers", methods=["POST"])
def create_server():
    data = body_of("server")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise BadRequest(f"Invalid input for field/attribute name. Value: {name}. {name!r} does not match "
                         "'^(?! )[a-zA-Z0-9. _-]+(?<! )$'" if name else
                         "Invalid input for field/attribute server. Value: {}. 'name' is a required property")
    mappings = data.get("block_device_mapping_v2") or []
    boots_from_volume = any(str(m.get("boot_index")) == "0" and m.get("destination_type") == "volume"
                            for m in mappings)
    flavor = _flavor(data.get("flavorRef"))
    image_id = _image(data.get("imageRef"), boots_from_volume, flavor)
    if data.get("key_name") and find_keypair(caller().user_id, data["key_name"]) is None:
        raise BadRequest("Invalid key_name provided.")
    zone = data.get("availability_zone") or AVAILABILITY_ZONE
    if zone.partition(":")[0] != AVAILABILITY_ZONE:
        raise BadRequest("The requested availability zone is not available")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise BadRequest("Invalid input for field/attribute metadata. Value must be a map of strings.")
    networks = _networks(data.get("networks"))
    security_groups = [g.get("name") for g in data.get("security_groups") or [] if isinstance(g, dict)]
    outer = request.get_json(silent=True)
    hints = outer.get("os:scheduler_hints") or outer.get("OS-SCH-HNT:scheduler_hints") or {}
    project = caller().project_id
    objects = store()
    now = store().clock()
    with objects.transaction():
        _check_quota(project, {"instances": 1, "cores": flavor["vcpus"], "ram": flavor["ram"]})
        server = {
            "id": None, "name": name, "tenant_id": project, "user_id": caller().user_id,
            "metadata": metadata, "hostId": "", "image_id": image_id, "flavor": embedded(flavor),
            "created": now_iso(now), "updated": now_iso(now), "accessIPv4": data.get("accessIPv4", ""),
            "accessIPv6": data.get("accessIPv6", ""), "OS-DCF:diskConfig": data.get("OS-DCF:diskConfig", "MANUAL"),
            "progress": 0, "OS-EXT-AZ:availability_zone": zone.partition(":")[0],
            "config_drive": "True" if data.get("config_drive") else "", "key_name": data.get("key_name"),
            "OS-SRV-USG:launched_at": None, "OS-SRV-USG:terminated_at": None,
            "security_groups": [{"name": g} for g in security_groups or ["default"]],
            "locked": False, "user_data": _user_data(data.get("user_data")),
            "description": data.get("description"), "tags": data.get("tags") or [],
        }
        server["id"] = new_server_id = new_id()
        server.update(state("BUILD", "spawning"))
        server["_instance_name"] = f"instance-{objects.count('server') + 1:08x}"
        if at_least(73):
            server["locked_reason"] = None
        if at_least(63):
            server["trusted_image_certificates"] = None
        if at_least(90):
            server["OS-EXT-SRV-ATTR:hostname"] = re.sub(r"[^a-z0-9-]", "-", name.lower())[:63]
        objects.add("server", {key: value for key, value in server.items() if value is not None or key in (
            "key_name", "OS-SRV-USG:launched_at", "OS-SRV-USG:terminated_at", "description", "user_data",
            "image_id", "locked_reason", "trusted_image_certificates")}, project)
        if hints.get("group"):
            add_member(hints["group"], new_server_id)
        _bind_ports(new_server_id, networks, security_groups)
        volumes, pending = _attach_block_devices(new_server_id, mappings)
        if volumes or pending:
            objects.change("server", new_server_id, {"_volumes": volumes, "_pending_volumes": pending or None})
        built = now + settings().build_seconds
        objects.schedule("server", new_server_id, settings().build_seconds,
                         {**state("ACTIVE"), "OS-SRV-USG:launched_at": now_iso(built).replace("Z", ".000000"),
                          "updated": now_iso(built), "progress": 100,
                          "hostId": secrets.token_hex(28)})
    created = {"id": new_server_id, "links": link("servers", new_server_id),
               "OS-DCF:diskConfig": server["OS-DCF:diskConfig"], "security_groups": server["security_groups"],
               "adminPass": secrets.token_urlsafe(9)}
    return reply({"server": created}, 202, {"Location": link("servers", new_server_id)[0]["href"]})


# -- read, update, delete ------------------------------------------------------------------

#: list filters: query parameter → test on the stored server
_FILTERS = {
    "name": lambda server, value: re.search(value, server["name"]) is not None,
    "status": lambda server, value: server["status"] == value.upper(),
    "flavor": lambda server, value: server["flavor"]["id"] == value,
    "image": lambda server, value: server.get("image_id") == value,
    "key_name": lambda server, value: server.get("key_name") == value,
    "uuid": lambda server, value: server["id"] == value,
    "availability_zone": lambda server, value: server["OS-EXT-AZ:availability_zone"] == value,
    "tenant_id": lambda server, value: server["tenant_id"] == value,
    "project_id": lambda server, value: server["tenant_id"] == value,
    "user_id": lambda server, value: server["user_id"] == value,
}


def _listed() -> list[dict[str, Any]]:
    project = None if all_projects() else caller().project_id
    with store().transaction():
        servers = [attach_pending(s) for s in store().list("server", project)]
    for name, test in _FILTERS.items():
        value = request.args.get(name)
        if value is not None:
            try:
                servers = [s for s in servers if test(s, value)]
            except re.error:
                servers = [s for s in servers if s["name"] == value]
    servers.sort(key=lambda s: (s["created"], s["id"]), reverse=True)
    marker = request.args.get("marker")
    if marker:
        ids = [s["id"] for s in servers]
        if marker not in ids:
            raise BadRequest(f"marker [{marker}] not found")
        servers = servers[ids.index(marker) + 1:]
    if request.args.get("limit"):
        servers = servers[:int(request.args["limit"])]
    return servers


@blueprint.route("/v2.1/servers", methods=["GET"])
def list_servers():
    return reply({"servers": [_brief(s) for s in _listed()]})


@blueprint.route("/v2.1/servers/detail", methods=["GET"])
def list_servers_detail():
    return reply({"servers": [view(s) for s in _listed()]})


@blueprint.route("/v2.1/servers/<server_id>", methods=["GET"])
def show_server(server_id: str):
    return reply({"server": view(find(server_id))})


@blueprint.route("/v2.1/servers/<server_id>", methods=["PUT"])
def update_server(server_id: str):
    server = find(server_id)
    data = body_of("server")
    allowed = {"name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"} | ({"description"} if at_least(19) else set())
    unexpected = set(data) - allowed
    if unexpected:
        raise BadRequest("Invalid input for field/attribute server. Additional properties are not allowed "
                         f"({', '.join(repr(k) for k in sorted(unexpected))} was unexpected)")
    if "name" in data and (not isinstance(data["name"], str) or not data["name"].strip()):
        raise BadRequest(f"Invalid input for field/attribute name. Value: {data['name']}.")
    changes = {key: value for key, value in data.items()}
    changes["updated"] = now_iso()
    return reply({"server": view(store().change("server", server["id"], changes))})


@blueprint.route("/v2.1/servers/<server_id>", methods=["DELETE"])
def delete_server(server_id: str):
    objects = store()
    with objects.transaction():
        server = find(server_id)
        if server.get("locked") and not caller().is_admin:
            raise Conflict(f"Instance {server_id} is locked")
        links.release_ports(server["id"])
        for volume in server.get("_volumes", []):
            try:
                links.call("volume", "detach_volume", volume["id"], server["id"])
            except SandboxError:
                pass  # a volume gone or detached behind Nova's back: nothing left to let go of
        for volume in server.get("_volumes", []) + server.get("_pending_volumes", []):
            if volume.get("delete_on_termination"):
                try:
                    links.call("volume", "delete_volume", server["tenant_id"], volume["id"])
                except SandboxError:
                    pass  # a volume still being made stays behind, as when Nova's cleanup fails
        objects.change("server", server["id"], {"OS-EXT-STS:task_state": "deleting", "_volumes": None,
                                                "_pending_volumes": None})
        objects.schedule("server", server["id"], settings().delete_seconds, {"_gone": True}, replace=True)
    return reply(None, 204)
