"""Who calls the Zabbix emulator: users, sessions from ``user.login``, and API tokens.

As a fresh Zabbix, it has the super administrator ``Admin`` with password
``zabbix``.  ``user.login`` opens a session (a 32-character id); API tokens
(64 characters) are made with ``token.create`` and ``token.generate``, and
only their digest is kept.  A request carries either in its ``auth`` member
(Zabbix 6.0) or an ``Authorization: Bearer`` header (6.4 and later).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Mapping

from ..service import store
from .common import (APPLICATION_ERROR, ZabbixError, add, all_of, by_ids, deleted, find, ids_of, invalid, kind,
                     select, text)

ADMIN = {"userid": "1", "username": "Admin", "name": "Zabbix", "surname": "Administrator", "roleid": "3",
         "_password": "zabbix"}
NOT_AUTHORIZED = "Not authorized."
SESSION_TERMINATED = "Session terminated, re-login, please."


def seed() -> None:
    """The ``Admin`` user of a fresh Zabbix."""
    if store().get(kind("user"), ADMIN["userid"]) is None:
        store().add(kind("user"), {"id": ADMIN["userid"], **ADMIN})


def authenticate(auth: str | None) -> dict[str, Any]:
    """The user a session id or API token belongs to; Zabbix's refusal otherwise."""
    if not auth:
        raise invalid(NOT_AUTHORIZED)
    session = store().get(kind("session"), auth) if len(auth) == 32 else None
    if session is not None:
        return {**find("user", session["userid"]), "_session": auth}
    token = all_of("token", lambda body: body["_digest"] == _digest(auth) and body["status"] == "0")
    if token:
        return find("user", token[0]["userid"])
    raise invalid(SESSION_TERMINATED if len(auth) == 32 else NOT_AUTHORIZED)


def _digest(token: str) -> str:
    return hashlib.sha512(token.encode()).hexdigest()


def _public_user(user: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in user.items() if not key.startswith("_") and key != "id"}


def login(params: Mapping[str, Any], _caller: Any) -> str:
    """``user.login``: a new session's id."""
    name = params.get("username", params.get("user"))
    if name is None:
        raise invalid('Invalid parameter "/": the parameter "username" is missing.')
    users = all_of("user", lambda body: body["username"] == name and body["_password"] == params.get("password"))
    if not users:
        raise ZabbixError(APPLICATION_ERROR, "Incorrect user name or password or account is temporarily blocked.")
    session = secrets.token_hex(16)
    store().add(kind("session"), {"id": session, "userid": users[0]["userid"]})
    return session


def logout(_params: Any, caller: Mapping[str, Any]) -> bool:
    """``user.logout``: ends the caller's session."""
    session = caller.get("_session")
    if not session:
        raise ZabbixError(APPLICATION_ERROR, 'Incorrect field "sessionid" name or value in where statement '
                                             'for table "sessions".')
    store().remove(kind("session"), session)
    return True


def check_authentication(params: Mapping[str, Any], _caller: Any) -> dict[str, Any]:
    """``user.checkAuthentication``: the user of a session or token."""
    user = _public_user(authenticate(params.get("sessionid") or params.get("token")))
    return {**user, **({"sessionid": params["sessionid"]} if params.get("sessionid") else {})}


def create_token(params: Mapping[str, Any], caller: Mapping[str, Any]) -> dict[str, list[str]]:
    """``token.create``: a token's record; its secret comes from ``token.generate``."""
    made = []
    for item in params if isinstance(params, list) else [params]:
        name = text(item.get("name"))
        userid = text(item.get("userid") or caller["userid"])
        find("user", userid)
        if all_of("token", lambda body: body["name"] == name and body["userid"] == userid):
            raise invalid(f'API token "{name}" already exists for userid "{userid}".')
        token = add("token", {"name": name, "description": text(item.get("description")), "userid": userid,
                              "lastaccess": "0", "status": text(item.get("status", 0)),
                              "expires_at": text(item.get("expires_at", 0)), "created_at": "0",
                              "creator_userid": caller["userid"], "_digest": ""})
        made.append(token["tokenid"])
    return {"tokenids": made}


def generate_tokens(params: Any, _caller: Any) -> list[dict[str, str]]:
    """``token.generate``: a new secret for each token (the old one stops working)."""
    generated = []
    for token_id in ids_of(params):
        find("token", token_id)
        secret = secrets.token_hex(32)
        store().change(kind("token"), token_id, {"_digest": _digest(secret)})
        generated.append({"tokenid": token_id, "token": secret})
    return generated


METHODS = {
    "user.login": login, "user.logout": logout, "user.checkAuthentication": check_authentication,
    "token.create": create_token, "token.generate": generate_tokens,
    "token.get": lambda params, _caller: select("token", params, {"tokenids": by_ids("tokenid"),
                                                                  "userids": by_ids("userid")}),
    "token.delete": lambda params, _caller: deleted("token", ids_of(params)),
}
#: methods called without a session or token
UNAUTHENTICATED = ("apiinfo.version", "user.login", "user.checkAuthentication")
