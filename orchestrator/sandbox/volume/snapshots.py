"""Cinder's snapshots, quotas and limits."""

from __future__ import annotations

from typing import Any

from flask import request

from ..service import BadRequest, Forbidden, body_of, caller, reply, store
from ..store import public
from . import model
from .common import at_least, blueprint, timestamp
from .model import SNAPSHOT
from .requests import PREFIX, first_of, listed, project_of, require_admin, scope, truthy


# -- snapshots -----------------------------------------------------------------------------------

def _snapshot_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    shown = {**dict.fromkeys(("name", "description", "updated_at")), **public(snapshot)}
    if not at_least("3.14"):
        shown.pop("group_snapshot_id", None)
    if not at_least("3.41"):
        shown.pop("user_id", None)
    if not at_least("3.65"):
        shown.pop("consumes_quota", None)
    return shown


@blueprint.route(f"{PREFIX}/snapshots", methods=["POST"])
def create_snapshot(project_id: str):
    project = project_of(project_id)
    data = body_of("snapshot")
    if not data.get("volume_id"):
        raise BadRequest("Invalid input for field/attribute snapshot. Value: "
                         f"{data}. 'volume_id' is a required property")
    force = truthy(str(data.get("force"))) or at_least("3.66")
    snapshot = model.create_snapshot(project, str(data["volume_id"]), first_of(data, "name", "display_name"),
                                     first_of(data, "description", "display_description"), data.get("metadata"),
                                     force, caller().user_id)
    return reply({"snapshot": _snapshot_view(snapshot)}, 202)


SNAPSHOT_FILTERS = ("name", "status", "volume_id")


@blueprint.route(f"{PREFIX}/snapshots", methods=["GET"])
@blueprint.route(f"{PREFIX}/snapshots/detail", methods=["GET"])
def list_snapshots(project_id: str):
    found = listed(SNAPSHOT, scope(project_id), SNAPSHOT_FILTERS)
    return reply({"snapshots": [_snapshot_view(s) for s in found]})


def _own_snapshot(project_id: str, snapshot_id: str) -> dict[str, Any]:
    project = project_of(project_id)
    return model.get_snapshot(None if caller().is_admin else project, snapshot_id)


@blueprint.route(f"{PREFIX}/snapshots/<snapshot_id>", methods=["GET"])
def show_snapshot(project_id: str, snapshot_id: str):
    return reply({"snapshot": _snapshot_view(_own_snapshot(project_id, snapshot_id))})


@blueprint.route(f"{PREFIX}/snapshots/<snapshot_id>", methods=["PUT"])
def update_snapshot(project_id: str, snapshot_id: str):
    snapshot = _own_snapshot(project_id, snapshot_id)
    data = body_of("snapshot")
    changes = {field: first_of(data, field, f"display_{field}") for field in ("name", "description")
               if field in data or f"display_{field}" in data}
    updated = store().change(SNAPSHOT, snapshot["id"], {**changes, "updated_at": timestamp()})
    return reply({"snapshot": _snapshot_view(updated)})


@blueprint.route(f"{PREFIX}/snapshots/<snapshot_id>", methods=["DELETE"])
def delete_snapshot(project_id: str, snapshot_id: str):
    snapshot = _own_snapshot(project_id, snapshot_id)
    model.delete_snapshot(None, snapshot["id"])
    return reply(None, 202)


# -- quotas and limits ---------------------------------------------------------------------------

def _quota_target(project_id: str, target: str) -> str:
    project_of(project_id)
    if target != caller().project_id and not caller().is_admin:
        raise Forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.")
    return target


def _quota_view(target: str, limits: dict[str, int], with_usage: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": target}
    used = model.usage(target) if with_usage else {}
    for name, limit in limits.items():
        shown[name] = {"limit": limit, "in_use": used.get(name, 0), "reserved": 0} if with_usage else limit
    return shown


@blueprint.route(f"{PREFIX}/os-quota-sets/<target>", methods=["GET"])
def show_quotas(project_id: str, target: str):
    target = _quota_target(project_id, target)
    return reply({"quota_set": _quota_view(target, model.quotas(target), truthy(request.args.get("usage")))})


@blueprint.route(f"{PREFIX}/os-quota-sets/<target>/defaults", methods=["GET"])
def show_default_quotas(project_id: str, target: str):
    target = _quota_target(project_id, target)
    return reply({"quota_set": _quota_view(target, dict(model.DEFAULT_QUOTAS), False)})


@blueprint.route(f"{PREFIX}/os-quota-sets/<target>", methods=["PUT"])
def update_quotas(project_id: str, target: str):
    project_of(project_id)
    require_admin("volume_extension:quotas:update")
    data = body_of("quota_set")
    changes: dict[str, int] = {}
    for name, value in data.items():
        if name not in model.DEFAULT_QUOTAS:
            raise BadRequest(f"Bad key(s) in quota set: {name}")
        try:
            changes[name] = int(value)
        except (TypeError, ValueError):
            raise BadRequest(f"Invalid input received: Quota '{name}' must be an integer.") from None
    limits = model.set_quotas(target, changes)
    return reply({"quota_set": {k: v for k, v in limits.items()}})


@blueprint.route(f"{PREFIX}/os-quota-sets/<target>", methods=["DELETE"])
def reset_quotas(project_id: str, target: str):
    project_of(project_id)
    require_admin("volume_extension:quotas:delete")
    store().remove(model.QUOTA, target)
    return reply(None, 200)


@blueprint.route(f"{PREFIX}/limits", methods=["GET"])
def show_limits(project_id: str):
    project = project_of(project_id)
    limits, used = model.quotas(project), model.usage(project)
    absolute = {"maxTotalVolumes": limits["volumes"], "maxTotalSnapshots": limits["snapshots"],
                "maxTotalVolumeGigabytes": limits["gigabytes"], "maxTotalBackups": limits["backups"],
                "maxTotalBackupGigabytes": limits["backup_gigabytes"], "totalVolumesUsed": used["volumes"],
                "totalGigabytesUsed": used["gigabytes"], "totalSnapshotsUsed": used["snapshots"],
                "totalBackupsUsed": 0, "totalBackupGigabytesUsed": 0}
    return reply({"limits": {"rate": [], "absolute": absolute}})
