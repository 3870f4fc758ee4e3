"""OS::Nova::Server: a server booted through Nova and waited for until ``ACTIVE``.

Its name and metadata change in place; a new flavor resizes it (and confirms
the resize once Nova asks for it) and a new image rebuilds it, unless the
template's update policies say ``REPLACE``.  Networks given by ``subnet`` get
a port made here (as Heat does), deleted with the server.  ``user_data`` is
passed to Nova as it is whatever ``user_data_format`` says: the sandbox runs
no cloud-init, so Heat's CFN-tools and software-config wrappers would carry
nothing a test could see.
"""

from __future__ import annotations

import base64
from typing import Any, Iterable, Mapping

from openstack import exceptions as sdk_exceptions

from orchestrator.template.constraints import CustomConstraint
from resources.base import Resource
from resources.cloud import GONE
from resources.errors import ResourceInError, UpdateReplace
from resources.schema import AllowedValues, Attribute, Boolean, Integer, List, Map, PropertyProblem, String

#: a ``networks`` entry needs one of these
NETWORK_KEYS = ("network", "port", "allocate_network", "subnet")
#: the microversion Heat's reads of a server use (Zed's newest)
SHOW_MICROVERSION = "2.93"
#: statuses a server rests in once an operation is over
RESTING = ("ACTIVE", "SHUTOFF")
#: the server's key for the operation Nova is busy with
TASK_STATE = "OS-EXT-STS:task_state"


_NETWORK_SCHEMA = Map(schema={
    "network": String("Name or id of the network to attach to.",
                      constraints=(CustomConstraint("neutron.network"),), deprecated_names=("uuid",)),
    "allocate_network": String("'auto' or 'none': let Nova pick a network, or attach none.",
                               constraints=(AllowedValues(["none", "auto"]),)),
    "fixed_ip": String("The fixed IP address to ask for."),
    "port": String("Id of an existing port to use.", constraints=(CustomConstraint("neutron.port"),)),
    "subnet": String("Subnet to make the server's port on.", constraints=(CustomConstraint("neutron.subnet"),)),
    "floating_ip": String("Id of a floating IP to associate with the server's port on this network."),
    "port_extra_properties": Map("Extra properties of the port made for the server."),
    "tag": String("A device tag for the interface."),
})

_BDM_V2_SCHEMA = Map(schema={
    "device_name": String("Where the device appears in the server, e.g. vda."),
    "volume_id": String("Id of an existing volume to attach.", constraints=(CustomConstraint("cinder.volume"),)),
    "image": String("Image to make a new volume from.", constraints=(CustomConstraint("glance.image"),),
                    deprecated_names=("image_id",)),
    "snapshot_id": String("Snapshot to make a new volume from.", constraints=(CustomConstraint("cinder.snapshot"),)),
    "swap_size": Integer("Size of a swap device (MB)."),
    "ephemeral_size": Integer("Size of an ephemeral disk (GB)."),
    "ephemeral_format": String("File system of the ephemeral disk."),
    "disk_bus": String("The disk bus (virtio, scsi, …)."),
    "device_type": String("disk or cdrom.", constraints=(AllowedValues(["cdrom", "disk"]),)),
    "volume_size": Integer("Size of the new volume (GB)."),
    "boot_index": Integer("The boot order (0 boots)."),
    "delete_on_termination": Boolean("Whether the volume goes with the server."),
})

_BDM_SCHEMA = Map(schema={
    "device_name": String("Where the device appears in the server, e.g. vda.", required=True),
    "volume_id": String("Id of the volume to attach.", constraints=(CustomConstraint("cinder.volume"),)),
    "snapshot_id": String("Snapshot to make the volume from.", constraints=(CustomConstraint("cinder.snapshot"),)),
    "volume_size": Integer("Size of the volume (GB)."),
    "delete_on_termination": Boolean("Whether the volume goes with the server."),
})


def _encoded(user_data: str) -> str | None:
    return base64.b64encode(user_data.encode()).decode() if user_data else None


