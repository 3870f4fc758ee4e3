"""The sandbox's Zabbix emulator, driven with zabbix_utils over real HTTP as a client drives Zabbix 6.0.

The error codes and words checked here are the ones a real Zabbix 6.0.14
gives for the same calls (``tests/integration/zabbix`` runs the plugins on
one); the monitoring tests give sandbox servers a load and run the
emulator's passes at chosen moments.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any, Iterator

import pytest
from zabbix_utils import ZabbixAPI
from zabbix_utils.exceptions import APIRequestError

from orchestrator.sandbox.telemetry.load import set_load
from tests.plugins.zabbix_stacks import Listener

from .cloud import SandboxCloud, sandbox_cloud


@pytest.fixture
def cloud() -> Iterator[SandboxCloud]:
    """A fresh sandbox on a real socket (zabbix_utils speaks urllib, which no in-process adapter reaches)."""
    with sandbox_cloud(over_http=True) as running:
        yield running


@pytest.fixture
def api(cloud) -> Iterator[ZabbixAPI]:
    client = ZabbixAPI(url=f"{cloud.url}/zabbix", user="Admin", password="zabbix")
    yield client
    client.logout()


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.close()


def refused(call, *args: Any, **kwargs: Any) -> tuple[int, str]:
    """The code and data of the error Zabbix answers a call with."""
    with pytest.raises(APIRequestError) as raised:
        call(*args, **kwargs)
    return raised.value.code, raised.value.data


def raw(cloud, body: bytes | dict, content_type: str = "application/json-rpc") -> tuple[int, Any]:
    """A POST to the endpoint as it is: its HTTP status and JSON body."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"{cloud.url}/zabbix/api_jsonrpc.php", data=data, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def test_the_endpoint_answers_as_zabbix_6_0(cloud):
    call = {"jsonrpc": "2.0", "method": "apiinfo.version", "params": {}, "id": 7}
    assert raw(cloud, call) == (200, {"jsonrpc": "2.0", "result": "6.0.14", "id": 7})
    assert raw(cloud, call, "text/plain") == (412, None)
    assert raw(cloud, b"{not json")[1]["error"] == {
        "code": -32700, "message": "Parse error",
        "data": "Invalid JSON. An error occurred on the server while parsing the JSON text."}
    assert raw(cloud, {"jsonrpc": "2.0", "params": {}, "id": 1})[1]["error"]["data"] == (
        'Invalid parameter "/": the parameter "method" is missing.')
    assert raw(cloud, {**call, "auth": "x"})[1]["error"] == {
        "code": -32602, "message": "Invalid params.",
        "data": 'The "apiinfo.version" method must be called without the "auth" parameter.'}
    assert raw(cloud, {**call, "method": "host.get"})[1]["error"]["data"] == "Not authorized."
    assert raw(cloud, {**call, "method": "host.get", "auth": "0" * 32})[1]["error"]["data"] == (
        "Session terminated, re-login, please.")
    session = raw(cloud, {**call, "method": "user.login", "params": {"username": "Admin", "password": "zabbix"}})
    status, answer = raw(cloud, {**call, "method": "host.create", "params": [1, 2], "auth": session[1]["result"]})
    assert status == 200 and answer["error"]["code"] == -32602
    assert answer["error"]["data"].startswith('Invalid parameter "/": the parameters of host.create are not of')


