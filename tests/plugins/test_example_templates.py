"""The example templates users start from create on the sandbox, give their outputs, and delete cleanly.

Each test runs one file of ``templates/`` through the engine with the real
plugins, checks its outputs against what openstacksdk sees in the cloud, then
deletes the stack and checks that the project holds nothing the stack made.
A template whose resource types have no plugin yet is skipped, naming them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from orchestrator.template.template import Template
from tests.engine.harness import discovered_plugins

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def template_text(name: str) -> str:
    """The template's text; skips the test while a type it uses has no plugin."""
    text = (TEMPLATES / name).read_text()
    types = {snippet["type"] for snippet in Template.load(text, name).data["resources"].values()}
    missing = sorted(t for t in types if discovered_plugins().get(t) is None)
    if missing:
        pytest.skip(f"{name}: no plugin yet for {', '.join(missing)}")
    return text


def created(harness, name: str) -> tuple[str, dict[str, Any]]:
    """Create the example as stack ``name``: its id and its outputs."""
    stack_id = harness.create(template_text(name), name=name.removesuffix(".yaml").replace("_", "-"),
                              project_id="demo")
    row = harness.stack(stack_id)
    assert harness.state(stack_id) == "CREATE_COMPLETE", row.status_reason
    return stack_id, harness.outputs(stack_id)


def inventory(conn) -> dict[str, set[str]]:
    """What the project owns that a stack may have made (the project's default security group left out)."""
    return {
        "servers": {s.id for s in conn.compute.servers()},
        "ports": {p.id for p in conn.network.ports(project_id=conn.current_project_id)},
        "networks": {n.id for n in conn.network.networks(project_id=conn.current_project_id)},
        "subnets": {s.id for s in conn.network.subnets(project_id=conn.current_project_id)},
        "routers": {r.id for r in conn.network.routers(project_id=conn.current_project_id)},
        "floating_ips": {f.id for f in conn.network.ips(project_id=conn.current_project_id)},
        "security_groups": {g.id for g in conn.network.security_groups(project_id=conn.current_project_id)
                            if g.name != "default"},
        "volumes": {v.id for v in conn.block_storage.volumes()},
        "load_balancers": {lb.id for lb in _load_balancers(conn)},
    }


def _load_balancers(conn) -> list:
    try:
        return list(conn.load_balancer.load_balancers(project_id=conn.current_project_id))
    except Exception:  # no load-balancer service in the catalog: nothing of that kind can be left
        return []


def deleted_leaving_nothing(harness, conn, stack_id: str, before: dict[str, set[str]]) -> None:
    """Delete the stack; everything the project owns afterwards was there before it."""
    assert harness.delete(stack_id), harness.stack(stack_id).status_reason
    assert harness.state(stack_id) == "DELETE_COMPLETE"
    after = inventory(conn)
    left = {kind: ids - before[kind] for kind, ids in after.items() if ids - before[kind]}
    assert not left, f"left in the cloud: {left}"


def example(check: Callable[[Any, dict[str, Any], Any], None], name: str,
            implicit: dict[str, set[str]] | None = None) -> Callable:
    """A test creating ``name``, running ``check(conn, outputs, cloud)`` and deleting it.

    ``implicit``: resources that must have been made to wait for others no
    function names (Heat's implicit dependencies), as stored for deletion.
    """

    def test(harness, cloud) -> None:
        conn = cloud.connect("demo")
        before = inventory(conn)
        stack_id, outputs = created(harness, name)
        check(conn, outputs, cloud)
        stored = harness.resources(stack_id)
        for resource, needed in (implicit or {}).items():
            assert needed <= set(stored[resource].requires), (resource, stored[resource].requires)
        deleted_leaving_nothing(harness, conn, stack_id, before)

    test.__doc__ = check.__doc__
    return test


def public_network(conn) -> Any:
    return conn.network.find_network("public")


# -- network_router.yaml -----------------------------------------------------------------


