"""Keystone v3: tokens (password and token methods, project scope), the catalog, projects, users, roles.

Enough of Keystone for keystoneauth1 and openstacksdk to authenticate with a
password or a token and find every emulated service in the catalog, for our
API's ``keystone`` mode to validate a user's token, and for an admin to make
projects and users (for cross-project tests).  Trusts and trust-scoped
tokens (OS-TRUST) are in ``trusts``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from flask import request

from .service import (BadRequest, Caller, Conflict, Forbidden, NotFound, ServiceBlueprint, Unauthorized, base_url,
                      body_of, caller, reply, settings, store)
from .store import public

blueprint = ServiceBlueprint("identity", "/identity", "keystone", __name__)

DEFAULT_DOMAIN = {"id": "default", "name": "Default"}
API_VERSION = "v3.14"


# -- helpers other services use -----------------------------------------------------------

def caller_of(token: str) -> Caller | None:
    """The caller a token stands for, or ``None`` when it is unknown or expired."""
    found = store().get("token", token)
    if found is None or found["expires"] < store().clock():
        return None
    if found.get("trust") is not None and trusts.find_trust(found["trust"]["id"]) is None:
        return None  # deleting a trust revokes the tokens it gave
    return Caller(found["user_id"], found["user_name"], found["project_id"], found["project_name"],
                  tuple(found["roles"]))


def seed(configured: Any) -> None:
    """Projects ``admin`` and ``demo``, users of the same names, roles ``admin``, ``member``, ``reader``.

    Both users' password is ``configured.password``.
    """
    objects = store()
    with objects.transaction():
        if objects.list("project"):
            return
        roles = {name: objects.add("role", {"name": name, "domain_id": None})["id"]
                 for name in ("admin", "member", "reader")}
        for name, granted in (("admin", ("admin", "member", "reader")), ("demo", ("member", "reader"))):
            project = add_project(name)
            user = add_user(name, configured.password, project["id"])
            for role in granted:
                objects.add("assignment", {"user_id": user["id"], "project_id": project["id"],
                                           "role_id": roles[role]})


def ensure_member(project_name: str, user_name: str) -> dict[str, Any]:
    """Project ``project_name`` (made if missing) with ``user_name`` holding its ``member`` role; the project.

    The embedded service acts in the sandbox project named like the API's
    project, as the sandbox's admin user with no more than a member's rights.
    """
    objects = store()
    with objects.transaction():
        found = objects.list("project", where=lambda p: p["name"] == project_name)
        project = found[0] if found else add_project(project_name)
        user = objects.list("user", where=lambda u: u["name"] == user_name)[0]
        member = objects.list("role", where=lambda r: r["name"] == "member")[0]
        if not role_assignments(user["id"], project["id"]):
            objects.add("assignment", {"user_id": user["id"], "project_id": project["id"], "role_id": member["id"]})
        return project


def add_project(name: str, description: str = "") -> dict[str, Any]:
    """A new project in the default domain."""
    return store().add("project", {"name": name, "description": description, "domain_id": "default",
                                   "enabled": True, "is_domain": False, "parent_id": "default", "tags": []})


def add_user(name: str, password: str, project_id: str | None = None) -> dict[str, Any]:
    """A new user in the default domain."""
    return store().add("user", {"name": name, "domain_id": "default", "enabled": True,
                                "default_project_id": project_id, "password_expires_at": None,
                                "_password": password})


# -- versions --------------------------------------------------------------------------------

def _version() -> dict[str, Any]:
    return {"id": API_VERSION, "status": "stable", "updated": "2022-09-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{base_url()}/identity/v3/"}],
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]}


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": {"values": [_version()]}}, 300)


@blueprint.route("/v3", methods=["GET"])
@blueprint.route("/v3/", methods=["GET"])
@blueprint.public
def version():
    return reply({"version": _version()})


# -- tokens ------------------------------------------------------------------------------------

@blueprint.route("/v3/auth/tokens", methods=["POST"])
@blueprint.public
def issue_token():
    """Authenticate with a password or a token; the token in ``X-Subject-Token``, its body with the catalog."""
    auth = body_of("auth")
    identity = auth.get("identity") or {}
    methods = identity.get("methods") or []
    if "password" in methods:
        user = _password_user((identity.get("password") or {}).get("user") or {})
    elif "token" in methods:
        known = caller_of(str((identity.get("token") or {}).get("id", "")))
        if known is None:
            raise Unauthorized("The request you have made requires authentication.")
        user = store().get("user", known.user_id)
    else:
        raise Unauthorized("Expecting to find password or token in auth.")
    scope, trust = auth.get("scope"), None
    if isinstance(scope, dict) and "OS-TRUST:trust" in scope:
        user, project, roles, trust = trusts.trust_scope(str((scope["OS-TRUST:trust"] or {}).get("id", "")), user)
    else:
        project = _scope(scope, user)
        roles = role_assignments(user["id"], project["id"]) if project else []
    if project is not None and not roles:
        raise Unauthorized(f"User {user['id']} has no access to project {project['id']}.")
    token = secrets.token_urlsafe(32)
    now = store().clock()
    expires = now + settings().token_seconds
    stored = {"id": token, "user_id": user["id"], "user_name": user["name"],
              "project_id": project["id"] if project else None, "project_name": project["name"] if project else None,
              "roles": [role["name"] for role in roles], "methods": methods, "issued": now, "expires": expires,
              "trust": trust}
    store().add("token", stored, project["id"] if project else None)
    return reply({"token": _token_body(stored, with_catalog="nocatalog" not in request.args)}, 201,
                 {"X-Subject-Token": token})


@blueprint.route("/v3/auth/tokens", methods=["GET", "HEAD"])
def validate_token():
    """Validate ``X-Subject-Token`` (our API's ``keystone`` mode does this)."""
    presented = store().get("token", request.headers.get("X-Auth-Token", "")) or {}
    if presented.get("trust") is not None and not caller().is_admin:
        # Keystone's policy: a trust-scoped token validates no token, not even itself
        raise Forbidden("You are not authorized to perform the requested action: identity:validate_token.")
    subject = request.headers.get("X-Subject-Token", "")
    stored = store().get("token", subject)
    if stored is None or caller_of(subject) is None:
        raise NotFound(f"Could not find token: {subject}.")
    return reply({"token": _token_body(stored, with_catalog="nocatalog" not in request.args)},
                 headers={"X-Subject-Token": subject})


@blueprint.route("/v3/auth/tokens", methods=["DELETE"])
def revoke_token():
    subject = request.headers.get("X-Subject-Token", "")
    if not store().remove("token", subject):
        raise NotFound(f"Could not find token: {subject}.")
    return reply(status=204)


@blueprint.route("/v3/auth/catalog", methods=["GET"])
def catalog():
    return reply({"catalog": service_catalog(caller().project_id), "links": {"self": request.url}})


@blueprint.route("/v3/auth/projects", methods=["GET"])
def my_projects():
    mine = {a["project_id"] for a in store().list("assignment", where=lambda a: a["user_id"] == caller().user_id)}
    return reply({"projects": [_project_body(p) for p in store().list("project") if p["id"] in mine]})


# -- projects, users, roles ------------------------------------------------------------------

@blueprint.route("/v3/projects", methods=["GET"])
def list_projects():
    projects = store().list("project")
    if not caller().is_admin:
        projects = [p for p in projects if p["id"] == caller().project_id]
    if "name" in request.args:
        projects = [p for p in projects if p["name"] == request.args["name"]]
    return reply({"projects": [_project_body(p) for p in projects], "links": {"self": request.url}})


@blueprint.route("/v3/projects", methods=["POST"])
def create_project():
    _admin_only()
    wanted = body_of("project")
    name = wanted.get("name")
    if not isinstance(name, str) or not name:
        raise BadRequest("Invalid input for field 'name'.")
    with store().transaction():  # the name checked unique and the project added, with nothing in between
        if store().list("project", where=lambda p: p["name"] == name):
            raise Conflict(f"Conflict occurred attempting to store project - Duplicate entry found with name "
                           f"{name}.")
        project = add_project(name, wanted.get("description", ""))
    return reply({"project": _project_body(project)}, 201)


@blueprint.route("/v3/projects/<project_id>", methods=["GET"])
def show_project(project_id: str):
    project = store().get("project", project_id)
    if project is None or (not caller().is_admin and project_id != caller().project_id):
        raise NotFound(f"Could not find project: {project_id}.")
    return reply({"project": _project_body(project)})


@blueprint.route("/v3/users", methods=["POST"])
def create_user():
    _admin_only()
    wanted = body_of("user")
    name = wanted.get("name")
    if not isinstance(name, str) or not name:
        raise BadRequest("Invalid input for field 'name'.")
    with store().transaction():  # the name checked unique and the user added, with nothing in between
        if store().list("user", where=lambda u: u["name"] == name):
            raise Conflict(f"Conflict occurred attempting to store user - Duplicate entry found with name {name}.")
        user = add_user(name, str(wanted.get("password", "")), wanted.get("default_project_id"))
    return reply({"user": _user_body(user)}, 201)


@blueprint.route("/v3/users", methods=["GET"])
def list_users():
    _admin_only()
    return reply({"users": [_user_body(u) for u in store().list("user")], "links": {"self": request.url}})


@blueprint.route("/v3/roles", methods=["GET"])
def list_roles():
    return reply({"roles": [_role_body(r) for r in store().list("role")], "links": {"self": request.url}})


@blueprint.route("/v3/projects/<project_id>/users/<user_id>/roles/<role_id>", methods=["PUT"])
def grant_role(project_id: str, user_id: str, role_id: str):
    _admin_only()
    with store().transaction():  # one assignment however many grants come at once
        for kind, object_id in (("project", project_id), ("user", user_id), ("role", role_id)):
            if store().get(kind, object_id) is None:
                raise NotFound(f"Could not find {kind}: {object_id}.")
        if not store().list("assignment", where=lambda a: (a["user_id"], a["project_id"], a["role_id"]) == (
                user_id, project_id, role_id)):
            store().add("assignment", {"user_id": user_id, "project_id": project_id, "role_id": role_id})
    return reply(status=204)


# -- catalog -----------------------------------------------------------------------------------

def service_catalog(project_id: str | None) -> list[dict[str, Any]]:
    """Every emulated service, each with a public, internal and admin endpoint in ``RegionOne``."""
    from .app import SERVICES

    root = base_url()
    entries = []
    for service in SERVICES:
        url = root + service.endpoint_path.replace("{project_id}", project_id or "")
        entries.append({"id": service.name, "type": service.type, "name": service.name, "endpoints": [
            {"id": f"{service.name}-{interface}", "interface": interface, "region": "RegionOne",
             "region_id": "RegionOne", "url": url} for interface in ("public", "internal", "admin")]})
    return entries


# -- bodies --------------------------------------------------------------------------------------

def _token_body(stored: dict[str, Any], with_catalog: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "methods": stored["methods"] or ["password"], "audit_ids": [stored["id"][:22]],
        "issued_at": _iso(stored["issued"]), "expires_at": _iso(stored["expires"]),
        "user": {"id": stored["user_id"], "name": stored["user_name"], "domain": DEFAULT_DOMAIN,
                 "password_expires_at": None},
    }
    if stored.get("trust") is not None:
        body["OS-TRUST:trust"] = stored["trust"]
    if stored["project_id"] is not None:
        body["project"] = {"id": stored["project_id"], "name": stored["project_name"], "domain": DEFAULT_DOMAIN}
        body["roles"] = [{"id": r["id"], "name": r["name"]} for r in store().list("role")
                         if r["name"] in stored["roles"]]
        body["is_domain"] = False
        if with_catalog:
            body["catalog"] = service_catalog(stored["project_id"])
    return body


def _password_user(wanted: dict[str, Any]) -> dict[str, Any]:
    if "id" in wanted:
        user = store().get("user", str(wanted["id"]))
    else:
        name = wanted.get("name")
        found = store().list("user", where=lambda u: u["name"] == name)
        user = found[0] if found else None
    if user is None or not user.get("enabled", True) or user.get("_password") != wanted.get("password"):
        raise Unauthorized("The request you have made requires authentication.")
    return user


def _scope(scope: Any, user: dict[str, Any]) -> dict[str, Any] | None:
    if not scope:
        default = user.get("default_project_id")
        return store().get("project", default) if default else None
    wanted = scope.get("project") if isinstance(scope, dict) else None
    if not isinstance(wanted, dict):
        raise Unauthorized("Only project scope is supported by the sandbox.")
    if "id" in wanted:
        project = store().get("project", str(wanted["id"]))
    else:
        found = store().list("project", where=lambda p: p["name"] == wanted.get("name"))
        project = found[0] if found else None
    if project is None:
        raise Unauthorized(f"Could not find project: {wanted.get('id') or wanted.get('name')}.")
    return project


def role_assignments(user_id: str, project_id: str) -> list[dict[str, Any]]:
    """The roles ``user_id`` holds in ``project_id``."""
    granted = {a["role_id"] for a in store().list("assignment", where=lambda a: a["user_id"] == user_id
                                                   and a["project_id"] == project_id)}
    return [role for role in store().list("role") if role["id"] in granted]


def _admin_only() -> None:
    if not caller().is_admin:
        raise Forbidden("You are not authorized to perform the requested action.")


def _project_body(project: dict[str, Any]) -> dict[str, Any]:
    return {**public(project), "links": {"self": f"{base_url()}/identity/v3/projects/{project['id']}"}}


def _user_body(user: dict[str, Any]) -> dict[str, Any]:
    return {**public(user), "links": {"self": f"{base_url()}/identity/v3/users/{user['id']}"}}


def _role_body(role: dict[str, Any]) -> dict[str, Any]:
    return {**role, "links": {"self": f"{base_url()}/identity/v3/roles/{role['id']}"}}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


# the OS-TRUST routes join this blueprint (their module needs the helpers above)
from . import trusts  # noqa: E402
