"""One openstacksdk sequence, recorded: the fields of every object's body and the statuses it went through.

Run on a real cloud and on the sandbox, the two records say where the
emulator differs from the services it stands in for (``test_fidelity.py``).
Bodies are read raw, at the microversions the plugins use, since the
plugins rely on the APIs' fields, not on openstacksdk's objects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

#: the microversions of the plugins' reads
COMPUTE_MICROVERSION = "2.93"


@dataclass
class Observed:
    """An object's fields (union over every read) and its distinct statuses, in order."""

    fields: set[str] = field(default_factory=set)
    statuses: list[str] = field(default_factory=list)

    def saw(self, body: dict[str, Any], status_key: str = "status") -> None:
        self.fields |= set(body)
        status = body.get(status_key)
        if status is not None and (not self.statuses or self.statuses[-1] != status):
            self.statuses.append(status)


def _body(response: Any, key: str) -> dict[str, Any] | None:
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()[key]


def _follow(read: Callable[[], dict[str, Any] | None], observed: Observed, until: Callable[[Any], bool],
            status_key: str = "status", timeout: float = 120) -> None:
    """Read the object every 0.1 s, noting what it shows, until ``until(body)`` (``None``: it is gone)."""
    deadline = time.monotonic() + timeout
    while True:
        body = read()
        if body is not None:
            observed.saw(body, status_key)
        if until(body):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"still {observed.statuses[-1:]} after {timeout} s")
        time.sleep(0.1)


def record(connection: Any, image: str, flavor: str) -> dict[str, Observed]:
    """Run the sequence in ``connection``'s project (it deletes what it makes); what was observed, by object kind."""
    compute, network, storage, balancer = (connection.compute, connection.network, connection.block_storage,
                                           connection.load_balancer)
    seen: dict[str, Observed] = {kind: Observed() for kind in (
        "network", "subnet", "port", "server", "volume", "load balancer")}
    net = network.post("/networks", json={"network": {"name": "fidelity"}}).json()["network"]
    seen["network"].saw(net)
    subnet = network.post("/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.62.0.0/24",
                                                       "ip_version": 4}}).json()["subnet"]
    seen["subnet"].saw(subnet)
    port = network.post("/ports", json={"port": {"network_id": net["id"]}}).json()["port"]
    seen["port"].saw(port)
    image_id = connection.image.find_image(image, ignore_missing=False).id
    flavor_id = compute.find_flavor(flavor, ignore_missing=False).id
    server = compute.post("/servers", microversion=COMPUTE_MICROVERSION, json={"server": {
        "name": "fidelity", "imageRef": image_id, "flavorRef": flavor_id,
        "networks": [{"port": port["id"]}]}}).json()["server"]

    def read_server() -> dict[str, Any] | None:
        return _body(compute.get(f"/servers/{server['id']}", microversion=COMPUTE_MICROVERSION), "server")

    def read_volume() -> dict[str, Any] | None:
        return _body(storage.get(f"/volumes/{volume['id']}"), "volume")

    volume = storage.post("/volumes", json={"volume": {"size": 1, "name": "fidelity"}}).json()["volume"]
    lb = balancer.post("/lbaas/loadbalancers", json={"loadbalancer": {"vip_subnet_id": subnet["id"]}}).json()[
        "loadbalancer"]

    def read_lb() -> dict[str, Any] | None:
        return _body(balancer.get(f"/lbaas/loadbalancers/{lb['id']}"), "loadbalancer")

    _follow(read_server, seen["server"], lambda body: body["status"] in ("ACTIVE", "ERROR"))
    _follow(read_volume, seen["volume"], lambda body: body["status"] in ("available", "error"))
    # an agent reports the bound port up some seconds after the server is
    _follow(lambda: network.get(f"/ports/{port['id']}").json()["port"], seen["port"],
            lambda body: body["status"] == "ACTIVE")
    compute.post(f"/servers/{server['id']}/os-volume_attachments", microversion=COMPUTE_MICROVERSION,
                 json={"volumeAttachment": {"volumeId": volume["id"]}}).raise_for_status()
    _follow(read_volume, seen["volume"], lambda body: body["status"] == "in-use")
    compute.delete(f"/servers/{server['id']}/os-volume_attachments/{volume['id']}",
                   microversion=COMPUTE_MICROVERSION).raise_for_status()
    _follow(read_volume, seen["volume"], lambda body: body["status"] == "available")
    _follow(read_lb, seen["load balancer"], lambda body: body["provisioning_status"] in ("ACTIVE", "ERROR"),
            status_key="provisioning_status")

    compute.delete(f"/servers/{server['id']}").raise_for_status()
    storage.delete(f"/volumes/{volume['id']}").raise_for_status()
    balancer.delete(f"/lbaas/loadbalancers/{lb['id']}").raise_for_status()
    _follow(read_server, seen["server"], lambda body: body is None)
    _follow(read_volume, seen["volume"], lambda body: body is None)
    _follow(read_lb, seen["load balancer"], lambda body: body is None, status_key="provisioning_status")
    for path in (f"/ports/{port['id']}", f"/subnets/{subnet['id']}", f"/networks/{net['id']}"):
        response = network.delete(path)
        assert response.status_code in (204, 404), response.text
    return seen
