"""OS::Zabbix::* through the engine, on the sandbox's Zabbix emulator (served over HTTP, reached by zabbix_utils).

Stacks with every type are created, changed in place and deleted, leaving no
Zabbix object behind; a server's load drives a group trigger whose action
calls its webhooks; and each way of failing (Zabbix down, a bad token or
password, a name clash, no configuration) is a clear resource failure that
never shows a secret.
"""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

import pytest
from zabbix_utils import ZabbixAPI

from orchestrator.engine.plugin_configuration import PluginConfiguration
from orchestrator.sandbox.telemetry.load import set_load
from tests.plugins.zabbix_stacks import EVERY_TYPE, Listener, failures, names

#: what a fresh emulator holds of each kind besides what stacks make (its stock templates, its admin)
ZABBIX_KINDS = ("hostgroup", "host", "item", "trigger", "script", "action")
TOKEN = "0123456789abcdef" * 4

#: a server registered with Zabbix, watched with its group: the loop that drives scaling, without the group
MONITORED_SERVER = """
heat_template_version: 2018-08-31
parameters:
  alarm_url: {type: string}
  ok_url: {type: string}
resources:
  net:
    type: OS::Neutron::Net
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.7.0.0/24}
  server:
    type: OS::Nova::Server
    depends_on: subnet
    properties: {image: cirros, flavor: m1.tiny, networks: [{network: {get_resource: net}}]}
  group:
    type: OS::Zabbix::HostGroup
  host:
    type: OS::Zabbix::Host
    properties:
      interfaces: [{ip: {get_attr: [server, first_address]}}]
      groups: [{get_resource: group}]
      templates: [Linux by Zabbix agent]
  aggregate:
    type: OS::Zabbix::Host
    properties: {host: group-load, groups: [{get_resource: group}]}
  group_cpu:
    type: OS::Zabbix::Item
    properties:
      host: {get_resource: aggregate}
      key: group.cpu.avg
      type: calculated
      formula:
        str_replace:
          template: avg(last_foreach(/*/system.cpu.util?[group="GROUP"]))
          params: {GROUP: {get_attr: [group, name]}}
  scale_out:
    type: OS::Zabbix::Action
    depends_on: [group_cpu, host]
    properties:
      name: group load high
      expression: min(/group-load/group.cpu.avg,5m)>80
      alarm_actions: [{get_param: alarm_url}]
      ok_actions: [{get_param: ok_url}]
outputs:
  server_id: {value: {get_resource: server}}
"""


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.close()


def zabbix_url(cloud) -> str:
    return f"{cloud.url}/zabbix"


def configure(harness, **zabbix: Any) -> None:
    """Give the harness's engine the ``configuration`` service with these ``[zabbix]`` settings."""
    harness.context.extra_services["configuration"] = PluginConfiguration({"zabbix": zabbix})


@pytest.fixture
def zabbix(harness, cloud) -> Iterator[ZabbixAPI]:
    """The emulator, configured for the engine (user and password), and an API client to look at it with."""
    configure(harness, url=zabbix_url(cloud), user="Admin", password="zabbix")
    api = ZabbixAPI(url=zabbix_url(cloud), user="Admin", password="zabbix")
    yield api
    api.logout()


@pytest.fixture(autouse=True)
def no_zabbix_leftovers(cloud) -> Iterator[None]:
    """Every Zabbix object a stack made is gone once the harness has deleted the test's stacks."""
    before = {name: len(cloud.store.list(f"zabbix_{name}")) for name in ZABBIX_KINDS}
    yield
    after = {name: len(cloud.store.list(f"zabbix_{name}")) for name in ZABBIX_KINDS}
    assert after == before, f"Zabbix objects left behind: {after} (before: {before})"


def physical_ids(harness, stack_id: str) -> dict[str, str]:
    return {name: row.physical_id for name, row in harness.resources(stack_id).items()}


