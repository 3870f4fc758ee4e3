"""The sandbox's own API for server load (admin only): ``PUT /metric/sandbox/load/<server or group>``.

Not part of Gnocchi: it is how people and tests make sandbox servers busy
(``orchestrator sandbox load SERVER|GROUP 85``).  A target is a server id, a
server name, or a group (every server whose ``metering.server_group`` or
``metering.stack`` metadata is that value, and those that join it later).
Setting a load wakes the alarm evaluator.
"""

from __future__ import annotations

from typing import Any

from ..service import BadRequest, Forbidden, NotFound, body_of, caller, reply, store
from .load import levels, load_at, servers_named, set_group_load, set_load
from .metric import blueprint, wake_evaluator


def _admin_only() -> None:
    if not caller().is_admin:
        raise Forbidden("Setting the load of sandbox servers is for the sandbox's admin")


def _targets(target: str) -> tuple[list[dict[str, Any]], bool]:
    servers, group = servers_named(store(), target)
    if not servers:
        raise NotFound(f"No sandbox server has the id or name {target!r}, and no server's metering.server_group "
                       "or metering.stack metadata names such a group")
    return servers, group


def _level() -> float:
    value = body_of().get("level")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise BadRequest(f"Invalid input: 'level' must be a percentage from 0 to 100, not {value!r}")
    return float(value)


@blueprint.route("/sandbox/load/<target>", methods=["GET"])
def show_load(target: str):
    _admin_only()
    moment = store().clock()
    return reply({"servers": [{"id": server["id"], "name": server.get("name"), "project_id": server.get("tenant_id"),
                               "level": load_at(levels(store(), server), moment)}
                              for server in _targets(target)[0]]})


@blueprint.route("/sandbox/load/<target>", methods=["PUT"])
def change_load(target: str):
    _admin_only()
    level = _level()
    moment = store().clock()
    with store().transaction():
        servers, group = _targets(target)
        before = {server["id"]: load_at(levels(store(), server), moment) for server in servers}
        if group:
            set_group_load(store(), target, level, moment)  # for the members that join later too
        else:
            for server in servers:
                set_load(store(), server["id"], level, moment)
    wake_evaluator()
    return reply({"group": target if group else None, "servers": [
        {"id": server["id"], "name": server.get("name"), "project_id": server.get("tenant_id"),
         "before": before[server["id"]], "level": level} for server in servers]})
