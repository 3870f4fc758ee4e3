"""Aodh (alarming API v2) in the sandbox: alarms created, listed, shown, replaced, deleted; state and history.

Served under ``/alarming``, with Aodh's bodies and its error shape
(``{"error_message": {"faultcode", "faultstring", "debuginfo"}}``).  A
caller sees its project's alarms (an admin every project's).  The
evaluator (``evaluator``) changes their states; PUT on ``/state`` sets one
by hand, as in Aodh.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ..service import BadRequest, NotFound, ServiceBlueprint, base_url, body_of, caller, reply, store
from .alarms import (ALARM, REASON_MANUAL, STATES, add_history, alarm_view, checked_alarm, history_entry,
                     new_alarm)
from .resources import telemetry_owner
from .times import aodh_time

blueprint = ServiceBlueprint("alarming", "/alarming", "aodh", __name__)

#: what a list may be filtered on (Aodh's ``q.field``), each with ``q.op=eq``
FILTER_FIELDS = ("all_projects", "user_id", "project_id", "type", "name", "enabled", "state", "severity",
                 "timestamp", "repeat_actions")


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": {"values": [{
        "id": "v2", "links": [{"href": f"{base_url()}/alarming/v2", "rel": "self"},
                              {"href": "https://docs.openstack.org/", "rel": "describedby", "type": "text/html"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.telemetry-v2+json"}],
        "status": "stable", "updated": "2013-02-13T00:00:00Z"}]}})


def _scope() -> str | None:
    return None if caller().is_admin else caller().project_id


def _own_alarm(alarm_id: str) -> dict[str, Any]:
    alarm = store().get(ALARM, alarm_id, _scope())
    if alarm is None:
        raise NotFound(f"Alarm {alarm_id} not found")
    return alarm


def _filters() -> dict[str, str]:
    fields, ops, values = (request.args.getlist(f"q.{part}") for part in ("field", "op", "value"))
    unknown = set(fields) - set(FILTER_FIELDS)
    if unknown:
        raise BadRequest(f"Invalid input for field/attribute field. Value: '{unknown}'. only fields "
                         f"{set(FILTER_FIELDS)} are allowed")
    if any(op != "eq" for op in ops):
        raise BadRequest(f"Invalid input for field/attribute op. Value: '{set(ops)}'. only operations {{'eq'}} "
                         "are allowed")
    if len(set(fields)) != len(fields) or len(values) != len(fields):
        raise BadRequest(f"Invalid input for field/attribute field. Value: '{set(fields)}'. duplicate query "
                         "fields are not allowed")
    return dict(zip(fields, values))


def _matches(alarm: dict[str, Any], wanted: dict[str, str]) -> bool:
    for field, value in wanted.items():
        if field == "all_projects":
            continue
        found = alarm.get(field)
        # booleans are compared as words, whatever their case (``enabled=True``, ``enabled=true``)
        shown, given = (str(found).lower(), value.lower()) if isinstance(found, bool) else (str(found), value)
        if shown != given:
            return False
    return True


@blueprint.route("/v2/alarms", methods=["GET"])
def list_alarms():
    wanted = _filters()
    everyone = caller().is_admin and wanted.get("all_projects", "").lower() in ("true", "1", "yes")
    project = None if everyone else caller().project_id
    alarms = [alarm for alarm in store().list(ALARM, project) if _matches(alarm, wanted)]
    alarms.sort(key=lambda alarm: alarm["timestamp"], reverse=True)
    return reply([alarm_view(alarm) for alarm in alarms])


@blueprint.route("/v2/alarms", methods=["POST"])
def create_alarm():
    data = body_of()
    objects = store()
    checked = checked_alarm(data, _scope(), telemetry_owner(objects).project_id)
    project = str(data.get("project_id") or caller().project_id) if caller().is_admin else caller().project_id
    user = str(data.get("user_id") or caller().user_id) if caller().is_admin else caller().user_id
    alarm = new_alarm(checked, objects.clock(), user, project)
    objects.add(ALARM, alarm, project)
    return reply(alarm_view(alarm), 201, {"Location": f"{base_url()}/alarming/v2/alarms/{alarm['alarm_id']}"})


@blueprint.route("/v2/alarms/<alarm_id>", methods=["GET"])
def show_alarm(alarm_id: str):
    return reply(alarm_view(_own_alarm(alarm_id)))


@blueprint.route("/v2/alarms/<alarm_id>", methods=["PUT"])
def replace_alarm(alarm_id: str):
    data = body_of()
    objects = store()
    with objects.transaction():
        old = _own_alarm(alarm_id)
        checked = checked_alarm(data, _scope(), telemetry_owner(objects).project_id)
        moment = objects.clock()
        changes: dict[str, Any] = {**checked, "timestamp": aodh_time(moment)}
        if caller().is_admin:
            changes.update({key: str(data[key]) for key in ("project_id", "user_id") if data.get(key)})
        if checked["state"] != old["state"]:
            changes.update(state_timestamp=aodh_time(moment), state_reason=REASON_MANUAL)
        old_rule = f"{old['type']}_rule"
        if old_rule != f"{checked['type']}_rule":
            changes[old_rule] = None  # the old type's rule goes with it
        before, after = alarm_view(old), alarm_view({**old, **changes})
        changed = {key: value for key, value in after.items()
                   if value != before.get(key) and key not in ("timestamp", "state_timestamp")}
        alarm = objects.change(ALARM, alarm_id, changes)
        if changed:
            add_history(objects, alarm_id, history_entry(alarm, "rule change", changed, moment, caller().user_id,
                                                         caller().project_id))
    return reply(alarm_view(objects.get(ALARM, alarm_id) or alarm))


@blueprint.route("/v2/alarms/<alarm_id>", methods=["DELETE"])
def delete_alarm(alarm_id: str):
    store().remove(ALARM, _own_alarm(alarm_id)["id"])
    return reply(None, 204)


@blueprint.route("/v2/alarms/<alarm_id>/state", methods=["GET"])
def show_state(alarm_id: str):
    return reply(_own_alarm(alarm_id)["state"])


@blueprint.route("/v2/alarms/<alarm_id>/state", methods=["PUT"])
def set_state(alarm_id: str):
    state = request.get_json(silent=True)
    objects = store()
    with objects.transaction():
        _own_alarm(alarm_id)
        if state not in STATES:
            raise BadRequest(f"Invalid input for field/attribute state. Value: '{state}'. Value should be one of: "
                             f"{', '.join(STATES)}")
        moment = objects.clock()
        alarm = objects.change(ALARM, alarm_id, {"state": state, "state_timestamp": aodh_time(moment),
                                                 "state_reason": REASON_MANUAL})
        add_history(objects, alarm_id, history_entry(alarm, "state transition", {
            "state": state, "state_reason": REASON_MANUAL}, moment, caller().user_id, caller().project_id))
    return reply(state)


@blueprint.route("/v2/alarms/<alarm_id>/history", methods=["GET"])
def show_history(alarm_id: str):
    entries = _own_alarm(alarm_id).get("_history", [])
    return reply([{key: value for key, value in entry.items() if key != "severity"} for entry in entries])

