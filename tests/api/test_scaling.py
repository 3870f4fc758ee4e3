"""Autoscaling through the real API: an alarm POSTs its webhook body to a policy's pre-signed URL, a worker resizes."""

from __future__ import annotations

import time

import requests

from tests.engine.autoscaling import ALARM, ALARM_REASON, scaling_template

OUTPUTS = {"size": {"value": {"get_attr": ["group", "current_size"]}},
           "alarm_url": {"value": {"get_attr": ["up", "alarm_url"]}},
           "signal_url": {"value": {"get_attr": ["up", "signal_url"]}}}


def outputs(service, name: str, stack_id: str) -> dict:
    stack = service.call("GET", f"stacks/{name}/{stack_id}").json()["stack"]
    return {output["output_key"]: output.get("output_value") for output in stack.get("outputs", [])}


def signal_reasons(service, name: str, stack_id: str) -> list[str]:
    events = service.call("GET", f"stacks/{name}/{stack_id}/resources/up/events").json()["events"]
    return [event["resource_status_reason"] for event in events if event["resource_status"].startswith("SIGNAL")]


def group_state(service, name: str, stack_id: str) -> str:
    nested = service.call("GET", f"stacks/{name}/{stack_id}/resources/group").json()["resource"]
    shown = service.call("GET", f"stacks/{nested['physical_resource_id']}", allow_redirects=True).json()["stack"]
    return shown["stack_status"]


def test_an_alarm_grows_the_group_and_the_cooldown_holds_it(service):
    policies = {"up": {"adjustment_type": "change_in_capacity", "scaling_adjustment": 1, "cooldown": 600}}
    stack_id = service.create("scaling", scaling_template(1, 3, policies=policies, outputs=OUTPUTS))
    assert service.wait("scaling", stack_id)["stack_status"] == "CREATE_COMPLETE"
    shown = outputs(service, "scaling", stack_id)
    assert shown["size"] == 1
    assert shown["alarm_url"].startswith(f"{service.url}/v1/signal/")
    assert shown["signal_url"] == f"{service.endpoint()}/stacks/scaling/{stack_id}/resources/up/signal"

    answer = requests.post(shown["alarm_url"], json=ALARM, timeout=30)  # as Aodh does: no token
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 30
    while outputs(service, "scaling", stack_id)["size"] != 2:
        assert time.monotonic() < deadline, "the group never grew"
        time.sleep(0.05)
    deadline = time.monotonic() + 30
    while group_state(service, "scaling", stack_id) != "UPDATE_COMPLETE":
        assert time.monotonic() < deadline, "the resize never finished"
        time.sleep(0.05)
    assert signal_reasons(service, "scaling", stack_id) == [ALARM_REASON]

    # In the cooldown: accepted, and nothing happens (the answer comes after the decision).
    again = requests.post(shown["alarm_url"], json=ALARM, timeout=30)
    assert again.status_code == 200, again.text
    by_token = service.call("POST", f"stacks/scaling/{stack_id}/resources/up/signal", json=ALARM)
    assert by_token.status_code == 200, by_token.text
    assert group_state(service, "scaling", stack_id) == "UPDATE_COMPLETE"
    assert outputs(service, "scaling", stack_id)["size"] == 2
    assert signal_reasons(service, "scaling", stack_id) == [ALARM_REASON]
