"""The HTTP routes: one set of list/create/show/update/delete views for every collection, quotas, versions."""

from __future__ import annotations

from flask import request

from ..service import Forbidden, body_of, caller, reply, store, version_document
from .common import (DEFAULT_QUOTAS, Collection, blueprint, find, matches, owned, quota_limits, quota_used,
                     shown)
from .security import ensure_default_group, group_view

COLLECTIONS: dict[str, Collection] = {}


def register(*collections: Collection) -> None:
    """Serve ``collections`` under ``/v2.0/<plural>``."""
    for collection in collections:
        COLLECTIONS[collection.plural] = collection


def _view(collection: Collection, obj: dict, fields: list[str] | None = None) -> dict:
    if collection.kind == "security_group":
        obj = group_view(obj)
    return shown(obj, collection.kind, fields)


def _collection(plural: str) -> Collection:
    found = COLLECTIONS.get(plural)
    if found is None:
        from flask import abort

        abort(404)
    return found


@blueprint.before_request
def _default_group() -> None:
    # Neutron makes a project's default security group on the project's first request
    if request.endpoint and request.endpoint.endswith(("versions", "version")):
        return
    ensure_default_group(caller().project_id)


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [version_document("/network/v2.0", "v2.0")]})


@blueprint.route("/v2.0", methods=["GET"])
@blueprint.route("/v2.0/", methods=["GET"])
@blueprint.public
def version():
    return reply({"resources": [{"name": c.singular, "collection": c.plural, "links": []}
                                for c in COLLECTIONS.values()]})


@blueprint.route("/v2.0/<plural>", methods=["GET"])
def list_objects(plural: str):
    """Every visible object of the collection that passes the query's filters."""
    collection = _collection(plural)
    from .common import visible

    found = [obj for obj in store().list(collection.kind)
             if visible(collection.kind, obj) and matches(_view(collection, obj, []), request.args)]
    found.sort(key=lambda obj: obj.get("_created", 0))
    marker, limit = request.args.get("marker"), request.args.get("limit")
    if marker:
        ids = [obj["id"] for obj in found]
        found = found[ids.index(marker) + 1:] if marker in ids else found
    if limit and limit.isdigit() and int(limit) > 0:
        found = found[:int(limit)]
    return reply({collection.plural.replace("-", "_"): [_view(collection, obj) for obj in found]})


@blueprint.route("/v2.0/<plural>", methods=["POST"])
def create_object(plural: str):
    collection = _collection(plural)
    made = collection.create(body_of(collection.singular), caller().project_id)
    return reply({collection.singular: _view(collection, store().get(collection.kind, made["id"]) or made, [])}, 201)


@blueprint.route("/v2.0/<plural>/<object_id>", methods=["GET"])
def show_object(plural: str, object_id: str):
    collection = _collection(plural)
    return reply({collection.singular: _view(collection, find(collection.kind, object_id))})


@blueprint.route("/v2.0/<plural>/<object_id>", methods=["PUT"])
def update_object(plural: str, object_id: str):
    collection = _collection(plural)
    with store().transaction():
        current = owned(collection.kind, object_id)
        changed = collection.update(current, body_of(collection.singular))
    return reply({collection.singular: _view(collection, store().get(collection.kind, changed["id"]) or changed, [])})


@blueprint.route("/v2.0/<plural>/<object_id>", methods=["DELETE"])
def delete_object(plural: str, object_id: str):
    collection = _collection(plural)
    with store().transaction():
        collection.delete(owned(collection.kind, object_id))
    return reply(None, 204)


@blueprint.route("/v2.0/<plural>/<object_id>/tags", methods=["PUT"])
def replace_tags(plural: str, object_id: str):
    """Neutron's tag extension: replace every tag of the object."""
    collection = _collection(plural)
    with store().transaction():
        current = owned(collection.kind, object_id)
        tags = body_of().get("tags")
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            from .common import bad_request

            raise bad_request("Invalid input for tags. Reason: a list of strings is expected.")
        store().change(collection.kind, current["id"], {"tags": sorted(set(tags))})
    return reply({"tags": sorted(set(tags))})


# -- quotas --------------------------------------------------------------------------------------

def _quota_project(project_id: str) -> str:
    if not caller().is_admin and project_id != caller().project_id:
        raise Forbidden("Non-admin is not authorized to access quotas for another project", kind="AdminRequired")
    return project_id


@blueprint.route("/v2.0/quotas/<project_id>", methods=["GET"])
def show_quota(project_id: str):
    return reply({"quota": quota_limits(_quota_project(project_id))})


@blueprint.route("/v2.0/quotas/<project_id>/details", methods=["GET"])
@blueprint.route("/v2.0/quotas/<project_id>/details.json", methods=["GET"])
def show_quota_details(project_id: str):
    limits = quota_limits(_quota_project(project_id))
    return reply({"quota": {name: {"limit": limit, "used": quota_used(project_id, name) if name in DEFAULT_QUOTAS
                                   and name not in ("rbac_policy", "subnetpool") else 0, "reserved": 0}
                            for name, limit in limits.items()}})


@blueprint.route("/v2.0/quotas/<project_id>", methods=["PUT"])
def update_quota(project_id: str):
    if not caller().is_admin:
        raise Forbidden("rule:update_quota is disallowed by policy", kind="PolicyNotAuthorized")
    wanted = {key: int(value) for key, value in body_of("quota").items() if key in DEFAULT_QUOTAS}
    with store().transaction():
        current = store().get("network_quota", project_id)
        if current is None:
            store().add("network_quota", {"id": project_id, **wanted}, project_id)
        else:
            store().change("network_quota", project_id, wanted)
    return reply({"quota": quota_limits(project_id)})


@blueprint.route("/v2.0/quotas/<project_id>", methods=["DELETE"])
def reset_quota(project_id: str):
    if not caller().is_admin:
        raise Forbidden("rule:delete_quota is disallowed by policy", kind="PolicyNotAuthorized")
    store().remove("network_quota", project_id)
    return reply(None, 204)