class Server(Resource):
    """A Nova server."""

    type_name = "OS::Nova::Server"
    description = "A compute instance, booted from an image or a volume, on the networks given."
    properties_schema = {
        "name": String("Server name (default: a name made from the stack's and resource's).", update_allowed=True),
        "image": String("Name or id of the image to boot.", update_allowed=True,
                        constraints=(CustomConstraint("glance.image"),)),
        "flavor": String("Name or id of the flavor.", required=True, update_allowed=True,
                         constraints=(CustomConstraint("nova.flavor"),)),
        "flavor_update_policy": String("What a new flavor does: RESIZE the server or REPLACE it.",
                                       default="RESIZE", update_allowed=True,
                                       constraints=(AllowedValues(["RESIZE", "REPLACE"]),)),
        "image_update_policy": String("What a new image does: REBUILD the server or REPLACE it.",
                                      default="REBUILD", update_allowed=True,
                                      constraints=(AllowedValues(["REBUILD", "REPLACE",
                                                                  "REBUILD_PRESERVE_EPHEMERAL"]),)),
        "key_name": String("Name of the key pair to inject.", constraints=(CustomConstraint("nova.keypair"),)),
        "admin_user": String("Deprecated; ignored."),
        "availability_zone": String("Availability zone to boot in."),
        "security_groups": List("Security group names or ids.", default=[]),
        "networks": List("The server's networks.", update_allowed=True, schema=_NETWORK_SCHEMA),
        "block_device_mapping": List("Volumes to attach (the old mapping format).", schema=_BDM_SCHEMA),
        "block_device_mapping_v2": List("Block devices: volumes (new or existing), swap, ephemeral disks.",
                                        schema=_BDM_V2_SCHEMA),
        "scheduler_hints": Map("Hints for the scheduler (a server group, say)."),
        "metadata": Map("Metadata key/values of the server.", update_allowed=True),
        "user_data_format": String("How user_data is wrapped; the sandbox passes it as it is.",
                                   default="HEAT_CFNTOOLS",
                                   constraints=(AllowedValues(["HEAT_CFNTOOLS", "RAW", "SOFTWARE_CONFIG"]),)),
        "software_config_transport": String(
            "How the server polls for software configs.", default="POLL_SERVER_CFN", update_allowed=True,
            constraints=(AllowedValues(["POLL_SERVER_CFN", "POLL_SERVER_HEAT", "POLL_TEMP_URL",
                                        "ZAQAR_MESSAGE"]),)),
        "user_data_update_policy": String("What new user_data does.", default="REPLACE", update_allowed=True,
                                          constraints=(AllowedValues(["REPLACE", "IGNORE", "REBUILD"]),)),
        "user_data": String("User data for the server (cloud-init).", default="", update_allowed=True),
        "reservation_id": String("A reservation id (ignored)."),
        "config_drive": Boolean("Whether to attach a configuration drive."),
        "diskConfig": String("AUTO or MANUAL disk partitioning.", constraints=(AllowedValues(["AUTO", "MANUAL"]),)),
        "personality": Map("Files to inject (removed from Nova in 2.57).", default={}),
        "admin_pass": String("The administrator password.", update_allowed=True),
        "tags": List("Server tags.", update_allowed=True),
        "deployment_swift_data": Map("Swift container and object for deployments (ignored).", default={},
                                     update_allowed=True),
    }
    attributes_schema = {
        "show": Attribute("The server as Nova shows it.", type="map"),
        "name": Attribute("Name of the server.", type="string"),
        "addresses": Attribute("Addresses by network name, each with its port id.", type="map"),
        "networks": Attribute("IP addresses by network name and id.", type="map"),
        "first_address": Attribute("The first address of the server (deprecated).", type="string"),
        "instance_name": Attribute("The hypervisor's name of the server (admins only).", type="string"),
        "accessIPv4": Attribute("The manually set IPv4 access address.", type="string"),
        "accessIPv6": Attribute("The manually set IPv6 access address.", type="string"),
        "console_urls": Attribute("Console URLs (not provided: always null).", type="map"),
        "tags": Attribute("The server's tags.", type="list"),
        "os_collect_config": Attribute("os-collect-config settings (not provided: always null).", type="map"),
    }

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """Each ``networks`` entry must say where the server joins (Heat's rule)."""
        if "networks" in unknown:
            return []
        return [PropertyProblem(("networks", index), 'One of the properties "network", "port", "allocate_network" '
                                                     'or "subnet" should be set for the specified network of server.')
                for index, entry in enumerate(properties.get("networks") or ())
                if isinstance(entry, Mapping) and not any(entry.get(key) is not None for key in NETWORK_KEYS)]

    def _compute(self) -> Any:
        return self.runtime.cloud().compute

    def _server(self) -> dict[str, Any]:
        """The server's body as Nova shows it (raw: polled often, and openstacksdk's objects cost CPU)."""
        answer = self._compute().get(f"/servers/{self.physical_id}", microversion=SHOW_MICROVERSION)
        sdk_exceptions.raise_from_response(answer)
        return answer.json()["server"]

    # -- create ------------------------------------------------------------------------

    def _flavor_id(self, name_or_id: str) -> str:
        return self._compute().find_flavor(name_or_id, ignore_missing=False).id

    def _image_id(self, name_or_id: str) -> str:
        return self.runtime.cloud().image.find_image(name_or_id, ignore_missing=False).id

    def _network_id(self, name_or_id: str) -> str:
        return self.runtime.cloud().network.find_network(name_or_id, ignore_missing=False).id

    def _nics(self) -> Any:
        """Nova's ``networks`` for the property; ports asked for by subnet are made here."""
        networks = self.properties.get("networks")
        if not networks:
            return "auto"
        nics: list[dict[str, Any]] = []
        for entry in networks:
            if entry.get("allocate_network"):
                return entry["allocate_network"]
            if entry.get("subnet") or entry.get("port_extra_properties"):
                nics.append({"port": self._internal_port(entry)})
                continue
            if entry.get("port"):
                nics.append({"port": entry["port"]})
                continue
            nic = {"uuid": self._network_id(entry["network"])}
            if entry.get("fixed_ip"):
                nic["fixed_ip"] = entry["fixed_ip"]
            nics.append(nic)
        return nics

    def _internal_port(self, entry: Mapping[str, Any]) -> str:
        network = self.runtime.cloud().network
        body: dict[str, Any] = dict(entry.get("port_extra_properties") or {})
        if entry.get("subnet"):
            subnet = network.find_subnet(entry["subnet"], ignore_missing=False)
            fixed = {"subnet_id": subnet.id, **({"ip_address": entry["fixed_ip"]} if entry.get("fixed_ip") else {})}
            body.update(network_id=subnet.network_id, fixed_ips=[fixed])
        else:
            body["network_id"] = self._network_id(entry["network"])
        if self.properties.get("security_groups"):
            body["security_group_ids"] = [network.find_security_group(g, ignore_missing=False).id
                                          for g in self.properties["security_groups"]]
        port = network.create_port(name=f"{self.runtime.physical_name()}-port", **body)
        self.set_data("internal_ports", [*self.data.get("internal_ports", []), port.id])
        return port.id

    def _block_devices(self) -> list[dict[str, Any]]:
        devices = []
        for item in self.properties.get("block_device_mapping") or []:
            devices.append({"device_name": item["device_name"], "boot_index": 0 if not devices else -1,
                            "uuid": item.get("volume_id") or item.get("snapshot_id"),
                            "source_type": "volume" if item.get("volume_id") else "snapshot",
                            "destination_type": "volume", "volume_size": item.get("volume_size"),
                            "delete_on_termination": bool(item.get("delete_on_termination"))})
        for item in self.properties.get("block_device_mapping_v2") or []:
            device: dict[str, Any] = {key: item[key] for key in ("device_name", "disk_bus", "device_type",
                                                                  "volume_size", "boot_index") if item.get(key)
                                      is not None}
            device["delete_on_termination"] = bool(item.get("delete_on_termination"))
            image = item.get("image") or item.get("image_id")
            if item.get("volume_id"):
                device.update(uuid=item["volume_id"], source_type="volume", destination_type="volume")
            elif image:
                device.update(uuid=self._image_id(image), source_type="image", destination_type="volume")
            elif item.get("snapshot_id"):
                device.update(uuid=item["snapshot_id"], source_type="snapshot", destination_type="volume")
            elif item.get("swap_size"):
                device.update(source_type="blank", destination_type="local", guest_format="swap",
                              volume_size=item["swap_size"], boot_index=-1)
            elif item.get("ephemeral_size"):
                device.update(source_type="blank", destination_type="local", volume_size=item["ephemeral_size"],
                              guest_format=item.get("ephemeral_format"), boot_index=-1)
            devices.append(device)
        return devices

    def create(self) -> None:
        props = self.properties
        fields: dict[str, Any] = {
            "name": props.get("name") or self.runtime.physical_name(),
            "flavor_id": self._flavor_id(props["flavor"]),
            "networks": self._nics(),
            "metadata": {str(k): str(v) for k, v in (props.get("metadata") or {}).items()},
        }
        if props.get("image"):
            fields["image_id"] = self._image_id(props["image"])
        devices = self._block_devices()
        if devices:
            fields["block_device_mapping"] = devices
        optional = {"key_name": props.get("key_name"), "availability_zone": props.get("availability_zone"),
                    "config_drive": props.get("config_drive"), "scheduler_hints": props.get("scheduler_hints"),
                    "admin_password": props.get("admin_pass"), "user_data": _encoded(props.get("user_data") or ""),
                    "disk_config": props.get("diskConfig"), "tags": props.get("tags")}
        fields.update({key: value for key, value in optional.items() if value is not None})
        if props.get("security_groups"):
            fields["security_groups"] = [{"name": group} for group in props["security_groups"]]
        server = self._compute().create_server(**fields)
        self.set_physical_id(server.id)

    def _raise_if_error(self, server: Mapping[str, Any]) -> None:
        if server["status"] == "ERROR":
            fault = (server.get("fault") or {}).get("message") or "Unknown"
            raise ResourceInError(f"Went to status ERROR due to \"Message: {fault}\"")

    def check_create_complete(self) -> bool:
        server = self._server()
        self._raise_if_error(server)
        if server["status"] != "ACTIVE":
            return False
        self._associate_floating_ips()
        return True

    def _associate_floating_ips(self) -> None:
        wanted = [entry for entry in self.properties.get("networks") or [] if entry.get("floating_ip")]
        if not wanted:
            return
        network = self.runtime.cloud().network
        ports = list(network.ports(device_id=self.physical_id))
        for entry in wanted:
            target = entry.get("port") or next(iter(self.data.get("internal_ports", [])), None)
            if target is None and (entry.get("network") or entry.get("uuid")):
                network_id = self._network_id(entry.get("network") or entry["uuid"])
                target = next((p.id for p in ports if p.network_id == network_id), None)
            if target is not None:
                network.update_ip(entry["floating_ip"], port_id=target)

    # -- update ------------------------------------------------------------------------

    def needs_replace(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> bool:
        """A new flavor, image or user_data replaces the server when their update policy says so."""
        return (("flavor" in changed and properties.get("flavor_update_policy") == "REPLACE")
                or ("image" in changed and properties.get("image_update_policy") == "REPLACE")
                or ("user_data" in changed and properties.get("user_data_update_policy") == "REPLACE")
                or "networks" in changed)

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        if self.needs_replace(properties, changed):
            raise UpdateReplace("the server's flavor, image, user_data or networks changed with a REPLACE policy")
        compute = self._compute()
        self.properties = dict(properties)
        if "name" in changed:
            compute.update_server(self.physical_id, name=changed["name"] or self.runtime.physical_name())
        if "metadata" in changed:
            wanted = {str(k): str(v) for k, v in (changed["metadata"] or {}).items()}
            current = compute.fetch_server_metadata(self.physical_id).metadata or {}
            gone = [key for key in current if key not in wanted]
            if gone:
                compute.delete_server_metadata(self.physical_id, gone)
            if wanted:
                compute.set_server_metadata(self.physical_id, **wanted)
        steps: list[list[str]] = []
        if "flavor" in changed:
            steps.append(["resize", self._flavor_id(changed["flavor"])])
        if "image" in changed and changed["image"]:
            steps.append(["rebuild", self._image_id(changed["image"])])
        elif "user_data" in changed and properties.get("user_data_update_policy") == "REBUILD" \
                and properties.get("image"):
            steps.append(["rebuild", self._image_id(properties["image"])])
        self.set_data("steps", steps or None)
        self.set_data("step_started", None)

    def check_update_complete(self) -> bool:
        steps = self.data.get("steps") or []
        if not steps:
            return True
        server = self._server()
        self._raise_if_error(server)
        kind, target = steps[0]
        if not self.data.get("step_started"):
            if server["status"] not in RESTING or server.get(TASK_STATE):
                return False
            self._start(kind, target)
            self.set_data("step_started", True)
            return False
        if kind == "resize" and server["status"] == "VERIFY_RESIZE":
            self._compute().confirm_server_resize(self.physical_id)
            return False
        if server["status"] not in RESTING or server.get(TASK_STATE) or not self._reached(kind, target, server):
            return False
        self.set_data("steps", steps[1:] or None)
        self.set_data("step_started", None)
        return not steps[1:]

    def _start(self, kind: str, target: str) -> None:
        compute = self._compute()
        if kind == "resize":
            compute.resize_server(self.physical_id, target)
        else:
            fields: dict[str, Any] = {"name": self.properties.get("name") or self._server()["name"]}
            if self.properties.get("admin_pass"):
                fields["admin_password"] = self.properties["admin_pass"]
            if self.properties.get("image_update_policy") == "REBUILD_PRESERVE_EPHEMERAL":
                fields["preserve_ephemeral"] = True
            compute.rebuild_server(self.physical_id, image=target, **fields)

    def _reached(self, kind: str, target: str, server: Mapping[str, Any]) -> bool:
        if kind == "resize":
            flavor = self._compute().get_flavor(target)
            shown = server.get("flavor") or {}
            return (shown.get("original_name") or shown.get("id")) in (flavor.name, flavor.id)
        return (server.get("image") or {}).get("id") == target

    # -- delete ------------------------------------------------------------------------

    def delete(self) -> None:
        if self.physical_id is None:
            return
        try:
            self._compute().delete_server(self.physical_id)
        except GONE:
            pass

    def check_delete_complete(self) -> bool:
        if self.physical_id is not None:
            try:
                server = self._server()
            except GONE:
                server = None
            if server is not None and server["status"] not in ("DELETED", "SOFT_DELETED"):
                return False
        network = self.runtime.cloud().network
        for port_id in self.data.get("internal_ports", []):
            try:
                network.delete_port(port_id, ignore_missing=True)
            except GONE:
                pass
        self.set_data("internal_ports", None)
        return True

    # -- replace -----------------------------------------------------------------------

    def _given_ports(self) -> list[str]:
        return [entry["port"] for entry in self.properties.get("networks") or [] if entry.get("port")]

    def prepare_for_replace(self) -> None:
        """Detach the ports the template gave the server, so that its replacement can take them (as Heat does)."""
        for port_id in self._given_ports():
            try:
                self._compute().delete_server_interface(port_id, server=self.physical_id)
            except GONE:
                pass  # detached already, or the server is gone

    def check_prepare_for_replace_complete(self) -> bool:
        """Done once none of the given ports is bound to this server any more."""
        return all(device != self.physical_id for _, device in self._given_port_devices())

    def restore_after_rollback(self) -> None:
        """Detach the given ports from the replacement that took them; the check attaches them back here."""
        for port_id, device in self._given_port_devices():
            if device and device != self.physical_id:
                try:
                    self._compute().delete_server_interface(port_id, server=device)
                except GONE:
                    pass  # detached already, or the replacement is gone

    def check_restore_after_rollback_complete(self) -> bool:
        """Done once every given port is bound here again; a port set free is attached on the way."""
        done = True
        for port_id, device in self._given_port_devices():
            if device != self.physical_id:
                done = False
                if not device:
                    self._compute().create_server_interface(self.physical_id, port_id=port_id)
        return done

    def _given_port_devices(self) -> list[tuple[str, str]]:
        """Each given port that still exists, with the id of the device it is bound to ("" for none)."""
        network = self.runtime.cloud().network
        devices = []
        for port_id in self._given_ports():
            try:
                devices.append((port_id, network.get_port(port_id).device_id or ""))
            except GONE:
                pass
        return devices

    # -- attributes --------------------------------------------------------------------

    def show(self) -> Any:
        if self.physical_id is None:
            return None
        try:
            return self._server()
        except GONE:
            return None

    def _addresses(self, server: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Nova's addresses, each with the id of the port it is on (as Heat adds it)."""
        ports = {port.mac_address: port.id for port in self.runtime.cloud().network.ports(device_id=self.physical_id)}
        return {name: [{**entry, "port": ports.get(entry.get("OS-EXT-IPS-MAC:mac_addr"))} for entry in entries]
                for name, entries in (server.get("addresses") or {}).items()}

    def resolve_attribute(self, name: str) -> Any:
        if name == "console_urls" or name == "os_collect_config":
            return None
        server = self.show()
        if server is None:
            return None
        if name == "show":
            return server
        if name == "addresses":
            return self._addresses(server)
        if name == "networks":
            networks: dict[str, list[str]] = {}
            cloud_networks = self.runtime.cloud().network
            for network_name, entries in (server.get("addresses") or {}).items():
                ips = [entry["addr"] for entry in entries]
                networks[network_name] = ips
                try:
                    networks[cloud_networks.find_network(network_name, ignore_missing=False).id] = ips
                except GONE:
                    pass  # a network deleted since: its name is all there is
            return networks
        if name == "first_address":
            for entries in (server.get("addresses") or {}).values():
                for entry in entries:
                    if entry.get("version") == 4:
                        return entry["addr"]
            return ""
        simple = {"name": "name", "instance_name": "OS-EXT-SRV-ATTR:instance_name", "accessIPv4": "accessIPv4",
                  "accessIPv6": "accessIPv6", "tags": "tags"}
        if name in simple:
            return server.get(simple[name])
        return super().resolve_attribute(name)


