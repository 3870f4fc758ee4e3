"""Cinder's version documents and volume types (with their extra specs and project access)."""

from __future__ import annotations

from typing import Any, Callable

from flask import request

from ..service import BadRequest, Conflict, NotFound, body_of, caller, reply, store, version_document
from . import model
from .common import MAX_MICROVERSION, MIN_MICROVERSION, blueprint, not_found
from .model import TYPE, VOLUME
from .requests import PREFIX, project_of, require_admin, truthy


def _version() -> dict[str, Any]:
    return version_document("/volume/v3", "v3.0", min_version=MIN_MICROVERSION, max_version=MAX_MICROVERSION)


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [_version()]}, 300)


@blueprint.route("/v3", methods=["GET"])
@blueprint.route("/v3/", methods=["GET"])
@blueprint.public
def version():
    return reply({"versions": [_version()]})


# -- volume types ------------------------------------------------------------------------------

def _type_view(volume_type: dict[str, Any]) -> dict[str, Any]:
    shown = {"id": volume_type["id"], "name": volume_type["name"], "description": volume_type["description"],
             "is_public": volume_type["is_public"], "extra_specs": dict(volume_type["extra_specs"]),
             "qos_specs_id": volume_type["qos_specs_id"],
             "os-volume-type-access:is_public": volume_type["is_public"]}
    return shown


def _visible(volume_type: dict[str, Any]) -> bool:
    """Public types are everyone's; a private one its admins' and the projects given access."""
    return (volume_type["is_public"] or caller().is_admin
            or caller().project_id in volume_type.get("projects", []))


def _get_type(type_id: str) -> dict[str, Any]:
    found = store().get(TYPE, type_id)
    if found is None or not _visible(found):
        raise not_found("Volume type", type_id)
    return found


@blueprint.route(f"{PREFIX}/types", methods=["GET"])
def list_types(project_id: str):
    project_of(project_id)
    is_public = request.args.get("is_public")
    if caller().is_admin and is_public is not None and is_public.lower() == "none":
        keep: Callable[[dict], bool] | None = None
    elif caller().is_admin and is_public is not None:
        keep = lambda t: t["is_public"] == truthy(is_public)  # noqa: E731
    else:
        keep = _visible
    found = store().list(TYPE, where=keep)
    if "name" in request.args:
        found = [t for t in found if t["name"] == request.args["name"]]
    return reply({"volume_types": [_type_view(t) for t in found]})


@blueprint.route(f"{PREFIX}/types/default", methods=["GET"])
def show_default_type(project_id: str):
    project_of(project_id)
    return reply({"volume_type": _type_view(model.default_type())})


@blueprint.route(f"{PREFIX}/types/<type_id>", methods=["GET"])
def show_type(project_id: str, type_id: str):
    project_of(project_id)
    return reply({"volume_type": _type_view(_get_type(type_id))})


@blueprint.route(f"{PREFIX}/types", methods=["POST"])
def create_type(project_id: str):
    project_of(project_id)
    require_admin("volume_extension:types_manage")
    data = body_of("volume_type")
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 255:
        raise BadRequest("Invalid input for field/attribute name. Value: "
                         f"{data.get('name')}. Volume type name can not be empty.")
    with store().transaction():  # the name checked unique and the type added, with nothing in between
        if store().list(TYPE, where=lambda t: t["name"] == name):
            raise Conflict(f"Volume Type {name} already exists.")
        is_public = data.get("os-volume-type-access:is_public", data.get("is_public", True))
        made = model.add_type(name, data.get("description"), {str(k): str(v) for k, v in
                                                              (data.get("extra_specs") or {}).items()},
                              is_public if isinstance(is_public, bool) else truthy(str(is_public)))
    return reply({"volume_type": _type_view(made)})