def test_every_type_is_made_changed_in_place_and_deleted(harness, cloud, zabbix, listener):
    urls = {"alarm_url": f"{listener.url}/out", "ok_url": f"{listener.url}/in"}
    stack_id = harness.create(EVERY_TYPE, parameters=urls)
    assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)
    outputs = harness.outputs(stack_id)

    (host,) = zabbix.host.get(hostids=[outputs["host_id"]], selectInterfaces=["ip", "port"],
                              selectGroups=["name"], selectParentTemplates=["host"], selectMacros=["macro", "value"],
                              selectInventory=["os"])
    assert (host["host"], host["name"], outputs["visible_name"]) == ("web-1", "Web server 1", "Web server 1")
    assert host["interfaces"] == [{"ip": "10.0.0.5", "port": "10050"}]
    assert names(host["groups"]) == ["web-servers"] and host["inventory"] == {"os": "Debian 12"}
    assert host["macros"] == [{"macro": "{$CPU.HIGH}", "value": "80"}]
    assert names(host["parentTemplates"]) == ["Linux by Zabbix agent"] and outputs["templates"] == ["10001"]
    assert {item["key_"] for item in zabbix.item.get(hostids=[host["hostid"]])} >= {"system.cpu.util", "app.requests"}
    (item,) = zabbix.item.get(itemids=[outputs["item_id"]])
    assert (item["type"], item["params"]) == ("15", 'avg(last_foreach(/*/system.cpu.util?[group="web-servers"]))')
    (trigger,) = zabbix.trigger.get(triggerids=[outputs["trigger_id"]], expandExpression=True)
    assert (trigger["description"], trigger["priority"]) == ("Web servers are busy", "4")
    assert trigger["expression"] == "min(/web-aggregate/group.cpu.avg,5m)>80" and outputs["trigger_state"] == "OK"
    (action,) = zabbix.action.get(actionids=[outputs["action_id"]], selectFilter="extend",
                                  selectOperations="extend", selectRecoveryOperations="extend")
    assert action["filter"]["conditions"][0]["value"] == outputs["trigger_id"]
    scripts = {script["scriptid"]: script for script in zabbix.script.get()}
    (alarm,) = [scripts[op["opcommand"]["scriptid"]] for op in action["operations"]]
    (recovery,) = [scripts[op["opcommand"]["scriptid"]] for op in action["recovery_operations"]]
    assert {"name": "url", "value": urls["alarm_url"]} in alarm["parameters"]
    assert {"name": "url", "value": urls["ok_url"]} in recovery["parameters"]
    assert action["operations"][0]["esc_step_to"] == "0", "repeat_actions is on by default"
    (idle,) = zabbix.trigger.get(triggerids=[outputs["idle_trigger"]])
    assert idle["expression"] == "last(/web-1/app.requests)<1"

    before = physical_ids(harness, stack_id)
    changed = {**urls, "group_name": "front-end", "visible_name": "Front 1", "macros": {"CPU.HIGH": 90},
               "linked": "Linux by Zabbix agent active", "threshold": "90", "ok_url": f"{listener.url}/back",
               "requests_expression": "last(/web-1/app.requests)<5"}
    assert harness.update(stack_id, EVERY_TYPE, parameters=changed), failures(harness, stack_id)
    assert physical_ids(harness, stack_id) == before, "every change is made in place"
    (host,) = zabbix.host.get(hostids=[outputs["host_id"]], selectGroups=["name"], selectParentTemplates=["host"],
                              selectMacros=["macro", "value"])
    assert (host["name"], names(host["groups"])) == ("Front 1", ["front-end"])
    assert host["macros"] == [{"macro": "{$CPU.HIGH}", "value": "90"}]
    assert names(host["parentTemplates"]) == ["Linux by Zabbix agent active"]
    assert zabbix.item.get(itemids=[outputs["item_id"]])[0]["params"].endswith('[group="front-end"]))')
    assert zabbix.trigger.get(triggerids=[outputs["trigger_id"]])[0]["expression"].endswith(">90")
    (action,) = zabbix.action.get(actionids=[outputs["action_id"]], selectRecoveryOperations="extend")
    (recovery_id,) = [op["opcommand"]["scriptid"] for op in action["recovery_operations"]]
    assert recovery_id == recovery["scriptid"], "the webhook script is pointed at the new URL, not replaced"
    assert {"name": "url", "value": f"{listener.url}/back"} in zabbix.script.get(scriptids=[recovery_id])[0][
        "parameters"]
    assert zabbix.trigger.get(triggerids=[outputs["idle_trigger"]])[0]["expression"].endswith("<5")

    assert harness.delete(stack_id), failures(harness, stack_id)
    assert zabbix.host.get(filter={"host": ["web-1", "web-aggregate"]}) == []