def test_logins_sessions_and_api_tokens(cloud, api):
    url = f"{cloud.url}/zabbix"
    assert str(api.version) == "6.0.14" and api.check_auth()
    assert refused(ZabbixAPI, url=url, user="Admin", password="wrong") == (
        -32500, "Incorrect user name or password or account is temporarily blocked.")
    (token_id,) = api.token.create(name="ci", userid="1")["tokenids"]
    assert refused(api.token.create, name="ci", userid="1") == (
        -32602, 'API token "ci" already exists for userid "1".')
    (generated,) = api.token.generate([token_id])
    with_token = ZabbixAPI(url=url, token=generated["token"])
    assert with_token.hostgroup.get(output=["name"]) == []
    assert refused(ZabbixAPI(url=url, token="f" * 64).hostgroup.get) == (-32602, "Not authorized.")
    api.token.generate([token_id])
    assert refused(with_token.hostgroup.get) == (-32602, "Not authorized."), "a new secret replaces the old"
    assert api.token.delete([token_id]) == {"tokenids": [token_id]}
    assert refused(api.host.frob) == (-32601, 'Incorrect method "host.frob".')
    assert refused(api.nothing.get) == (-32601, 'Incorrect API "nothing".')


def test_host_groups_hosts_and_templates(api):
    (group,) = api.hostgroup.create(name="web")["groupids"]
    assert refused(api.hostgroup.create, name="web") == (-32602, 'Host group "web" already exists.')
    assert refused(api.hostgroup.create, name="") == (-32602, 'Invalid parameter "/1/name": cannot be empty.')
    assert refused(api.hostgroup.update, groupid="999999", name="x") == (
        -32500, "No permissions to referred object or it does not exist!")
    assert refused(api.host.create, host="lonely") == (-32602, 'Host "lonely" cannot be without host group.')
    (host,) = api.host.create(host="vm-1", name="Web 1", groups=[{"groupid": group}],
                              templates=[{"templateid": "10001"}], macros=[{"macro": "{$A}", "value": "1"}],
                              inventory_mode=0, inventory={"os": "Debian"},
                              interfaces=[{"type": 1, "main": 1, "useip": 1, "ip": "10.0.0.5", "dns": "",
                                           "port": "10050"}])["hostids"]
    assert refused(api.host.create, host="vm-1", groups=[{"groupid": group}]) == (
        -32602, 'Host with the same name "vm-1" already exists.')
    assert refused(api.host.create, host="vm-2", name="Web 1", groups=[{"groupid": group}]) == (
        -32602, 'Host with the same visible name "Web 1" already exists.')
    assert refused(api.host.create, host="vm-2", groups=[{"groupid": group}], templates=[{"templateid": "1"}]) == (
        -32500, "No permissions to referred object or it does not exist!")

    (shown,) = api.host.get(hostids=[host], output=["host"], selectInterfaces=["ip"], selectGroups=["name"],
                            selectParentTemplates=["host"], selectMacros=["value"], selectInventory=["os"])
    assert shown == {"hostid": host, "host": "vm-1", "interfaces": [{"ip": "10.0.0.5"}], "macros": [{"value": "1"}],
                     "groups": [{"name": "web", "groupid": group}], "inventory": {"os": "Debian"},
                     "parentTemplates": [{"templateid": "10001", "host": "Linux by Zabbix agent"}]}
    inherited = api.item.get(hostids=[host], output=["key_", "templateid"])
    assert {"itemid": inherited[0]["itemid"], "key_": "system.cpu.util", "templateid": "10001"} in inherited
    assert api.host.get(groupids=[group], countOutput=True) == "1"
    assert api.template.get(filter={"host": "Linux by Zabbix agent active"}, output=["host"]) == [
        {"templateid": "10343", "host": "Linux by Zabbix agent active"}]

    api.host.update(hostid=host, templates=[{"templateid": "10343"}], templates_clear=[{"templateid": "10001"}])
    assert api.host.get(hostids=[host], selectParentTemplates=["host"])[0]["parentTemplates"] == [
        {"templateid": "10343", "host": "Linux by Zabbix agent active"}]
    assert {item["templateid"] for item in api.item.get(hostids=[host])} == {"10343"}
    api.host.massremove(hostids=[host], templateids=["10343"])
    assert {item["templateid"] for item in api.item.get(hostids=[host])} == {"0"}, "plain unlinking keeps items"
    assert refused(api.hostgroup.delete, [group]) == (-32602, 'Host "vm-1" cannot be without host group.')
    assert api.host.delete([host]) == {"hostids": [host]}
    assert api.item.get(hostids=[host]) == []
    assert refused(api.host.delete, [host]) == (-32500, "No permissions to referred object or it does not exist!")
    api.hostgroup.delete([group])


