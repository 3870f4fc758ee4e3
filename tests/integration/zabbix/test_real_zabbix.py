"""The OS::Zabbix:: plugins against a real Zabbix server (``-m zabbix``; see conftest.py).

The same stacks as the emulator's suite: every type made, changed in place
and deleted; a trigger fed through Zabbix's trapper that fires the action's
webhooks into a local listener, for PROBLEM and for OK; and the failures a
person must be able to act on.
"""

from __future__ import annotations

import time
from typing import Any

from zabbix_utils import Sender

from orchestrator.engine.plugin_configuration import PluginConfiguration
from tests.integration.zabbix.conftest import SENDER_PORT, RealZabbix
from tests.plugins.zabbix_stacks import EVERY_TYPE, Listener, failures, names

#: how long Zabbix may take to act: its configuration cache, history syncer and escalator each take seconds
PATIENCE = 60

FED_TRIGGER = """
heat_template_version: 2018-08-31
parameters:
  prefix: {type: string}
  alarm_url: {type: string}
  ok_url: {type: string}
resources:
  group:
    type: OS::Zabbix::HostGroup
    properties: {name: {list_join: ["", [{get_param: prefix}, group]]}}
  host:
    type: OS::Zabbix::Host
    properties:
      host: {list_join: ["", [{get_param: prefix}, app]]}
      groups: [{get_resource: group}]
  load:
    type: OS::Zabbix::Item
    properties: {host: {get_resource: host}, key: app.load, type: trapper}
  high_load:
    type: OS::Zabbix::Trigger
    depends_on: load
    properties:
      name: {list_join: ["", [{get_param: prefix}, load high]]}
      expression: {list_join: ["", ["last(/", {get_param: prefix}, "app/app.load)>80"]]}
  scale:
    type: OS::Zabbix::Action
    properties:
      trigger: {get_resource: high_load}
      alarm_actions: [{get_param: alarm_url}]
      ok_actions: [{get_param: ok_url}]
      repeat_actions: false
"""


def prefixed(template: str, prefix: str) -> str:
    """``EVERY_TYPE`` with this run's names, on an address Zabbix's pollers give up on at once."""
    for name in ("web-1", "web-aggregate", "web-servers", "front-end"):
        template = template.replace(name, prefix + name)
    return template.replace("10.0.0.5", "127.0.0.1")


def wait_until(condition, what: str, patience: float = PATIENCE) -> bool:
    """Poll ``condition``; fail naming ``what`` after ``patience`` seconds (or say so, with ``what`` empty)."""
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() >= deadline:
            assert not what, f"Zabbix did not {what} within {patience} s"
            return False
        time.sleep(0.5)
    return True


def send(host: str, key: str, value: float) -> None:
    """Give a trapper item a value; Zabbix refuses values for an item it has not cached yet: retry."""
    sender = Sender(server="127.0.0.1", port=SENDER_PORT)
    wait_until(lambda: sender.send_value(host, key, value).processed == 1, f"take {value} for {host} {key}")


def problem_reported(api, trigger_id: str, host: str, listener: Listener) -> None:
    """Raise the load until the PROBLEM webhook comes.

    Zabbix reads its configuration into a cache every few seconds, so a
    value may reach it while it knows the item but not yet the trigger (no
    event) or the action (an event that runs nothing): then the trigger is
    brought back to OK and the value sent again, as a real agent would keep
    reporting.
    """
    deadline = time.monotonic() + PATIENCE
    while True:
        send(host, "app.load", 95)
        if wait_until(lambda: listener.paths() == ["/scale-out"], "", 15):
            return
        assert time.monotonic() < deadline, f"Zabbix did not call the PROBLEM webhook within {PATIENCE} s"
        send(host, "app.load", 10)
        wait_until(lambda: api.trigger.get(triggerids=[trigger_id], output=["value"])[0]["value"] == "0",
                   "bring the trigger back to OK")
        assert listener.received == [], "no webhook for a problem the action did not see"


