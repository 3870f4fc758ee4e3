"""What the Zabbix plugin suites share: a stack with every OS::Zabbix:: type, and a webhook listener.

``tests/plugins/test_zabbix.py`` runs the stack on the sandbox's emulator,
``tests/integration/zabbix`` on a real Zabbix server.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: a stack with every OS::Zabbix:: type; the parameters change each in place
EVERY_TYPE = """
heat_template_version: 2018-08-31
parameters:
  group_name: {type: string, default: web-servers}
  visible_name: {type: string, default: Web server 1}
  macros: {type: json, default: {CPU.HIGH: 80}}
  linked: {type: string, default: Linux by Zabbix agent}
  threshold: {type: string, default: "80"}
  alarm_url: {type: string}
  ok_url: {type: string}
  requests_expression: {type: string, default: last(/web-1/app.requests)<1}
resources:
  group:
    type: OS::Zabbix::HostGroup
    properties: {name: {get_param: group_name}}
  host:
    type: OS::Zabbix::Host
    properties:
      host: web-1
      visible_name: {get_param: visible_name}
      interfaces: [{ip: 10.0.0.5}]
      groups: [{get_resource: group}]
      macros: {get_param: macros}
      inventory: {os: Debian 12}
  link:
    type: OS::Zabbix::TemplateLink
    properties: {host: {get_resource: host}, templates: [{get_param: linked}]}
  aggregate:
    type: OS::Zabbix::Host
    properties: {host: web-aggregate, groups: [{get_resource: group}]}
  group_cpu:
    type: OS::Zabbix::Item
    properties:
      host: {get_resource: aggregate}
      key: group.cpu.avg
      type: calculated
      delay: 30s
      units: "%"
      formula:
        str_replace:
          template: avg(last_foreach(/*/system.cpu.util?[group="GROUP"]))
          params: {GROUP: {get_param: group_name}}
  requests:
    type: OS::Zabbix::Item
    properties: {host: {get_resource: host}, key: app.requests, type: trapper}
  high_cpu:
    type: OS::Zabbix::Trigger
    depends_on: group_cpu
    properties:
      name: Web servers are busy
      expression: {list_join: ["", ["min(/web-aggregate/group.cpu.avg,5m)>", {get_param: threshold}]]}
      priority: high
  scale_out:
    type: OS::Zabbix::Action
    properties:
      trigger: {get_resource: high_cpu}
      alarm_actions: [{get_param: alarm_url}]
      ok_actions: [{get_param: ok_url}]
  idle:
    type: OS::Zabbix::Action
    depends_on: requests
    properties:
      expression: {get_param: requests_expression}
      alarm_actions: [{get_param: alarm_url}]
      repeat_actions: false
outputs:
  host_id: {value: {get_attr: [host, host_id]}}
  visible_name: {value: {get_attr: [host, visible_name]}}
  group_id: {value: {get_attr: [group, group_id]}}
  item_id: {value: {get_attr: [group_cpu, item_id]}}
  trigger_id: {value: {get_attr: [high_cpu, trigger_id]}}
  trigger_state: {value: {get_attr: [high_cpu, state]}}
  action_id: {value: {get_attr: [scale_out, action_id]}}
  idle_trigger: {value: {get_attr: [idle, trigger_id]}}
  templates: {value: {get_attr: [link, template_ids]}}
"""

class Listener:
    """A local HTTP server that records the JSON bodies POSTed to it, by path."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        #: the HTTP status it answers with
        self.status = 200
        received, listener = self.received, self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                received.append((self.path, json.loads(self.rfile.read(length) or b"null")))
                self.send_response(listener.status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def failures(harness, stack_id: str) -> list[str]:
    """The reasons of the stack's failure events, for an assertion's message."""
    return [f"{name}: {reason}" for name, state, reason in harness.events(stack_id) if state.endswith("FAILED")]


def names(objects: list[dict[str, Any]]) -> list[str]:
    """The names of host groups or templates as ``select*`` gives them (their ``name``, else their ``host``)."""
    return [entry.get("name") or entry["host"] for entry in objects]