def _host(api: ZabbixAPI, name: str, group: str, ip: str = "", **extra: Any) -> str:
    interfaces = [{"type": 1, "main": 1, "useip": 1, "ip": ip, "dns": "", "port": "10050"}] if ip else []
    return api.host.create(host=name, groups=[{"groupid": group}], interfaces=interfaces, **extra)["hostids"][0]


def test_items_triggers_scripts_and_actions(api):
    (group,) = api.hostgroup.create(name="web")["groupids"]
    host = _host(api, "vm-1", group)
    assert refused(api.item.create, hostid=host, name="cpu", key_="cpu", type=0, value_type=0) == (
        -32602, "No interface found.")
    (item,) = api.item.create(hostid=host, name="cpu", key_="cpu", type=2, value_type=0)["itemids"]
    assert refused(api.item.create, hostid=host, name="cpu", key_="cpu", type=2, value_type=0) == (
        -32602, 'Item with key "cpu" already exists on "vm-1".')
    assert refused(api.item.create, hostid=host, name="avg", key_="avg", type=15, value_type=0,
                   params="avg(last_foreach(/*/cpu?[group=\"web\"])") == (
        -32602, 'Invalid parameter "/1/params": incorrect expression starting from '
                '"avg(last_foreach(/*/cpu?[group="web"])".')
    assert refused(api.trigger.create, description="t", expression="last(/nohost/cpu)>80") == (
        -32602, 'Incorrect trigger expression. Host "nohost" does not exist or you have no access to this host.')
    assert refused(api.trigger.create, description="t", expression="last(/vm-1/nokey)>80") == (
        -32602, 'Incorrect item key "nokey" provided for trigger expression on "vm-1".')
    assert refused(api.trigger.create, description="t", expression="last(/vm-1/cpu>80") == (
        -32602, 'Invalid parameter "/1/expression": incorrect expression starting from "last(/vm-1/cpu>80".')
    (trigger,) = api.trigger.create(description="t", expression="last(/vm-1/cpu)>80", priority=4)["triggerids"]
    assert refused(api.trigger.create, description="t", expression="last(/vm-1/cpu)>80") == (
        -32602, 'Trigger "t" already exists on "vm-1".')
    assert api.trigger.get(triggerids=[trigger], output=["value", "priority"]) == [
        {"triggerid": trigger, "value": "0", "priority": "4"}]

    (script,) = api.script.create(name="hook", type=5, scope=1, command="return 1;",
                                  parameters=[{"name": "url", "value": "http://x"}])["scriptids"]
    assert refused(api.script.create, name="hook", type=5, scope=1, command="x") == (
        -32602, 'Script "hook" already exists.')
    operation = {"operationtype": 1, "opcommand": {"scriptid": script}, "opcommand_hst": [{"hostid": "0"}]}
    (action,) = api.action.create(name="act", eventsource=0, operations=[operation], filter={
        "evaltype": 0, "conditions": [{"conditiontype": 2, "operator": 0, "value": trigger}]})["actionids"]
    assert refused(api.action.create, name="act", eventsource=0, operations=[operation]) == (
        -32602, 'Action "act" already exists.')
    assert refused(api.action.create, name="other", eventsource=0, operations=[
        {**operation, "opcommand": {"scriptid": "99999"}}]) == (
        -32602, "Specified script does not exist or you do not have rights on it for action operation command.")
    assert refused(api.script.delete, [script]) == (
        -32602, 'Cannot delete scripts. Script "hook" is used in action operation "act".')
    (shown,) = api.action.get(actionids=[action], selectFilter="extend", selectOperations="extend")
    assert shown["filter"]["conditions"] == [{"conditiontype": "2", "operator": "0", "value": trigger, "value2": "",
                                              "formulaid": "A"}]
    assert shown["operations"][0]["opcommand"] == {"scriptid": script}
    api.host.update(hostid=host, host="vm-renamed")
    assert api.trigger.get(triggerids=[trigger], output=["expression"])[0]["expression"] == (
        "last(/vm-renamed/cpu)>80"), "a trigger follows its host's new name"

    api.host.delete([host])
    assert api.trigger.get(triggerids=[trigger]) == [], "a host's triggers go with it"
    (shown,) = api.action.get(actionids=[action], selectFilter="extend")
    assert (shown["status"], shown["filter"]["conditions"]) == ("1", []), "an action losing its trigger is disabled"
    api.action.delete([action])
    api.script.delete([script])
    api.hostgroup.delete([group])