@blueprint.route(f"{PREFIX}/types/<type_id>", methods=["PUT"])
def update_type(project_id: str, type_id: str):
    project_of(project_id)
    require_admin("volume_extension:types_manage")
    with store().transaction():
        found = _get_type(type_id)
        data = body_of("volume_type")
        changes: dict[str, Any] = {}
        if data.get("name"):
            if store().list(TYPE, where=lambda t: t["name"] == data["name"] and t["id"] != type_id):
                raise Conflict(f"Volume Type {data['name']} already exists.")
            changes["name"] = str(data["name"])
        if "description" in data:
            changes["description"] = data["description"]
        if "is_public" in data:
            changes["is_public"] = bool(data["is_public"])
        updated = store().change(TYPE, found["id"], changes) if changes else found
    return reply({"volume_type": _type_view(updated)})


@blueprint.route(f"{PREFIX}/types/<type_id>", methods=["DELETE"])
def delete_type(project_id: str, type_id: str):
    project_of(project_id)
    require_admin("volume_extension:types_manage")
    with store().transaction():  # no volume may take the type between the check and the removal
        found = _get_type(type_id)
        if found["name"] == model.DEFAULT_TYPE:
            raise BadRequest("Default volume type can not be deleted.")
        if store().count(VOLUME, where=lambda v: v["volume_type_id"] == type_id):
            raise BadRequest("Target volume type is still in use.")
        store().remove(TYPE, type_id)
    return reply(None, 202)


@blueprint.route(f"{PREFIX}/types/<type_id>/os-volume-type-access", methods=["GET"])
def list_type_access(project_id: str, type_id: str):
    project_of(project_id)
    require_admin("volume_extension:volume_type_access")
    found = _get_type(type_id)
    if found["is_public"]:
        raise NotFound("Access list not available for public volume types.")
    return reply({"volume_type_access": [{"volume_type_id": type_id, "project_id": project}
                                         for project in found.get("projects", [])]})


@blueprint.route(f"{PREFIX}/types/<type_id>/action", methods=["POST"])
def type_action(project_id: str, type_id: str):
    project_of(project_id)
    require_admin("volume_extension:volume_type_access:addProjectAccess")
    with store().transaction():
        found = _get_type(type_id)
        data = body_of()
        projects = list(found.get("projects", []))
        if "addProjectAccess" in data:
            project = str((data["addProjectAccess"] or {}).get("project") or "")
            if found["is_public"]:
                raise BadRequest("Invalid volume type: Type access modification is not applicable to public volume "
                                 "type.")
            if project in projects:
                raise Conflict(f"Volume type access for {type_id} / {project} combination already exists.")
            projects.append(project)
        elif "removeProjectAccess" in data:
            project = str((data["removeProjectAccess"] or {}).get("project") or "")
            if project not in projects:
                raise NotFound(f"Volume type access not found for {type_id} / {project} combination.")
            projects.remove(project)
        else:
            raise BadRequest(f"There is no such action: {next(iter(data), '')}")
        store().change(TYPE, type_id, {"projects": projects})
    return reply(None, 202)


@blueprint.route(f"{PREFIX}/types/<type_id>/extra_specs", methods=["GET"])
def list_extra_specs(project_id: str, type_id: str):
    project_of(project_id)
    return reply({"extra_specs": _get_type(type_id)["extra_specs"]})


@blueprint.route(f"{PREFIX}/types/<type_id>/extra_specs", methods=["POST"])
def set_extra_specs(project_id: str, type_id: str):
    project_of(project_id)
    require_admin("volume_extension:types_extra_specs:create")
    with store().transaction():
        found = _get_type(type_id)
        data = body_of()
        specs = data.get("extra_specs")
        if not isinstance(specs, dict):
            raise BadRequest("Invalid input for field/attribute extra_specs.")
        specs = {str(k): str(v) for k, v in specs.items()}
        store().change(TYPE, type_id, {"extra_specs": {**found["extra_specs"], **specs}})
    return reply({"extra_specs": specs})


@blueprint.route(f"{PREFIX}/types/<type_id>/extra_specs/<key>", methods=["DELETE"])
def delete_extra_spec(project_id: str, type_id: str, key: str):
    project_of(project_id)
    require_admin("volume_extension:types_extra_specs:delete")
    with store().transaction():
        specs = dict(_get_type(type_id)["extra_specs"])
        if key not in specs:
            raise not_found(f"Volume Type {type_id} has no extra specs with key", key)
        specs.pop(key)
        store().change(TYPE, type_id, {"extra_specs": specs})
    return reply(None, 202)
