"""Octavia's routes: the v2 API's collections, each served under ``/v2`` and ``/v2.0``."""

from __future__ import annotations

from typing import Any, Callable

from flask import request

from ..service import (BadRequest, Conflict, Forbidden, NotFound, ServiceBlueprint, body_of, caller,
                       reply, settings, store, version_document)
from ..store import GONE, new_id
from . import fields as f
from .model import (FLAVOR, HEALTHMONITOR, LISTENER, LOADBALANCER, MEMBER, POOL, DEFAULT_QUOTAS,
                    Kind, check_quota, children, find, lock, now_iso, provision, quotas, scope, status_tree, view)

blueprint = ServiceBlueprint("loadbalancer", "/load-balancer", "octavia", __name__)

#: query parameters that page or shape a list rather than filter it
_NOT_FILTERS = {"limit", "marker", "page_reverse", "sort", "sort_key", "sort_dir", "fields"}
#: how a VIP is asked for: the request field, the network module's argument, and the label of a 400
_VIP_SOURCES = (("vip_port_id", "port_id", "Port"), ("vip_subnet_id", "subnet_id", "Subnet"),
                ("vip_network_id", "network_id", "Network"))


def api(rule: str, methods: list[str]) -> Callable:
    """Serve a view under both version paths (openstacksdk settles on ``/v2.0``)."""
    def register(view: Callable) -> Callable:
        for version in ("v2", "v2.0"):
            blueprint.route(f"/{version}{rule}", methods=methods)(view)
        return view
    return register


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [version_document("/load-balancer/v2", "v2.0")]})


@blueprint.route("/v2", methods=["GET"])
@blueprint.route("/v2/", methods=["GET"])
@blueprint.route("/v2.0", methods=["GET"])
@blueprint.route("/v2.0/", methods=["GET"])
@blueprint.public
def version():
    return reply({"version": version_document("/load-balancer/v2", "v2.0")})


# -- helpers ------------------------------------------------------------------------------------

def _listing(kind: Kind, bodies: list[dict[str, Any]]) -> Any:
    """A list reply, filtered by the query's field=value pairs."""
    wanted = {name: value for name, value in request.args.items() if name not in _NOT_FILTERS}
    shown = []
    for body in bodies:
        item = view(kind, body)
        if all(_text(item.get(name)) == value.lower() for name, value in wanted.items() if name in item):
            shown.append(item)
    return reply({kind.collection: shown, f"{kind.collection}_links": []})


def _text(value: Any) -> str:
    return str(value).lower() if value is not None else ""


def _created(kind: Kind, body: dict[str, Any], balancer: dict[str, Any]) -> Any:
    stored = store().add(kind.store_kind, {**body, "_lb": balancer["id"]}, balancer["project_id"])
    provision(balancer["id"], kind, stored["id"], state="PENDING_CREATE")
    return reply({kind.key: view(kind, store().get(kind.store_kind, stored["id"]))}, 201)


def _common(data: dict[str, Any], balancer: dict[str, Any]) -> dict[str, Any]:
    return {"id": new_id(), "project_id": balancer["project_id"], "provisioning_status": "PENDING_CREATE",
            "operating_status": "OFFLINE", "created_at": now_iso(), "updated_at": None}


def _updated(kind: Kind, body: dict[str, Any], changes: dict[str, Any]) -> Any:
    lock(body["_lb"] if kind is not LOADBALANCER else body["id"])
    store().change(kind.store_kind, body["id"], changes)
    provision(body.get("_lb", body["id"]), kind, body["id"])
    return reply({kind.key: view(kind, store().get(kind.store_kind, body["id"]))})


def _removed(kind: Kind, body: dict[str, Any], *also: tuple[Kind, dict[str, Any]]) -> Any:
    lock(body["_lb"])
    provision(body["_lb"], kind, body["id"], state="PENDING_DELETE", removing=True)
    for other_kind, other in also:
        store().change(other_kind.store_kind, other["id"], {"provisioning_status": "PENDING_DELETE"})
        store().schedule(other_kind.store_kind, other["id"], settings().delete_seconds, {GONE: True})
    return reply(None, 204)