def _server(cloud) -> tuple[str, str]:
    """A sandbox server on a network: its id and address."""
    connection = cloud.connect("demo")
    network = connection.network.create_network(name="private")
    connection.network.create_subnet(network_id=network.id, cidr="10.9.0.0/24", ip_version=4)
    image = connection.image.find_image("cirros", ignore_missing=False)
    server = connection.compute.create_server(name="web-1", image_id=image.id, flavor_id="1",
                                              networks=[{"uuid": network.id}])
    (port,) = connection.network.ports(device_id=server.id)
    return server.id, port.fixed_ips[0]["ip_address"]


def _webhook_action(api: ZabbixAPI, trigger: str, alarm: str, ok: str, repeat: bool = True) -> str:
    scripts = [api.script.create(name=f"{name} hook", type=5, scope=1, command="(the plugin's webhook)", parameters=[
        {"name": "url", "value": url}, {"name": "state", "value": "{TRIGGER.STATUS}"},
        {"name": "value", "value": "{ITEM.LASTVALUE}"}, {"name": "host", "value": "{HOST.HOST}"}])["scriptids"][0]
        for name, url in (("alarm", alarm), ("ok", ok))]
    return api.action.create(
        name="scale", eventsource=0, esc_period="60s",
        filter={"evaltype": 0, "conditions": [{"conditiontype": 2, "operator": 0, "value": trigger}]},
        operations=[{"operationtype": 1, "opcommand": {"scriptid": scripts[0]}, "opcommand_hst": [{"hostid": "0"}],
                     "esc_step_from": 1, "esc_step_to": 0 if repeat else 1}],
        recovery_operations=[{"operationtype": 1, "opcommand": {"scriptid": scripts[1]},
                              "opcommand_hst": [{"hostid": "0"}]}])["actionids"][0]


