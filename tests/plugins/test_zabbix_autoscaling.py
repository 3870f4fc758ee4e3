"""templates/zabbix_autoscaling.yaml on the sandbox: Zabbix watches the group's servers and calls its policies.

Everything up to the webhooks firing runs as in production: the members
register as Zabbix hosts, their load reaches the emulator's items, the
group trigger fires and the action POSTs to the scale-out policy's signed
``alarm_url`` (here answered by a listener standing in for the API); the
test then delivers that signal to the engine, as the API would, and the new
member shows up in Zabbix.  The API in between is the end-to-end test's.
"""

from __future__ import annotations

import time
from pathlib import Path

from zabbix_utils import ZabbixAPI

from orchestrator.engine.plugin_configuration import PluginConfiguration
from orchestrator.engine.signing import SignalSigner, SignalUrls
from orchestrator.sandbox.telemetry.load import set_load
from tests.engine.autoscaling import scale
from tests.plugins.zabbix_stacks import Listener, failures

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PARAMETERS = {"flavor": "m1.tiny", "period": "2m", "min_size": 1, "max_size": 3}


def members(harness, stack_id: str) -> list:
    """The group's member stacks' rows, oldest first."""
    rows = harness.resources(harness.children(stack_id)["web_group"].id)
    return [row for row in sorted(rows.values(), key=lambda row: row.id) if row.action != "DELETE"]


def servers(harness, stack_id: str) -> list[str]:
    """The group's servers, oldest member first."""
    return [harness.resources(row.physical_id)["server"].physical_id for row in members(harness, stack_id)]


def test_zabbix_drives_the_group_through_its_policies(harness, cloud):
    listener = Listener()
    signer = SignalSigner("zabbix-test-key", listener.url)
    harness.context.extra_services.update(
        signals=SignalUrls(signer),
        configuration=PluginConfiguration({"zabbix": {"url": f"{cloud.url}/zabbix", "user": "Admin",
                                                      "password": "zabbix"}}))
    api = ZabbixAPI(url=f"{cloud.url}/zabbix", user="Admin", password="zabbix")
    evaluator = cloud.app.extensions["zabbix"]
    try:
        stack_id = harness.create((TEMPLATES / "zabbix_autoscaling.yaml").read_text(), name="zweb",
                                  parameters=PARAMETERS, files={"zabbix_autoscaling_member.yaml": (
                                      TEMPLATES / "zabbix_autoscaling_member.yaml").read_text()})
        assert harness.state(stack_id) == "CREATE_COMPLETE", failures(harness, stack_id)
        group_name = harness.outputs(stack_id)["zabbix_group"]
        (group,) = api.hostgroup.get(filter={"name": group_name})
        (first,) = servers(harness, stack_id)
        hosts = api.host.get(groupids=[group["groupid"]], output=["host"], selectInterfaces=["ip"])
        assert len(hosts) == 2, "the member's host and the aggregate"

        start = time.time()
        evaluator.evaluate(start)
        set_load(cloud.store, first, 95.0, start + 10)
        evaluator.evaluate(start + 60)
        assert listener.received == []
        evaluator.evaluate(start + 120)
        (path, body), = listener.received
        target = signer.verify(path.removeprefix("/v1/signal/"))
        assert (target.stack_id, target.resource_name) == (stack_id, "scale_out_policy")
        assert (body["current"], body["alarm_name"]) == ("alarm", "zweb is busy")
        (trigger,) = api.trigger.get(hostids=[harness.resources(stack_id)["aggregate"].physical_id])
        assert (trigger["description"], trigger["value"]) == ("zweb is busy", "1")

        assert scale(harness, stack_id, target.resource_name, body), "the signal the API would deliver"
        assert harness.outputs(stack_id)["current_size"] == 2
        (_, second) = servers(harness, stack_id)
        second_host = harness.resources(members(harness, stack_id)[1].physical_id)["zabbix_host"]
        (shown,) = api.host.get(hostids=[second_host.physical_id], selectGroups=["name"], output=["host"])
        assert [entry["name"] for entry in shown["groups"]] == [group_name], "the new server is a Zabbix host"
        assert shown["host"] == cloud.connect("default").compute.get_server(second).name

        set_load(cloud.store, first, 10.0, start + 130)
        evaluator.evaluate(start + 170)  # (before the scale-out is repeated, a repeat_period after the first)
        evaluator.evaluate(start + 260)
        assert [path.rsplit("/", 1)[0] for path in listener.paths()] == ["/v1/signal"] * 2
        target = signer.verify(listener.paths()[-1].removeprefix("/v1/signal/"))
        assert target.resource_name == "scale_in_policy" and listener.received[-1][1]["current"] == "ok"

        assert harness.delete(stack_id), failures(harness, stack_id)
        assert api.hostgroup.get(filter={"name": group_name}) == []
        assert [len(cloud.store.list(f"zabbix_{kind}")) for kind in ("host", "item", "trigger", "script",
                                                                     "action")] == [0] * 5
    finally:
        api.logout()
        listener.close()
