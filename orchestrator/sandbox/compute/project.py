"""Nova's per-project views: limits, quota sets, availability zones and server groups."""

from __future__ import annotations

from typing import Any

from ..service import BadRequest, OverQuota, body_of, caller, reply, store
from .api import (AVAILABILITY_ZONE, DEFAULT_QUOTAS, admin_only, all_projects, at_least, blueprint, not_found,
                  quota, usage)

#: the absolute limits by Nova's name, from the quota they show
_LIMITS = {"maxTotalInstances": "instances", "maxTotalCores": "cores", "maxTotalRAMSize": "ram",
           "maxServerMeta": "metadata_items", "maxImageMeta": "metadata_items", "maxTotalKeypairs": "key_pairs",
           "maxServerGroups": "server_groups", "maxServerGroupMembers": "server_group_members"}
_POLICIES = ("affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity")


@blueprint.route("/v2.1/limits", methods=["GET"])
def limits():
    project = caller().project_id
    used = usage(project)
    absolute: dict[str, Any] = {name: quota(project, key) for name, key in _LIMITS.items()}
    if not at_least(57):
        absolute.update(maxPersonality=quota(project, "injected_files"),
                        maxPersonalitySize=quota(project, "injected_file_content_bytes"))
    if not at_least(36):
        absolute.update(maxSecurityGroups=10, maxSecurityGroupRules=20, maxTotalFloatingIps=10,
                        totalSecurityGroupsUsed=0, totalFloatingIpsUsed=0)
    absolute.update(totalInstancesUsed=used["instances"], totalCoresUsed=used["cores"], totalRAMUsed=used["ram"],
                    totalServerGroupsUsed=used["server_groups"])
    return reply({"limits": {"rate": [], "absolute": absolute}})


def _quota_set(project_id: str, detailed: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": project_id}
    used = usage(project_id)
    for name in DEFAULT_QUOTAS:
        if at_least(57) and name.startswith("injected_file"):
            continue
        limit = quota(project_id, name)
        shown[name] = {"limit": limit, "in_use": used.get(name, 0), "reserved": 0} if detailed else limit
    return shown


@blueprint.route("/v2.1/os-quota-sets/<project_id>", methods=["GET"])
def show_quotas(project_id: str):
    if project_id != caller().project_id:
        admin_only("os_compute_api:os-quota-sets:show")
    return reply({"quota_set": _quota_set(project_id)})


@blueprint.route("/v2.1/os-quota-sets/<project_id>/detail", methods=["GET"])
def show_quota_usage(project_id: str):
    if project_id != caller().project_id:
        admin_only("os_compute_api:os-quota-sets:detail")
    return reply({"quota_set": _quota_set(project_id, detailed=True)})


@blueprint.route("/v2.1/os-quota-sets/<project_id>/defaults", methods=["GET"])
def show_default_quotas(project_id: str):
    return reply({"quota_set": {"id": project_id, **DEFAULT_QUOTAS}})


@blueprint.route("/v2.1/os-quota-sets/<project_id>", methods=["PUT"])
def update_quotas(project_id: str):
    admin_only("os_compute_api:os-quota-sets:update")
    data = body_of("quota_set")
    changes = {}
    for name, value in data.items():
        if name == "force":
            continue
        if name not in DEFAULT_QUOTAS:
            raise BadRequest(f"Invalid input for field/attribute quota_set. Additional properties are not allowed "
                             f"('{name}' was unexpected)")
        changes[name] = int(value)
    objects = store()
    with objects.transaction():
        if objects.get("quota", project_id) is None:
            objects.add("quota", {"id": project_id, **changes}, project_id)
        else:
            objects.change("quota", project_id, changes)
    shown = _quota_set(project_id)
    shown.pop("id")
    return reply({"quota_set": shown})


@blueprint.route("/v2.1/os-quota-sets/<project_id>", methods=["DELETE"])
def reset_quotas(project_id: str):
    admin_only("os_compute_api:os-quota-sets:delete")
    store().remove("quota", project_id)
    return reply(None, 202)


@blueprint.route("/v2.1/os-availability-zone", methods=["GET"])
def availability_zones():
    return reply({"availabilityZoneInfo": [{"zoneName": AVAILABILITY_ZONE, "zoneState": {"available": True},
                                            "hosts": None}]})


@blueprint.route("/v2.1/os-availability-zone/detail", methods=["GET"])
def availability_zones_detail():
    admin_only("os_compute_api:os-availability-zone:detail")
    hosts = {"sandbox": {"nova-compute": {"available": True, "active": True, "updated_at": None}}}
    return reply({"availabilityZoneInfo": [{"zoneName": AVAILABILITY_ZONE, "zoneState": {"available": True},
                                            "hosts": hosts}]})


# -- server groups ----------------------------------------------------------------------------

def _group_view(group: dict[str, Any]) -> dict[str, Any]:
    members = [m for m in group.get("members", []) if store().get("server", m) is not None]
    shown = {"id": group["id"], "name": group["name"], "members": members}
    if at_least(64):
        shown.update(policy=group["policy"], rules=group.get("rules") or {})
    else:
        shown.update(policies=[group["policy"]], metadata={})
    if at_least(13):
        shown.update(project_id=group["project_id"], user_id=group["user_id"])
    return shown


def find_group(group_id: str) -> dict[str, Any]:
    """The caller's server group ``group_id`` (a 404 in Nova's words otherwise)."""
    group = store().get("server_group", group_id, None if caller().is_admin else caller().project_id)
    if group is None:
        raise not_found(f"Instance group {group_id} could not be found.")
    return group


def add_member(group_id: str, server_id: str) -> None:
    """Put a new server in its scheduler hint's group (quota on members checked)."""
    group = find_group(group_id)
    members = [m for m in group.get("members", []) if store().get("server", m) is not None]
    if len(members) >= quota(caller().project_id, "server_group_members"):
        raise OverQuota("Quota exceeded, too many servers in group", status=403)
    store().change("server_group", group_id, {"members": [*members, server_id]})


@blueprint.route("/v2.1/os-server-groups", methods=["GET"])
def list_server_groups():
    project = None if all_projects() else caller().project_id
    return reply({"server_groups": [_group_view(g) for g in store().list("server_group", project)]})


@blueprint.route("/v2.1/os-server-groups/<group_id>", methods=["GET"])
def show_server_group(group_id: str):
    return reply({"server_group": _group_view(find_group(group_id))})


@blueprint.route("/v2.1/os-server-groups", methods=["POST"])
def create_server_group():
    data = body_of("server_group")
    if at_least(64):
        policy = data.get("policy")
    else:
        policies = data.get("policies") or []
        policy = policies[0] if len(policies) == 1 else None
    if policy not in _POLICIES:
        raise BadRequest(f"Invalid input for field/attribute policy. Value: {policy}. "
                         f"'{policy}' is not one of {list(_POLICIES)}")
    if not data.get("name"):
        raise BadRequest("Invalid input for field/attribute name. Value: None. None is not of type 'string'")
    project = caller().project_id
    with store().transaction():
        if usage(project)["server_groups"] >= quota(project, "server_groups"):
            raise OverQuota("Quota exceeded, too many server groups.", status=403)
        group = store().add("server_group", {"name": data["name"], "policy": policy,
                                             "rules": data.get("rules") or {}, "members": [], "project_id": project,
                                             "user_id": caller().user_id}, project)
    return reply({"server_group": _group_view(group)})


@blueprint.route("/v2.1/os-server-groups/<group_id>", methods=["DELETE"])
def delete_server_group(group_id: str):
    store().remove("server_group", find_group(group_id)["id"])
    return reply(None, 204)