def test_a_server_s_load_fires_a_trigger_and_its_action_s_webhooks(cloud, api, listener):
    server_id, address = _server(cloud)
    (group,) = api.hostgroup.create(name="web")["groupids"]
    host = _host(api, "vm-1", group, ip=address, templates=[{"templateid": "10001"}])
    (trigger,) = api.trigger.create(description="busy", expression="avg(/vm-1/system.cpu.util,2m)>80",
                                    recovery_mode=1,
                                    recovery_expression="last(/vm-1/system.cpu.util)<20")["triggerids"]
    action = _webhook_action(api, trigger, f"{listener.url}/out", f"{listener.url}/in")
    evaluator, start = cloud.app.extensions["zabbix"], time.time()

    evaluator.evaluate(start)
    assert api.item.get(hostids=[host], filter={"key_": "system.cpu.util"}, output=["lastvalue"])[0][
        "lastvalue"] == "5", "an idle server's load, read through its address"
    set_load(cloud.store, server_id, 95.0, start + 10)
    evaluator.evaluate(start + 30)
    assert listener.received == [], "the average of two minutes is still (5 + 95) / 2"
    sent = evaluator.evaluate(start + 60 * 2 + 10)
    assert listener.received == [("/out", {"state": "PROBLEM", "value": "95", "host": "vm-1"})]
    assert [(alert["actionid"], alert["status"], alert["message"]) for alert in sent] == [
        (action, "1", "vm-1:alarm hook")]
    assert api.trigger.get(triggerids=[trigger], output=["value"])[0]["value"] == "1"

    evaluator.evaluate(start + 60 * 2 + 40)
    assert len(listener.received) == 1, "not again before esc_period"
    evaluator.evaluate(start + 60 * 3 + 20)
    assert listener.paths() == ["/out", "/out"], "again each esc_period while the problem lasts"

    set_load(cloud.store, server_id, 50.0, start + 60 * 4)
    evaluator.evaluate(start + 60 * 8)
    assert api.trigger.get(triggerids=[trigger], output=["value"])[0]["value"] == "1", (
        "below the expression's threshold, the problem lasts until the recovery expression holds")
    set_load(cloud.store, server_id, 10.0, start + 60 * 9)
    evaluator.evaluate(start + 60 * 9 + 10)
    assert listener.paths() == ["/out", "/out", "/out", "/in"]
    assert listener.received[-1] == ("/in", {"state": "OK", "value": "10", "host": "vm-1"})
    assert api.alert.get(actionids=[action], countOutput=True) == "4"


def test_a_group_aggregate_and_a_webhook_that_fails(cloud, api, listener):
    server_id, address = _server(cloud)
    (group,) = api.hostgroup.create(name="web")["groupids"]
    _host(api, "vm-1", group, ip=address, templates=[{"templateid": "10001"}])
    _host(api, "vm-2", group, ip="10.99.0.1", templates=[{"templateid": "10001"}])
    aggregate = _host(api, "web-load", group)
    api.item.create(hostid=aggregate, name="load", key_="group.load", type=15, value_type=0, delay="30s",
                    params='avg(last_foreach(/*/system.cpu.util?[group="web"]))')
    (trigger,) = api.trigger.create(description="busy", expression="last(/web-load/group.load)>50")["triggerids"]
    _webhook_action(api, trigger, f"{listener.url}/refuse", "http://127.0.0.1:9/closed", repeat=False)
    evaluator, start = cloud.app.extensions["zabbix"], time.time()
    set_load(cloud.store, server_id, 90.0, start)

    listener.status = 500
    (alert,) = evaluator.evaluate(start + 1)
    assert api.item.get(hostids=[aggregate], output=["lastvalue"])[0]["lastvalue"] == "90", (
        "only hosts whose item has values count: vm-2 is no sandbox server")
    assert (alert["status"], alert["error"]) == ("2", "the webhook answered HTTP 500")
    set_load(cloud.store, server_id, 10.0, start + 2)
    (alert,) = evaluator.evaluate(start + 3)
    assert alert["status"] == "2" and "Connection refused" in alert["error"]


def test_the_evaluator_runs_on_its_thread_until_stopped(cloud, api, listener):
    server_id, address = _server(cloud)
    (group,) = api.hostgroup.create(name="web")["groupids"]
    _host(api, "vm-1", group, ip=address, templates=[{"templateid": "10001"}])
    (trigger,) = api.trigger.create(description="busy", expression="last(/vm-1/system.cpu.util)>80")["triggerids"]
    _webhook_action(api, trigger, f"{listener.url}/out", f"{listener.url}/in")
    set_load(cloud.store, server_id, 99.0, time.time())
    evaluator = cloud.app.extensions["zabbix"]
    evaluator.interval = 0.05
    evaluator.start()
    try:
        deadline = time.monotonic() + 10
        while listener.paths() != ["/out"]:
            assert time.monotonic() < deadline, "the thread did not fire the trigger"
            time.sleep(0.02)
    finally:
        evaluator.stop()
    assert not evaluator.running