def test_a_server_under_load_fires_its_group_trigger_and_the_action_calls_its_webhooks(harness, cloud, zabbix,
                                                                                        listener):
    stack_id = harness.create(MONITORED_SERVER, parameters={"alarm_url": f"{listener.url}/scale-out",
                                                            "ok_url": f"{listener.url}/scale-in"})
    assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)
    server_id = harness.outputs(stack_id)["server_id"]
    evaluator = cloud.app.extensions["zabbix"]
    start = time.time()
    evaluator.evaluate(start)
    set_load(cloud.store, server_id, 95.0, start + 30)
    for minute in range(1, 5):
        evaluator.evaluate(start + 60 * minute)
    assert listener.received == [], "min(…,5m) holds once every value of the last five minutes is over 80"
    sent = evaluator.evaluate(start + 60 * 5)
    assert listener.paths() == ["/scale-out"] and [alert["status"] for alert in sent] == ["1"]
    body = listener.received[0][1]
    assert (body["current"], body["previous"], body["alarm_name"], body["source"]) == (
        "alarm", "ok", "group load high", "zabbix")
    assert body["reason"] == "Zabbix trigger group load high is PROBLEM (95)"

    evaluator.evaluate(start + 60 * 6)
    assert listener.paths() == ["/scale-out"] * 2, "repeated every repeat_period (60 s) while the load lasts"

    set_load(cloud.store, server_id, 10.0, start + 60 * 6 + 30)
    evaluator.evaluate(start + 60 * 7)
    assert listener.paths() == ["/scale-out"] * 2 + ["/scale-in"]
    assert listener.received[-1][1]["current"] == "ok"


def test_settings_come_from_the_environment_parameter_defaults_over_the_configuration(harness, cloud, zabbix):
    configure(harness, url="http://127.0.0.1:9/nowhere", user="Admin", password="wrong")
    defaults = {"zabbix_url": zabbix_url(cloud), "zabbix_password": "zabbix"}
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        resources:
          group: {type: OS::Zabbix::HostGroup, properties: {name: from-environment}}
        """, environment={"parameter_defaults": defaults})
    assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)
    assert [group["name"] for group in zabbix.hostgroup.get(filter={"name": "from-environment"})] == [
        "from-environment"]

    # environment files (openstack stack create -e) keep only the parameter_defaults a template declares, as Heat
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        parameters:
          zabbix_url: {type: string, default: ""}
          zabbix_password: {type: string, default: "", hidden: true}
        resources:
          group: {type: OS::Zabbix::HostGroup, properties: {name: from-a-file}}
        """, name="from-file", environment_files=["zabbix.yaml"],
        files={"zabbix.yaml": json.dumps({"parameter_defaults": defaults})})
    assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)
    assert zabbix.hostgroup.get(filter={"name": "from-a-file"}, output=["name"])[0]["name"] == "from-a-file"


def test_a_stack_that_logs_in_with_a_password_does_not_inherit_the_configuration_s_token(harness, cloud, zabbix):
    configure(harness, url=zabbix_url(cloud), api_token=TOKEN)
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        resources:
          group: {type: OS::Zabbix::HostGroup, properties: {name: own-login}}
        """, name="own-login", environment={"parameter_defaults": {"zabbix_user": "Admin",
                                                                   "zabbix_password": "zabbix"}})
    assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)


def test_an_api_token_logs_in_and_never_shows(harness, cloud, zabbix):
    zabbix.token.create(name="orchestrator", userid="1")
    (token,) = zabbix.token.get(filter={"name": "orchestrator"})
    secret = zabbix.token.generate([token["tokenid"]])[0]["token"]
    configure(harness, url=zabbix_url(cloud), api_token=secret)
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        resources:
          group: {type: OS::Zabbix::HostGroup}
        outputs:
          group: {value: {get_attr: [group, show]}}
        """)
    assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)
    shown = json.dumps([harness.events(stack_id), harness.outputs(stack_id),
                        [row.data for row in harness.resources(stack_id).values()]])
    assert secret not in shown and harness.outputs(stack_id)["group"]["name"]
    assert harness.delete(stack_id)
    zabbix.token.delete([token["tokenid"]])


