"""Octavia in the sandbox, driven with openstacksdk: statuses, the pending-state lock, errors, quotas."""

from __future__ import annotations

import time

import pytest
from openstack import exceptions

from orchestrator.sandbox.adapter import IN_PROCESS_URL


def _network(connection):
    network = connection.network.create_network(name="lb-net")
    subnet = connection.network.create_subnet(network_id=network.id, cidr="10.20.0.0/24", ip_version=4,
                                              name="lb-subnet")
    return network, subnet


def _active(connection, lb_id: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        balancer = connection.load_balancer.get_load_balancer(lb_id)
        if balancer.provisioning_status == "ACTIVE":
            return balancer
        time.sleep(0.05)
    raise AssertionError(f"load balancer {lb_id} never became ACTIVE")


def _gone(find, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            find()
        except exceptions.NotFoundException:
            return
        time.sleep(0.05)
    raise AssertionError("still there")


@pytest.fixture
def lbaas(cloud):
    """A connection of project demo, its subnet, and an ACTIVE load balancer on it."""
    connection = cloud.connect("demo")
    _network_, subnet = _network(connection)
    balancer = connection.load_balancer.create_load_balancer(name="web", vip_subnet_id=subnet.id)
    return connection, subnet, _active(connection, balancer.id)


def test_the_endpoint_is_found_through_version_discovery(cloud):
    assert cloud.connect("demo").load_balancer.get_endpoint().rstrip("/") in (
        f"{IN_PROCESS_URL}/load-balancer/v2.0", f"{IN_PROCESS_URL}/load-balancer/v2")


def test_a_load_balancer_builds_with_a_vip_port_and_goes_away_with_it(cloud):
    connection = cloud.connect("demo")
    network, subnet = _network(connection)
    made = connection.load_balancer.create_load_balancer(name="web", vip_subnet_id=subnet.id)
    assert (made.provisioning_status, made.operating_status) == ("PENDING_CREATE", "OFFLINE")
    assert made.provider == "amphora" and made.vip_network_id == network.id
    port = connection.network.get_port(made.vip_port_id)
    assert port.device_owner == "Octavia" and port.device_id == f"lb-{made.id}"
    assert port.fixed_ips[0]["ip_address"] == made.vip_address
    balancer = _active(connection, made.id)
    assert balancer.operating_status == "ONLINE"
    assert connection.load_balancer.find_load_balancer("web").id == made.id
    connection.load_balancer.delete_load_balancer(made.id)
    assert connection.load_balancer.get_load_balancer(made.id).provisioning_status == "PENDING_DELETE"
    _gone(lambda: connection.load_balancer.get_load_balancer(made.id))
    with pytest.raises(exceptions.NotFoundException):
        connection.network.get_port(made.vip_port_id)


def test_a_vip_on_a_network_and_a_chosen_address(cloud):
    connection = cloud.connect("demo")
    network, _subnet = _network(connection)
    made = connection.load_balancer.create_load_balancer(vip_network_id=network.id, vip_address="10.20.0.50")
    assert made.vip_address == "10.20.0.50"


def test_a_vip_needs_a_subnet_network_or_port_that_exists(cloud):
    connection = cloud.connect("demo")
    with pytest.raises(exceptions.BadRequestException, match="VIP must contain one of"):
        connection.load_balancer.create_load_balancer(name="nothing")
    with pytest.raises(exceptions.BadRequestException, match="Subnet nope not found."):
        connection.load_balancer.create_load_balancer(vip_subnet_id="nope")


def test_a_missing_load_balancer_is_octavias_404(cloud):
    connection = cloud.connect("demo")
    with pytest.raises(exceptions.NotFoundException, match="Load Balancer nope not found."):
        connection.load_balancer.get_load_balancer("nope")
    response = cloud.http().get(f"{IN_PROCESS_URL}/load-balancer/v2/lbaas/loadbalancers/nope",
                                headers={"X-Auth-Token": connection.session.get_token()})
    assert response.status_code == 404
    assert response.json() == {"faultcode": "Client", "faultstring": "Load Balancer nope not found.",
                               "debuginfo": None}


def test_children_lock_the_load_balancer_while_they_are_applied(lbaas):
    connection, subnet, balancer = lbaas
    octavia = connection.load_balancer
    listener = octavia.create_listener(loadbalancer_id=balancer.id, protocol="HTTP", protocol_port=80)
    assert listener.provisioning_status == "PENDING_CREATE"
    assert octavia.get_load_balancer(balancer.id).provisioning_status == "PENDING_UPDATE"
    with pytest.raises(exceptions.ConflictException,
                       match=f"Load Balancer {balancer.id} is immutable and cannot be updated."):
        octavia.create_pool(loadbalancer_id=balancer.id, protocol="HTTP", lb_algorithm="ROUND_ROBIN")
    with pytest.raises(exceptions.ConflictException, match="immutable"):
        octavia.update_load_balancer(balancer.id, name="renamed")
    _active(connection, balancer.id)
    listener = octavia.get_listener(listener.id)
    assert (listener.provisioning_status, listener.operating_status) == ("ACTIVE", "ONLINE")

    pool = octavia.create_pool(listener_id=listener.id, protocol="HTTP", lb_algorithm="LEAST_CONNECTIONS",
                               session_persistence={"type": "HTTP_COOKIE"})
    _active(connection, balancer.id)
    assert octavia.get_listener(listener.id).default_pool_id == pool.id
    member = octavia.create_member(pool, address="10.20.0.10", protocol_port=8080, subnet_id=subnet.id, weight=5)
    _active(connection, balancer.id)
    assert octavia.get_member(member.id, pool).operating_status == "NO_MONITOR"
    monitor = octavia.create_health_monitor(pool_id=pool.id, type="HTTP", delay=5, timeout=3, max_retries=3)
    assert (monitor.http_method, monitor.url_path, monitor.expected_codes) == ("GET", "/", "200")
    _active(connection, balancer.id)
    assert octavia.get_member(member.id, pool).operating_status == "ONLINE"
    shown = octavia.get_pool(pool.id)
    assert shown.health_monitor_id == monitor.id
    assert shown.members == [{"id": member.id}] and shown.listeners == [{"id": listener.id}]
    shown = octavia.get_load_balancer(balancer.id)
    assert shown.listeners == [{"id": listener.id}] and shown.pools == [{"id": pool.id}]

    octavia.update_member(member.id, pool, weight=10)
    assert octavia.get_member(member.id, pool).provisioning_status == "PENDING_UPDATE"
    _active(connection, balancer.id)
    assert octavia.get_member(member.id, pool).weight == 10

    statuses = connection.load_balancer.get(f"/lbaas/loadbalancers/{balancer.id}/status").json()["statuses"]
    tree = statuses["loadbalancer"]["listeners"][0]["pools"][0]
    assert tree["health_monitor"]["id"] == monitor.id and tree["members"][0]["id"] == member.id


def test_duplicates_are_409s_with_octavias_messages(lbaas):
    connection, _subnet, balancer = lbaas
    octavia = connection.load_balancer
    octavia.create_listener(loadbalancer_id=balancer.id, protocol="HTTP", protocol_port=80)
    _active(connection, balancer.id)
    with pytest.raises(exceptions.ConflictException, match="already using protocol TCP and protocol_port 80"):
        octavia.create_listener(loadbalancer_id=balancer.id, protocol="TCP", protocol_port=80)
    octavia.create_listener(loadbalancer_id=balancer.id, protocol="UDP", protocol_port=80)  # another family
    _active(connection, balancer.id)
    pool = octavia.create_pool(loadbalancer_id=balancer.id, protocol="TCP", lb_algorithm="ROUND_ROBIN")
    _active(connection, balancer.id)
    octavia.create_member(pool, address="10.20.0.10", protocol_port=80)
    _active(connection, balancer.id)
    with pytest.raises(exceptions.ConflictException, match="already using ip 10.20.0.10 on protocol_port 80"):
        octavia.create_member(pool, address="10.20.0.10", protocol_port=80)
    octavia.create_health_monitor(pool_id=pool.id, type="TCP", delay=5, timeout=3, max_retries=3)
    _active(connection, balancer.id)
    with pytest.raises(exceptions.ConflictException, match="This pool already has a health monitor"):
        octavia.create_health_monitor(pool_id=pool.id, type="PING", delay=5, timeout=3, max_retries=3)


def test_bad_values_are_400s(lbaas):
    connection, _subnet, balancer = lbaas
    octavia = connection.load_balancer
    with pytest.raises(exceptions.BadRequestException, match="Value should be one of"):
        octavia.create_listener(loadbalancer_id=balancer.id, protocol="FTP", protocol_port=21)
    with pytest.raises(exceptions.BadRequestException, match="loadbalancer_id or listener_id"):
        octavia.create_pool(protocol="HTTP", lb_algorithm="ROUND_ROBIN")
    with pytest.raises(exceptions.BadRequestException, match="lb_algorithm"):
        octavia.create_pool(loadbalancer_id=balancer.id, protocol="HTTP", lb_algorithm="RANDOM")


def test_a_load_balancer_with_children_needs_cascade_to_be_deleted(lbaas):
    connection, _subnet, balancer = lbaas
    octavia = connection.load_balancer
    listener = octavia.create_listener(loadbalancer_id=balancer.id, protocol="HTTP", protocol_port=80)
    _active(connection, balancer.id)
    pool = octavia.create_pool(listener_id=listener.id, protocol="HTTP", lb_algorithm="ROUND_ROBIN")
    _active(connection, balancer.id)
    with pytest.raises(exceptions.BadRequestException, match="it has children"):
        octavia.delete_load_balancer(balancer.id)
    octavia.delete_load_balancer(balancer.id, cascade=True)
    _gone(lambda: octavia.get_load_balancer(balancer.id))
    for find in (lambda: octavia.get_listener(listener.id), lambda: octavia.get_pool(pool.id)):
        with pytest.raises(exceptions.NotFoundException):
            find()


def test_deleting_a_pool_takes_its_members_and_frees_the_listener(lbaas):
    connection, _subnet, balancer = lbaas
    octavia = connection.load_balancer
    listener = octavia.create_listener(loadbalancer_id=balancer.id, protocol="HTTP", protocol_port=80)
    _active(connection, balancer.id)
    pool = octavia.create_pool(listener_id=listener.id, protocol="HTTP", lb_algorithm="ROUND_ROBIN")
    _active(connection, balancer.id)
    member = octavia.create_member(pool, address="10.20.0.10", protocol_port=80)
    _active(connection, balancer.id)
    octavia.delete_pool(pool.id)
    assert octavia.get_load_balancer(balancer.id).provisioning_status == "PENDING_UPDATE"
    _active(connection, balancer.id)
    with pytest.raises(exceptions.NotFoundException):
        octavia.get_member(member.id, pool.id)
    assert octavia.get_listener(listener.id).default_pool_id is None


def test_projects_see_only_their_load_balancers(cloud, lbaas):
    _connection, _subnet, balancer = lbaas
    admin = cloud.connect_as("admin", "admin")
    other = admin.identity.create_project(name="other", domain_id="default")
    user = admin.identity.create_user(name="other", password=cloud.settings.password, default_project_id=other.id,
                                      domain_id="default")
    member_role = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(other, user, member_role)
    stranger = cloud.connect_as("other", "other")
    assert list(stranger.load_balancer.load_balancers()) == []
    with pytest.raises(exceptions.NotFoundException):
        stranger.load_balancer.get_load_balancer(balancer.id)
    assert [lb.id for lb in admin.load_balancer.load_balancers()] == [balancer.id]


def test_the_load_balancer_quota_is_octavias_403(cloud):
    connection = cloud.connect("demo")
    admin = cloud.connect_as("admin", "admin")
    _network_, subnet = _network(connection)
    project = connection.current_project_id
    admin.load_balancer.update_quota(project, load_balancers=1)
    connection.load_balancer.create_load_balancer(vip_subnet_id=subnet.id)
    with pytest.raises(exceptions.ForbiddenException, match="Quota has been met for resources: Load Balancer"):
        connection.load_balancer.create_load_balancer(vip_subnet_id=subnet.id)


def test_flavors_are_made_by_admins_and_checked_on_use(cloud):
    connection = cloud.connect("demo")
    admin = cloud.connect_as("admin", "admin")
    flavor = admin.load_balancer.create_flavor(name="small", flavor_profile_id="p1")
    assert connection.load_balancer.find_flavor("small").id == flavor.id
    with pytest.raises(exceptions.ForbiddenException):
        connection.load_balancer.create_flavor(name="mine", flavor_profile_id="p1")
    _network_, subnet = _network(connection)
    with pytest.raises(exceptions.BadRequestException, match="Invalid flavor_id"):
        connection.load_balancer.create_load_balancer(vip_subnet_id=subnet.id, flavor_id="nope")
    made = connection.load_balancer.create_load_balancer(vip_subnet_id=subnet.id, flavor_id=flavor.id)
    assert made.flavor_id == flavor.id