def test_every_type_is_made_changed_in_place_and_deleted(harness, real_zabbix: RealZabbix):
    api, prefix = real_zabbix.api, real_zabbix.prefix
    template = prefixed(EVERY_TYPE, prefix)
    urls = {"alarm_url": "http://127.0.0.1:9/out", "ok_url": "http://127.0.0.1:9/in"}
    stack_id = harness.create(template, name=f"{prefix}every", parameters=urls)
    assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)
    outputs = harness.outputs(stack_id)
    (host,) = api.host.get(hostids=[outputs["host_id"]], selectInterfaces=["ip"], selectGroups=["name"],
                           selectParentTemplates=["host"], selectMacros=["macro", "value"])
    assert (host["host"], host["name"], host["interfaces"]) == (f"{prefix}web-1", "Web server 1", [{"ip": "127.0.0.1"}])
    assert names(host["groups"]) == [f"{prefix}web-servers"]
    assert names(host["parentTemplates"]) == ["Linux by Zabbix agent"]
    assert host["macros"] == [{"macro": "{$CPU.HIGH}", "value": "80"}]
    (trigger,) = api.trigger.get(triggerids=[outputs["trigger_id"]], expandExpression=True)
    assert trigger["expression"] == f"min(/{prefix}web-aggregate/group.cpu.avg,5m)>80"
    assert outputs["trigger_state"] == "OK"
    (action,) = api.action.get(actionids=[outputs["action_id"]], selectOperations="extend",
                               selectRecoveryOperations="extend")
    assert len(action["operations"]) == len(action["recovery_operations"]) == 1

    before = {name: row.physical_id for name, row in harness.resources(stack_id).items()}
    changed = {**urls, "group_name": f"{prefix}front-end", "visible_name": "Front 1", "macros": {"CPU.HIGH": 90},
               "linked": "Linux by Zabbix agent active", "threshold": "90",
               "requests_expression": f"last(/{prefix}web-1/app.requests)<5"}
    assert harness.update(stack_id, template, parameters=changed), failures(harness, stack_id)
    assert {name: row.physical_id for name, row in harness.resources(stack_id).items()} == before
    (host,) = api.host.get(hostids=[outputs["host_id"]], selectGroups=["name"], selectParentTemplates=["host"])
    assert (host["name"], names(host["groups"])) == ("Front 1", [f"{prefix}front-end"])
    assert names(host["parentTemplates"]) == ["Linux by Zabbix agent active"]
    assert api.item.get(itemids=[outputs["item_id"]], output=["params"])[0]["params"].endswith(
        f'[group="{prefix}front-end"]))')
    assert api.trigger.get(triggerids=[outputs["trigger_id"]], expandExpression=True)[0]["expression"].endswith(
        ">90")

    assert harness.delete(stack_id), failures(harness, stack_id)
    assert api.host.get(search={"host": prefix}, startSearch=True) == []
    assert api.hostgroup.get(search={"name": prefix}, startSearch=True) == []
    assert api.action.get(actionids=[outputs["action_id"]]) == []
    assert api.script.get(search={"name": prefix}, startSearch=True) == []


def test_a_trigger_fires_the_action_s_webhooks(harness, real_zabbix: RealZabbix):
    prefix, listener = real_zabbix.prefix, Listener()
    try:
        stack_id = harness.create(FED_TRIGGER, name=f"{prefix}fed", parameters={
            "prefix": prefix, "alarm_url": f"{listener.url}/scale-out", "ok_url": f"{listener.url}/scale-in"})
        assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)

        problem_reported(real_zabbix.api, harness.resources(stack_id)["high_load"].physical_id, f"{prefix}app",
                         listener)
        body: dict[str, Any] = listener.received[0][1]
        assert (body["current"], body["previous"], body["source"]) == ("alarm", "ok", "zabbix")
        assert (body["alarm_name"], body["host"]) == (f"{prefix}load high", f"{prefix}app")
        assert body["reason"] == f"Zabbix trigger {prefix}load high is PROBLEM (95)"

        send(f"{prefix}app", "app.load", 10)
        wait_until(lambda: listener.paths() == ["/scale-out", "/scale-in"], "call the OK webhook")
        assert listener.received[1][1]["current"] == "ok"
        assert harness.delete(stack_id), failures(harness, stack_id)
    finally:
        listener.close()


def test_failures_name_what_went_wrong(harness, real_zabbix: RealZabbix):
    api, prefix = real_zabbix.api, real_zabbix.prefix
    group = f"heat_template_version: 2018-08-31\nresources:\n  group: {{type: OS::Zabbix::HostGroup, " \
            f"properties: {{name: {prefix}taken}}}}\n"
    (taken,) = api.hostgroup.create(name=f"{prefix}taken")["groupids"]
    try:
        for settings, expected in [
            ({}, f'Zabbix refused hostgroup.create: Host group "{prefix}taken" already exists.'),
            ({"url": "http://127.0.0.1:9/zabbix"}, "Zabbix at http://127.0.0.1:9/zabbix cannot be reached"),
            ({"user": "", "password": "", "api_token": "f" * 64},
             f"Zabbix at {real_zabbix.url} refused the API token: Not authorized."),
        ]:
            harness.context.extra_services["configuration"] = PluginConfiguration(
                {"zabbix": real_zabbix.settings(**settings)})
            stack_id = harness.create(group, name=f"{prefix}failing")
            assert harness.state(stack_id) == "CREATE_FAILED"
            assert expected in harness.resources(stack_id)["group"].status_reason
            assert "f" * 64 not in " ".join(reason for _, _, reason in harness.events(stack_id))
            harness.context.extra_services["configuration"] = PluginConfiguration(
                {"zabbix": real_zabbix.settings()})
            assert harness.delete(stack_id)
    finally:
        api.hostgroup.delete([taken])