GROUP = """
heat_template_version: 2018-08-31
resources:
  group: {type: OS::Zabbix::HostGroup, properties: {name: web}}
"""


def failure_of(harness, stack_id: str) -> str:
    """The resource's failure reason, having checked that the stack failed with it and no secret shows."""
    assert harness.state(stack_id) == "CREATE_FAILED"
    reason = harness.resources(stack_id)["group"].status_reason
    reasons = [reason for _, _, reason in harness.events(stack_id)] + [harness.stack(stack_id).status_reason]
    everything = "\n".join(reasons)
    assert TOKEN not in everything and "s3cret" not in everything
    assert reason in everything, "the reason is in the events too"
    return reason


@pytest.mark.parametrize("settings, expected", [
    ({"url": "http://127.0.0.1:9/zabbix", "api_token": TOKEN},
     "Zabbix at http://127.0.0.1:9/zabbix cannot be reached: Unable to connect to "
     "http://127.0.0.1:9/zabbix/api_jsonrpc.php: <urlopen error [Errno 111] Connection refused>"),
    ({"url": "http://admin:s3cret@127.0.0.1:9/zabbix", "user": "Admin", "password": "s3cret"},
     "Zabbix at http://127.0.0.1:9/zabbix cannot be reached: Unable to connect to http://127.0.0.1:9/zabbix/"),
    ({"api_token": TOKEN}, "Zabbix at {url} refused the API token: Not authorized."),
    ({"user": "Admin", "password": "s3cret"},
     "Zabbix at {url} refused the password of user Admin: Incorrect user name or password"),
    ({"user": "Admin"}, "No credentials for Zabbix at {url}: set api_token, or user and password"),
    ({}, "No Zabbix server is configured: set url in the [zabbix] section of the service's configuration, or "
         "zabbix_url in the stack environment's parameter_defaults"),
])
def test_connection_problems_fail_the_resource_clearly(harness, cloud, settings, expected):
    url = zabbix_url(cloud)
    configure(harness, **({"url": url} if settings and "url" not in settings else {}), **settings)
    stack_id = harness.create(GROUP)
    assert expected.format(url=url) in failure_of(harness, stack_id)


def test_a_name_clash_fails_the_resource_with_zabbix_s_words(harness, cloud, zabbix):
    (taken,) = zabbix.hostgroup.create(name="web")["groupids"]
    try:
        stack_id = harness.create(GROUP)
        assert failure_of(harness, stack_id).endswith(
            'Zabbix refused hostgroup.create: Host group "web" already exists.')
        assert harness.delete(stack_id)
    finally:
        zabbix.hostgroup.delete([taken])


def test_bad_property_values_are_refused_before_anything_is_made(harness, zabbix):
    from orchestrator.template.errors import TemplateError

    with pytest.raises(TemplateError) as refused:
        harness.create("""
            heat_template_version: 2018-08-31
            resources:
              item: {type: OS::Zabbix::Item, properties: {host: "1", key: k, type: calculated}}
              action: {type: OS::Zabbix::Action, properties: {trigger: "1", expression: last(/a/b)>1}}
              host: {type: OS::Zabbix::Host, properties: {groups: [g], interfaces: [{type: agent}]}}
            """)
    message = str(refused.value)
    assert "resources.item.properties.formula: Property error: A calculated item needs a formula" in message
    assert ("resources.action.properties: Property error: Exactly one of trigger and expression is needed, "
            "not trigger and expression") in message
    assert "resources.action.properties.alarm_actions: Property error: An action needs alarm_actions" in message
    assert ("resources.host.properties.interfaces[0]: Property error: An interface needs an ip or a dns name"
            in message)