def _session_persistence(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid input for field/attribute session_persistence. Value: '{value}'.")
    f.choice("type", value.get("type"), f.PERSISTENCE_TYPES)
    if value["type"] == "APP_COOKIE" and not value.get("cookie_name"):
        raise BadRequest("Validation failure: Field cookie_name must be specified when using the APP_COOKIE "
                         "session persistence type.")


# -- load balancers ------------------------------------------------------------------------------

@api("/lbaas/loadbalancers", ["GET"])
def list_loadbalancers():
    return _listing(LOADBALANCER, store().list(LOADBALANCER.store_kind, scope()))


@api("/lbaas/loadbalancers", ["POST"])
def create_loadbalancer():
    data = body_of("loadbalancer")
    project_id = caller().project_id
    source = next(((field, argument, label) for field, argument, label in _VIP_SOURCES if data.get(field)), None)
    if source is None:
        raise BadRequest("Validation failure: VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.")
    provider = data.get("provider") or "amphora"
    if provider not in f.PROVIDERS:
        raise BadRequest(f"Provider '{provider}' is not enabled.")
    if data.get("flavor_id") and store().get(FLAVOR.store_kind, data["flavor_id"]) is None:
        raise BadRequest("Validation failure: Invalid flavor_id.")
    from .. import network

    with store().transaction():
        check_quota(LOADBALANCER, project_id)
        lb_id = new_id()
        field, argument, label = source
        try:
            port = network.bind_port(project_id, device_id=f"lb-{lb_id}", device_owner="Octavia",
                                     fixed_ip=data.get("vip_address"), **{argument: data[field]})
        except NotFound:
            raise BadRequest(f"{label} {data[field]} not found.") from None
        fixed = (port.get("fixed_ips") or [{}])[0]
        body = {"id": lb_id, **f.with_defaults("loadbalancer", data), "project_id": project_id,
                "provisioning_status": "PENDING_CREATE", "operating_status": "OFFLINE", "provider": provider,
                "vip_address": fixed.get("ip_address"), "vip_port_id": port["id"],
                "vip_subnet_id": fixed.get("subnet_id"), "vip_network_id": port["network_id"],
                "created_at": now_iso(), "updated_at": None}
        store().add(LOADBALANCER.store_kind, body, project_id)
        store().schedule(LOADBALANCER.store_kind, lb_id, settings().build_seconds,
                         {"provisioning_status": "ACTIVE", "operating_status": "ONLINE"})
        return reply({"loadbalancer": view(LOADBALANCER, store().get(LOADBALANCER.store_kind, lb_id))}, 201)


@api("/lbaas/loadbalancers/<lb_id>", ["GET"])
def show_loadbalancer(lb_id: str):
    return reply({"loadbalancer": view(LOADBALANCER, find(LOADBALANCER, lb_id))})


@api("/lbaas/loadbalancers/<lb_id>/status", ["GET"])
def loadbalancer_status(lb_id: str):
    return reply({"statuses": status_tree(find(LOADBALANCER, lb_id))})


@api("/lbaas/loadbalancers/<lb_id>", ["PUT"])
def update_loadbalancer(lb_id: str):
    with store().transaction():
        return _updated(LOADBALANCER, find(LOADBALANCER, lb_id), f.changes("loadbalancer", body_of("loadbalancer")))


@api("/lbaas/loadbalancers/<lb_id>", ["DELETE"])
def delete_loadbalancer(lb_id: str):
    cascade = request.args.get("cascade", "").lower() in ("true", "1", "yes")
    with store().transaction():
        balancer = find(LOADBALANCER, lb_id)
        lock(lb_id)
        family = [(kind, body) for kind in (LISTENER, POOL, MEMBER, HEALTHMONITOR)
                  for body in children(kind, "_lb", lb_id)]
        if family and not cascade:
            raise BadRequest(f"Validation failure: Cannot delete Load Balancer {lb_id} - it has children")
        after = settings().delete_seconds
        for kind, body in [*family, (LOADBALANCER, balancer)]:
            store().change(kind.store_kind, body["id"], {"provisioning_status": "PENDING_DELETE"})
            store().schedule(kind.store_kind, body["id"], after, {GONE: True}, replace=True)
        from .. import network

        network.unbind_ports(f"lb-{lb_id}")  # Octavia releases the VIP port with the load balancer
    return reply(None, 204)


# -- listeners -----------------------------------------------------------------------------------

@api("/lbaas/listeners", ["GET"])
def list_listeners():
    return _listing(LISTENER, store().list(LISTENER.store_kind, scope()))


@api("/lbaas/listeners", ["POST"])
def create_listener():
    data = body_of("listener")
    f.required(data, "loadbalancer_id", "protocol", "protocol_port")
    f.choice("protocol", data["protocol"], f.LISTENER_PROTOCOLS)
    f.integer(data, "protocol_port", 1, 65535)
    f.integer(data, "connection_limit", -1, 2 ** 31 - 1)
    if data["protocol"] == "TERMINATED_HTTPS" and not data.get("default_tls_container_ref"):
        raise BadRequest("Validation failure: An SNI or default certificate container reference must be provided "
                         "for TERMINATED_HTTPS listeners.")
    with store().transaction():
        balancer = find(LOADBALANCER, data["loadbalancer_id"])
        check_quota(LISTENER, balancer["project_id"])
        lock(balancer["id"])
        datagram = data["protocol"] in f.DATAGRAM
        for other in children(LISTENER, "_lb", balancer["id"]):
            if other["protocol_port"] == data["protocol_port"] and (other["protocol"] in f.DATAGRAM) == datagram:
                raise Conflict(f"Another Listener on this Load Balancer is already using protocol "
                               f"{data['protocol']} and protocol_port {data['protocol_port']}",
                               kind="DuplicateListenerEntry")
        if data.get("default_pool_id"):
            _pool_of(balancer["id"], data["default_pool_id"])
        body = {**_common(data, balancer), **f.with_defaults("listener", data), "protocol": data["protocol"],
                "protocol_port": data["protocol_port"]}
        return _created(LISTENER, body, balancer)


def _pool_of(lb_id: str, pool_id: str) -> dict[str, Any]:
    pool = store().get(POOL.store_kind, pool_id)
    if pool is None or pool["_lb"] != lb_id:
        raise NotFound(f"{POOL.label} {pool_id} not found.")
    return pool


@api("/lbaas/listeners/<listener_id>", ["GET"])
def show_listener(listener_id: str):
    return reply({"listener": view(LISTENER, find(LISTENER, listener_id))})


@api("/lbaas/listeners/<listener_id>", ["PUT"])
def update_listener(listener_id: str):
    data = f.changes("listener", body_of("listener"))
    f.integer(data, "connection_limit", -1, 2 ** 31 - 1)
    with store().transaction():
        listener = find(LISTENER, listener_id)
        if data.get("default_pool_id"):
            _pool_of(listener["_lb"], data["default_pool_id"])
        return _updated(LISTENER, listener, data)


@api("/lbaas/listeners/<listener_id>", ["DELETE"])
def delete_listener(listener_id: str):
    with store().transaction():
        return _removed(LISTENER, find(LISTENER, listener_id))


# -- pools ---------------------------------------------------------------------------------------

@api("/lbaas/pools", ["GET"])
def list_pools():
    return _listing(POOL, store().list(POOL.store_kind, scope()))


@api("/lbaas/pools", ["POST"])
def create_pool():
    data = body_of("pool")
    f.required(data, "lb_algorithm", "protocol")
    f.choice("lb_algorithm", data["lb_algorithm"], f.LB_ALGORITHMS)
    f.choice("protocol", data["protocol"], f.POOL_PROTOCOLS)
    _session_persistence(data.get("session_persistence"))
    if not (data.get("listener_id") or data.get("loadbalancer_id")):
        raise BadRequest("Validation failure: loadbalancer_id or listener_id must be specified.")
    with store().transaction():
        listener = find(LISTENER, data["listener_id"]) if data.get("listener_id") else None
        balancer = find(LOADBALANCER, listener["_lb"] if listener else data["loadbalancer_id"])
        check_quota(POOL, balancer["project_id"])
        lock(balancer["id"])
        if listener is not None and listener.get("default_pool_id"):
            raise Conflict("This listener already has a default pool", kind="DuplicatePoolEntry")
        body = {**_common(data, balancer), **f.with_defaults("pool", data), "protocol": data["protocol"],
                "lb_algorithm": data["lb_algorithm"]}
        created = _created(POOL, body, balancer)
        if listener is not None:
            store().change(LISTENER.store_kind, listener["id"], {"default_pool_id": body["id"]})
        return created


@api("/lbaas/pools/<pool_id>", ["GET"])
def show_pool(pool_id: str):
    return reply({"pool": view(POOL, find(POOL, pool_id))})


@api("/lbaas/pools/<pool_id>", ["PUT"])
def update_pool(pool_id: str):
    data = f.changes("pool", body_of("pool"))
    if "lb_algorithm" in data:
        f.choice("lb_algorithm", data["lb_algorithm"], f.LB_ALGORITHMS)
    _session_persistence(data.get("session_persistence"))
    with store().transaction():
        return _updated(POOL, find(POOL, pool_id), data)


@api("/lbaas/pools/<pool_id>", ["DELETE"])
def delete_pool(pool_id: str):
    with store().transaction():
        pool = find(POOL, pool_id)
        dependants = [(kind, body) for kind in (MEMBER, HEALTHMONITOR) for body in children(kind, "_pool", pool_id)]
        reply_ = _removed(POOL, pool, *dependants)
        for listener in children(LISTENER, "default_pool_id", pool_id):
            store().change(LISTENER.store_kind, listener["id"], {"default_pool_id": None})
        return reply_


# -- members -------------------------------------------------------------------------------------

@api("/lbaas/pools/<pool_id>/members", ["GET"])
def list_members(pool_id: str):
    find(POOL, pool_id)
    return _listing(MEMBER, children(MEMBER, "_pool", pool_id))


@api("/lbaas/pools/<pool_id>/members", ["POST"])
def create_member(pool_id: str):
    data = body_of("member")
    f.required(data, "address", "protocol_port")
    f.integer(data, "protocol_port", 1, 65535)
    f.integer(data, "weight", 0, 256)
    f.integer(data, "monitor_port", 1, 65535)
    with store().transaction():
        pool = find(POOL, pool_id)
        balancer = find(LOADBALANCER, pool["_lb"])
        check_quota(MEMBER, balancer["project_id"])
        lock(balancer["id"])
        for other in children(MEMBER, "_pool", pool_id):
            if (other["address"], other["protocol_port"]) == (data["address"], data["protocol_port"]):
                raise Conflict(f"Another member on this pool is already using ip {data['address']} on "
                               f"protocol_port {data['protocol_port']}", kind="DuplicateMemberEntry")
        body = {**_common(data, balancer), **f.with_defaults("member", data), "address": data["address"],
                "protocol_port": data["protocol_port"], "_pool": pool_id}
        return _created(MEMBER, body, balancer)


def _member(pool_id: str, member_id: str) -> dict[str, Any]:
    find(POOL, pool_id)
    member = find(MEMBER, member_id)
    if member["_pool"] != pool_id:
        raise NotFound(f"{MEMBER.label} {member_id} not found.")
    return member


@api("/lbaas/pools/<pool_id>/members/<member_id>", ["GET"])
def show_member(pool_id: str, member_id: str):
    return reply({"member": view(MEMBER, _member(pool_id, member_id))})


@api("/lbaas/pools/<pool_id>/members/<member_id>", ["PUT"])
def update_member(pool_id: str, member_id: str):
    data = f.changes("member", body_of("member"))
    f.integer(data, "weight", 0, 256)
    with store().transaction():
        return _updated(MEMBER, _member(pool_id, member_id), data)


@api("/lbaas/pools/<pool_id>/members/<member_id>", ["DELETE"])
def delete_member(pool_id: str, member_id: str):
    with store().transaction():
        return _removed(MEMBER, _member(pool_id, member_id))


# -- health monitors -------------------------------------------------------------------------------

@api("/lbaas/healthmonitors", ["GET"])
def list_healthmonitors():
    return _listing(HEALTHMONITOR, store().list(HEALTHMONITOR.store_kind, scope()))


def _check_monitor(data: dict[str, Any]) -> None:
    for name in ("delay", "timeout"):
        f.integer(data, name, 0, 2 ** 31 - 1)
    f.integer(data, "max_retries", 1, 10)
    f.integer(data, "max_retries_down", 1, 10)
    if data.get("http_method") is not None:
        f.choice("http_method", data["http_method"], f.HTTP_METHODS)


@api("/lbaas/healthmonitors", ["POST"])
def create_healthmonitor():
    data = body_of("healthmonitor")
    f.required(data, "pool_id", "type", "delay", "timeout", "max_retries")
    f.choice("type", data["type"], f.MONITOR_TYPES)
    _check_monitor(data)
    with store().transaction():
        pool = find(POOL, data["pool_id"])
        balancer = find(LOADBALANCER, pool["_lb"])
        check_quota(HEALTHMONITOR, balancer["project_id"])
        lock(balancer["id"])
        if children(HEALTHMONITOR, "_pool", pool["id"]):
            raise Conflict("This pool already has a health monitor", kind="DuplicatePoolHealthMonitor")
        body = {**_common(data, balancer), **f.with_defaults("healthmonitor", data), "type": data["type"],
                "delay": data["delay"], "timeout": data["timeout"], "max_retries": data["max_retries"],
                "_pool": pool["id"]}
        if data["type"] in ("HTTP", "HTTPS"):  # what an HTTP check does unless told otherwise
            body.update(http_method=data.get("http_method") or "GET", url_path=data.get("url_path") or "/",
                        expected_codes=data.get("expected_codes") or "200", http_version=data.get("http_version") or 1.0)
        return _created(HEALTHMONITOR, body, balancer)


@api("/lbaas/healthmonitors/<monitor_id>", ["GET"])
def show_healthmonitor(monitor_id: str):
    return reply({"healthmonitor": view(HEALTHMONITOR, find(HEALTHMONITOR, monitor_id))})


@api("/lbaas/healthmonitors/<monitor_id>", ["PUT"])
def update_healthmonitor(monitor_id: str):
    data = f.changes("healthmonitor", body_of("healthmonitor"))
    _check_monitor(data)
    with store().transaction():
        return _updated(HEALTHMONITOR, find(HEALTHMONITOR, monitor_id), data)


@api("/lbaas/healthmonitors/<monitor_id>", ["DELETE"])
def delete_healthmonitor(monitor_id: str):
    with store().transaction():
        return _removed(HEALTHMONITOR, find(HEALTHMONITOR, monitor_id))


# -- flavors and quotas ------------------------------------------------------------------------------

@api("/lbaas/flavors", ["GET"])
def list_flavors():
    return _listing(FLAVOR, store().list(FLAVOR.store_kind))


@api("/lbaas/flavors/<flavor_id>", ["GET"])
def show_flavor(flavor_id: str):
    found = store().get(FLAVOR.store_kind, flavor_id)
    if found is None:
        raise NotFound(f"{FLAVOR.label} {flavor_id} not found.")
    return reply({"flavor": view(FLAVOR, found)})


@api("/lbaas/flavors", ["POST"])
def create_flavor():
    _admin_only()
    data = body_of("flavor")
    f.required(data, "name")
    body = store().add(FLAVOR.store_kind, {"id": new_id(), "name": data["name"],
                                           "description": data.get("description", ""),
                                           "flavor_profile_id": data.get("flavor_profile_id"),
                                           "enabled": data.get("enabled", True)})
    return reply({"flavor": view(FLAVOR, body)}, 201)


def _admin_only() -> None:
    if not caller().is_admin:
        raise Forbidden("Policy does not allow this request to be performed.", kind="PolicyForbidden")


@api("/lbaas/quotas/defaults", ["GET"])
def default_quotas():
    return reply({"quota": dict(DEFAULT_QUOTAS)})


@api("/lbaas/quotas/<project_id>", ["GET"])
def show_quotas(project_id: str):
    if project_id != caller().project_id:
        _admin_only()
    return reply({"quota": quotas(project_id)})


@api("/lbaas/quotas/<project_id>", ["PUT"])
def update_quotas(project_id: str):
    _admin_only()
    data = body_of("quota")
    unknown = set(data) - set(DEFAULT_QUOTAS)
    if unknown:
        raise BadRequest(f"Invalid input for field/attribute {sorted(unknown)[0]}. Unknown attribute.")
    with store().transaction():
        current = store().get("octavia_quota", project_id)
        if current is None:
            store().add("octavia_quota", {"id": project_id, **data}, project_id)
        else:
            store().change("octavia_quota", project_id, data)
    return reply({"quota": quotas(project_id)}, 202)


@api("/lbaas/quotas/<project_id>", ["DELETE"])
def reset_quotas(project_id: str):
    _admin_only()
    store().remove("octavia_quota", project_id)
    return reply(None, 204)