def check_network_router(conn, outputs, cloud) -> None:
    """A network, its subnet, and a router with a gateway on ``public`` and an interface on the subnet."""
    network = conn.network.get_network(outputs["network_id"])
    subnet = conn.network.get_subnet(outputs["subnet_id"])
    assert subnet.network_id == network.id
    assert subnet.cidr == outputs["subnet_cidr"] == "10.0.10.0/24"
    router = conn.network.get_router(outputs["router_id"])
    assert router.external_gateway_info["network_id"] == public_network(conn).id
    assert outputs["router_gateway"]["network_id"] == public_network(conn).id
    interfaces = list(conn.network.ports(device_id=router.id, network_id=network.id))
    assert [ip["subnet_id"] for port in interfaces for ip in port.fixed_ips] == [subnet.id]


test_network_router = example(check_network_router, "network_router.yaml")


# -- single_server.yaml ------------------------------------------------------------------


def check_single_server(conn, outputs, cloud) -> None:
    """An ACTIVE cirros m1.small server whose port has the floating IP of the outputs."""
    server = conn.compute.get_server(outputs["server_id"])
    assert server.status == "ACTIVE"
    # newer microversions show the flavor's name, older ones its id
    assert server.flavor.name == "m1.small" or server.flavor.id == conn.compute.find_flavor("m1.small").id
    assert server.image.id == conn.image.find_image("cirros").id
    ports = list(conn.network.ports(device_id=server.id))
    assert len(ports) == 1
    assert outputs["private_ip"] == ports[0].fixed_ips[0]["ip_address"]
    [floating] = list(conn.network.ips(floating_ip_address=outputs["public_ip"]))
    assert floating.port_id == ports[0].id
    assert floating.floating_network_id == public_network(conn).id
    assert floating.fixed_ip_address == outputs["private_ip"]


test_single_server = example(check_single_server, "single_server.yaml", implicit={
    "port": {"subnet"}, "floating_ip": {"router", "router_interface"}})


# -- web_app_lb.yaml ---------------------------------------------------------------------


def check_web_app_lb(conn, outputs, cloud) -> None:
    """Four servers, a load balancer with both web servers as members, and the database's volume attached."""
    # the template names each server <stack>-<tier>, the stack being "web-app-lb"
    servers = {s.name.removeprefix("web-app-lb-"): s for s in conn.compute.servers(details=True)}
    assert set(servers) >= {"web-1", "web-2", "app", "db"}, sorted(servers)
    assert all(s.status == "ACTIVE" for s in servers.values())
    [lb] = list(conn.load_balancer.load_balancers())
    assert lb.vip_address == outputs["vip_address"]
    assert lb.provisioning_status == "ACTIVE"
    [listener] = list(conn.load_balancer.listeners(loadbalancer_id=lb.id))
    assert (listener.protocol, listener.protocol_port) == ("HTTP", 80)
    [pool] = list(conn.load_balancer.pools(loadbalancer_id=lb.id))
    members = sorted(m.address for m in conn.load_balancer.members(pool))
    assert members == sorted(outputs["web_addresses"])
    [monitor] = list(conn.load_balancer.health_monitors(pool_id=pool.id))
    assert monitor.type == "HTTP"
    [floating] = list(conn.network.ips(port_id=lb.vip_port_id))
    assert outputs["url"] == f"http://{floating.floating_ip_address}/"
    volume = conn.block_storage.get_volume(outputs["db_volume_id"])
    assert volume.status == "in-use"
    assert [a["server_id"] for a in volume.attachments] == [servers["db"].id]
    for web in ("web-1", "web-2"):
        [content] = list(conn.block_storage.volumes(name=f"web-app-lb-{web}-content"))
        assert content.status == "in-use"
        assert [a["server_id"] for a in content.attachments] == [servers[web].id]
    assert outputs["lb_address"] == floating.floating_ip_address
    assert outputs["db_address"] and outputs["app_address"]


test_web_app_lb = example(check_web_app_lb, "web_app_lb.yaml", implicit={
    name: {"subnet"} for name in ("web_1", "web_2", "app", "db")})
