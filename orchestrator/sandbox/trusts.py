"""Keystone's OS-TRUST in the sandbox: trusts made, shown, listed and deleted, and tokens scoped to a trust.

Enough for the service's ``[cloud] auth = trust`` mode to run on the
sandbox, with Keystone's rules (checked against Keystone Zed): only the
trustor makes a trust, with roles it holds in the project; the trustor, the
trustee and admins may read it; the trustor (a token scoped to the trust,
with impersonation, counts) and admins may delete it, the trustee's own
token may not; only the trustee may authenticate with it, and gets a token
of the trust's project and roles that stands for the trustor when the trust
says impersonation.  A trust that is gone answers 401 to authentication,
and the tokens it gave stop working.  Not emulated: implied roles,
redelegation and ``remaining_uses``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request

from .identity import blueprint, role_assignments
from .service import (BadRequest, Forbidden, NotFound, Unauthorized, base_url, body_of, caller, reply, store)
from .store import public

#: Keystone's words for a refused policy check
FORBIDDEN = "You are not authorized to perform the requested action"


def find_trust(trust_id: str) -> dict[str, Any] | None:
    """The trust if it exists and has not expired."""
    trust = store().get("trust", trust_id)
    if trust is None or (trust.get("_expires") is not None and trust["_expires"] < store().clock()):
        return None
    return trust


def trust_scope(trust_id: str, user: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]],
                                                                dict[str, Any]]:
    """What a token scoped to trust ``trust_id`` for ``user`` holds: (its user, project, roles, OS-TRUST body)."""
    trust = find_trust(trust_id)
    if trust is None:
        raise Unauthorized("The request you have made requires authentication.")
    if user["id"] != trust["trustee_user_id"]:
        raise Forbidden(f"{FORBIDDEN}.")
    held = {role["id"] for role in role_assignments(trust["trustor_user_id"], trust["project_id"])}
    if not set(trust["_role_ids"]) <= held:  # the trustor has since lost a role it delegated
        raise Forbidden(f"{FORBIDDEN}.")
    acting = store().get("user", trust["trustor_user_id"] if trust["impersonation"] else trust["trustee_user_id"])
    roles = [role for role in store().list("role") if role["id"] in trust["_role_ids"]]
    scoped = {"id": trust["id"], "trustor_user": {"id": trust["trustor_user_id"]},
              "trustee_user": {"id": trust["trustee_user_id"]}, "impersonation": trust["impersonation"]}
    return acting, store().get("project", trust["project_id"]), roles, scoped


# -- the API -----------------------------------------------------------------------------------

@blueprint.route("/v3/OS-TRUST/trusts", methods=["POST"])
def create_trust():
    wanted = body_of("trust")
    for key in ("trustor_user_id", "trustee_user_id", "impersonation"):
        if key not in wanted:
            raise BadRequest(f"'{key}' is a required property")
    if not isinstance(wanted["impersonation"], bool):
        raise BadRequest(f"{wanted['impersonation']!r} is not of type 'boolean'")
    if wanted["trustor_user_id"] != caller().user_id or _current_token().get("trust") is not None:
        raise Forbidden(f"{FORBIDDEN}: identity:create_trust.")
    project_id = wanted.get("project_id")
    if project_id and not wanted.get("roles"):
        raise Forbidden(f"{FORBIDDEN}: At least one role should be specified.")
    if store().get("user", str(wanted["trustee_user_id"])) is None:
        raise NotFound(f"Could not find user: {wanted['trustee_user_id']}.")
    if project_id and store().get("project", str(project_id)) is None:
        raise NotFound(f"Could not find project: {project_id}.")
    role_ids = [_role_id(role) for role in wanted.get("roles") or ()]
    held = {role["id"] for role in role_assignments(caller().user_id, project_id)} if project_id else set()
    for role_id in role_ids:
        if role_id not in held:
            raise NotFound(f"Could not find role: {role_id}.")
    expires = wanted.get("expires_at")
    trust = store().add("trust", {
        "trustor_user_id": wanted["trustor_user_id"], "trustee_user_id": wanted["trustee_user_id"],
        "project_id": project_id, "impersonation": wanted["impersonation"], "expires_at": expires,
        "remaining_uses": None, "deleted_at": None, "redelegated_trust_id": None, "redelegation_count": 0,
        "_role_ids": list(dict.fromkeys(role_ids)), "_expires": _epoch(expires) if expires else None})
    return reply({"trust": _trust_body(trust)}, 201)


@blueprint.route("/v3/OS-TRUST/trusts", methods=["GET"])
def list_trusts():
    trustor, trustee = request.args.get("trustor_user_id"), request.args.get("trustee_user_id")
    if not caller().is_admin and caller().user_id not in {trustor, trustee} - {None}:
        raise Forbidden(f"{FORBIDDEN}: identity:list_trusts.")
    found = store().list("trust", where=lambda t: (trustor is None or t["trustor_user_id"] == trustor)
                         and (trustee is None or t["trustee_user_id"] == trustee))
    bodies = [{key: value for key, value in _trust_body(t).items() if key not in ("roles", "roles_links")}
              for t in found if find_trust(t["id"])]
    return reply({"trusts": bodies, "links": {"self": request.url, "next": None, "previous": None}})


@blueprint.route("/v3/OS-TRUST/trusts/<trust_id>", methods=["GET"])
def show_trust(trust_id: str):
    trust = _existing(trust_id)
    if not caller().is_admin and caller().user_id not in (trust["trustor_user_id"], trust["trustee_user_id"]):
        raise Forbidden(f"{FORBIDDEN}: identity:get_trust.")
    return reply({"trust": _trust_body(trust)})


@blueprint.route("/v3/OS-TRUST/trusts/<trust_id>", methods=["DELETE"])
def delete_trust(trust_id: str):
    trust = _existing(trust_id)
    if not caller().is_admin and caller().user_id != trust["trustor_user_id"]:
        raise Forbidden(f"{FORBIDDEN}: identity:delete_trust.")
    store().remove("trust", trust_id)
    return reply(status=204)


# -- helpers --------------------------------------------------------------------------------------

def _existing(trust_id: str) -> dict[str, Any]:
    trust = find_trust(trust_id)
    if trust is None:
        raise NotFound(f"Could not find trust: {trust_id}.")
    return trust


def _current_token() -> dict[str, Any]:
    return store().get("token", request.headers.get("X-Auth-Token", "")) or {}


def _role_id(wanted: Any) -> str:
    """A role of a trust request (``{"id": …}`` or ``{"name": …}``) as its id; Keystone's 404 when it is unknown."""
    if not isinstance(wanted, dict):
        raise BadRequest(f"{wanted!r} is not of type 'object'")
    if "id" in wanted:
        if store().get("role", str(wanted["id"])) is None:
            raise NotFound(f"Could not find role: {wanted['id']}.")
        return str(wanted["id"])
    found = store().list("role", where=lambda role: role["name"] == wanted.get("name"))
    if not found:
        raise NotFound(f"Role {wanted.get('name')} is not defined")
    return found[0]["id"]


def _trust_body(trust: dict[str, Any]) -> dict[str, Any]:
    url = f"{base_url()}/identity/v3/OS-TRUST/trusts/{trust['id']}"
    roles = [{**role, "links": {"self": f"{base_url()}/identity/v3/roles/{role['id']}"}}
             for role in store().list("role") if role["id"] in trust["_role_ids"]]
    return {**public(trust), "roles": roles,
            "roles_links": {"self": f"{url}/roles", "next": None, "previous": None}, "links": {"self": url}}


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(str(iso).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise BadRequest(f"Invalid expires_at: {iso!r}") from None
