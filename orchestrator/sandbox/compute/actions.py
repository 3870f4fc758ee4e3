"""Nova server actions (``POST /servers/{id}/action``): stop, start, reboot, suspend, resize, rebuild, …

Each action checks the server's state as Nova does (409 otherwise), sets a
transitional status or task state at once, and schedules the final state
``build_seconds`` later.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from ..service import BadRequest, Conflict, body_of, reply, settings, store
from .api import blueprint, now_iso, visible_flavor
from .flavors import embedded
from .servers import _check_quota, _image, find, state, view


@dataclass(frozen=True)
class Action:
    """A simple action: the vm_states it starts from, the transition it shows and where it ends."""

    name: str  # Nova's name in its state error
    from_states: tuple[str, ...]
    transition: tuple[str, str]  # (status, task_state) while it runs
    final: str


SIMPLE: dict[str, Action] = {
    "os-stop": Action("stop", ("active", "error"), ("ACTIVE", "powering-off"), "SHUTOFF"),
    "os-start": Action("start", ("stopped",), ("SHUTOFF", "powering-on"), "ACTIVE"),
    "suspend": Action("suspend", ("active",), ("ACTIVE", "suspending"), "SUSPENDED"),
    "resume": Action("resume", ("suspended",), ("SUSPENDED", "resuming"), "ACTIVE"),
    "pause": Action("pause", ("active",), ("ACTIVE", "pausing"), "PAUSED"),
    "unpause": Action("unpause", ("paused",), ("PAUSED", "unpausing"), "ACTIVE"),
}


def _check_state(server: dict[str, Any], action: str, from_states: tuple[str, ...]) -> None:
    task_state = server.get("OS-EXT-STS:task_state")
    if task_state:
        raise Conflict(f"Cannot '{action}' instance {server['id']} while it is in task_state {task_state}")
    if server["OS-EXT-STS:vm_state"] not in from_states:
        raise Conflict(f"Cannot '{action}' instance {server['id']} while it is in vm_state "
                       f"{server['OS-EXT-STS:vm_state']}")


def _move(server: dict[str, Any], transition: tuple[str, str], final: dict[str, Any]) -> None:
    """Show ``transition`` now and ``final`` once the build time has passed."""
    status, task_state = transition
    objects = store()
    with objects.transaction():
        objects.change("server", server["id"], {**state(status, task_state), "updated": now_iso()})
        delay = settings().build_seconds
        objects.schedule("server", server["id"], delay, {"updated": now_iso(objects.clock() + delay), **final})


def _simple(server: dict[str, Any], key: str, _argument: Any):
    action = SIMPLE[key]
    _check_state(server, action.name, action.from_states)
    _move(server, action.transition, state(action.final))
    return reply(None, 202)


def _reboot(server: dict[str, Any], _key: str, argument: Any):
    kind = (argument or {}).get("type", "SOFT") if isinstance(argument, dict) else "SOFT"
    if kind not in ("SOFT", "HARD"):
        raise BadRequest(f"Invalid input for field/attribute type. Value: {kind}. "
                         f"'{kind}' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']")
    allowed = ("active",) if kind == "SOFT" else ("active", "stopped", "error", "paused", "suspended")
    _check_state(server, "reboot", allowed)
    status, task = ("REBOOT", "rebooting") if kind == "SOFT" else ("HARD_REBOOT", "rebooting_hard")
    _move(server, (status, task), state("ACTIVE"))
    return reply(None, 202)


def _resize(server: dict[str, Any], _key: str, argument: Any):
    flavor_ref = str((argument or {}).get("flavorRef") or "") if isinstance(argument, dict) else ""
    _check_state(server, "resize", ("active", "stopped"))
    flavor = visible_flavor(flavor_ref.rstrip("/").rpartition("/")[2]) if flavor_ref else None
    if flavor is None:
        raise BadRequest("Unable to locate requested flavor.")
    if flavor["id"] == server["flavor"]["id"]:
        raise BadRequest("When resizing, instances must change flavor!")
    old = server["flavor"]
    if flavor["disk"] and flavor["disk"] < old["disk"] and server.get("image_id"):
        raise BadRequest("Resize error: Unable to resize disk down.")
    _check_quota(server["tenant_id"], {"cores": flavor["vcpus"] - old["vcpus"], "ram": flavor["ram"] - old["ram"]})
    store().change("server", server["id"], {"_old_flavor": old, "flavor": embedded(flavor),
                                            "_resize_from": server["status"]})
    _move(server, ("RESIZE", "resize_prep"), state("VERIFY_RESIZE"))
    return reply(None, 202)


def _confirm_resize(server: dict[str, Any], _key: str, _argument: Any):
    if server["status"] != "VERIFY_RESIZE":
        raise BadRequest(f"Migration not found for instance {server['id']} with status finished.")
    final = server.get("_resize_from") or "ACTIVE"
    store().change("server", server["id"], {**state(final), "_old_flavor": None, "_resize_from": None,
                                            "updated": now_iso()})
    return reply(None, 204)


def _revert_resize(server: dict[str, Any], _key: str, _argument: Any):
    if server["status"] != "VERIFY_RESIZE":
        raise BadRequest(f"Migration not found for instance {server['id']} with status finished.")
    store().change("server", server["id"], {"flavor": server["_old_flavor"], "_old_flavor": None})
    _move(server, ("REVERT_RESIZE", "resize_reverting"), {**state(server.get("_resize_from") or "ACTIVE"),
                                                          "_resize_from": None})
    return reply(None, 202)


def _rebuild(server: dict[str, Any], _key: str, argument: Any):
    if not isinstance(argument, dict):
        raise BadRequest("Invalid input for field/attribute rebuild.")
    _check_state(server, "rebuild", ("active", "stopped", "error"))
    image_id = _image(argument.get("imageRef"), False, server["flavor"])
    changes: dict[str, Any] = {"image_id": image_id}
    for key in ("name", "metadata", "description", "accessIPv4", "accessIPv6", "key_name"):
        if key in argument:
            changes[key] = argument[key]
    if "user_data" in argument:
        changes["user_data"] = argument["user_data"]
    store().change("server", server["id"], changes)
    final = "SHUTOFF" if server["OS-EXT-STS:vm_state"] == "stopped" else "ACTIVE"
    _move(server, ("REBUILD", "rebuilding"), state(final))
    shown = view(find(server["id"]))
    shown["adminPass"] = secrets.token_urlsafe(9)
    return reply({"server": shown}, 202)


def _lock(server: dict[str, Any], key: str, argument: Any):
    locking = key == "lock"
    reason = argument.get("locked_reason") if locking and isinstance(argument, dict) else None
    store().change("server", server["id"], {"locked": locking, "locked_reason": reason})
    return reply(None, 202)


#: the actions by their body key
HANDLERS = {**{key: _simple for key in SIMPLE}, "reboot": _reboot, "resize": _resize,
            "confirmResize": _confirm_resize, "revertResize": _revert_resize, "rebuild": _rebuild,
            "lock": _lock, "unlock": _lock}


@blueprint.route("/v2.1/servers/<server_id>/action", methods=["POST"])
def server_action(server_id: str):
    data = body_of()
    # one transaction: the state (and quota) checks and the change they allow, with nothing in between
    with store().transaction():
        server = find(server_id)
        known = [key for key in data if key in HANDLERS]
        if len(known) != 1:
            raise BadRequest("There is no such action: " + ", ".join(data))
        if server.get("OS-EXT-STS:task_state") == "deleting":
            raise Conflict(f"Cannot '{known[0]}' instance {server_id} while it is in task_state deleting")
        return HANDLERS[known[0]](server, known[0], data[known[0]])
