"""Wait conditions on a real engine: signals sent from outside while a create runs.

The create runs in a thread, as a worker would run it; the test plays the
server that signals the handle through ``Engine.signal``, as the API would.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any, Iterator

import pytest

from orchestrator.engine.signals import SignalRefused
from resources.orchestration.wait_condition import WaitCondition, WaitConditionTimeout


def wait_template(count: int = 1, timeout: int = 30, handle_type: str = "OS::Heat::WaitConditionHandle",
                  handle_properties: dict | None = None) -> dict:
    handle = {"type": handle_type}
    if handle_properties:
        handle["properties"] = handle_properties
    return {
        "heat_template_version": "2018-08-31",
        "resources": {
            "handle": handle,
            "wait": {"type": "OS::Heat::WaitCondition",
                     "properties": {"handle": {"get_resource": "handle"}, "timeout": timeout, "count": count}},
        },
        "outputs": {"data": {"value": {"get_attr": ["wait", "data"]}}},
    }


@contextmanager
def creating(harness, template: Any, hold_wait: bool = False) -> Iterator[str]:
    """Run a create in a thread; with ``hold_wait`` the wait condition pauses at a pre-create hook."""
    environment = {"resource_registry": {"resources": {"wait": {"hooks": "pre-create"}}}} if hold_wait else None
    job = harness.engine.create_stack(harness.request(template, environment=environment))
    runner = harness.start(job)
    try:
        harness.wait_for(lambda: harness.resource_states(job.stack_id)["handle"] == "CREATE_COMPLETE",
                         "the handle to be created")
        if hold_wait:
            harness.wait_for(lambda: harness.resources(job.stack_id)["wait"].hook == "pre-create",
                             "the wait condition to pause at its hook")
        yield job.stack_id
    finally:
        runner.join(timeout=30)
    assert not runner.is_alive()


def signalled(harness, template: Any, signals: list) -> str:
    """Create with ``signals`` sent to the handle before the wait condition starts waiting."""
    with creating(harness, template, hold_wait=True) as stack_id:
        for details in signals:
            harness.engine.signal(stack_id, "handle", details)
        harness.engine.signal(stack_id, "wait", {"unset_hook": "pre-create"})
    return stack_id


def test_the_wait_ends_when_count_successes_have_arrived(harness):
    with creating(harness, wait_template(count=2)) as stack_id:
        harness.engine.signal(stack_id, "handle", {"status": "SUCCESS", "data": "first", "id": "web1"})
        time.sleep(1.3)  # more than one look at the handle: one success of two is not enough
        assert harness.resource_states(stack_id)["wait"] == "CREATE_IN_PROGRESS"
        harness.engine.signal(stack_id, "handle", {"data": "second"})
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    assert json.loads(harness.outputs(stack_id)["data"]) == {"web1": "first", "2": "second"}


#: signals sent, count -> the wait condition's failure reason
FAILURES = {
    "a failure": ([{"status": "FAILURE", "reason": "disk full"}], 1,
                  "WaitConditionFailure: resources.wait: disk full"),
    "failures among successes": ([{"reason": "ok"}, {"status": "FAILURE", "reason": "a"},
                                  {"status": "FAILURE", "reason": "b"}], 5,
                                 "WaitConditionFailure: resources.wait: a;b"),
    "a failure even when enough succeeded": ([{}, {"status": "FAILURE", "reason": "late"}], 1,
                                             "WaitConditionFailure: resources.wait: late"),
}


@pytest.mark.parametrize("signals, count, reason", FAILURES.values(), ids=FAILURES.keys())
def test_a_failure_signal_fails_the_wait_with_its_reasons(harness, signals, count, reason):
    stack_id = signalled(harness, wait_template(count=count), signals)
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("CREATE", "FAILED")
    assert row.status_reason == f"Resource CREATE failed: {reason}"
    assert harness.resources(stack_id)["wait"].status_reason == reason


#: signals sent before the wait, count -> the timeout's reason
TIMEOUTS = {
    "nothing arrived": ([], 1, "WaitConditionTimeout: resources.wait: 0 of 1 received"),
    "too few arrived": ([{"reason": "web up"}, {"reason": "db up"}], 3,
                        "WaitConditionTimeout: resources.wait: 2 of 3 received - web up;db up"),
}


@pytest.mark.parametrize("signals, count, reason", TIMEOUTS.values(), ids=TIMEOUTS.keys())
def test_the_wait_times_out_saying_how_many_arrived(harness, signals, count, reason):
    started = time.monotonic()
    stack_id = signalled(harness, wait_template(count=count, timeout=1), signals)
    assert time.monotonic() - started < 10
    assert harness.resource_states(stack_id) == {"handle": "CREATE_COMPLETE", "wait": "CREATE_FAILED"}
    assert harness.resources(stack_id)["wait"].status_reason == reason


def test_signals_received_before_the_wait_count(harness):
    stack_id = signalled(harness, wait_template(count=2), [{"data": {"k": 1}}, {"id": "x", "data": [2]}])
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    assert json.loads(harness.outputs(stack_id)["data"]) == {"1": {"k": 1}, "x": [2]}


def test_the_handle_must_be_a_wait_condition_handle(harness):
    template = wait_template()
    template["resources"]["handle"] = {"type": "OS::Heat::SoftwareConfig"}
    stack_id = harness.create(template)
    assert harness.resources(stack_id)["wait"].status_reason == (
        "ValueError: resources.wait: handle is not a valid wait condition handle.")


# -- what handles store ---------------------------------------------------------------------

HANDLE_ONLY = {"heat_template_version": "2018-08-31", "resources": {"handle": {"type": "OS::Heat::WaitConditionHandle"}}}

#: signals sent -> what the handle stores
STORED = {
    "no details": ([None], {"1": {"status": "SUCCESS", "reason": "Signal 1 received", "data": None}}),
    "numbered in order": ([{"data": "a"}, {"status": "FAILURE", "reason": "no"}],
                          {"1": {"status": "SUCCESS", "reason": "Signal 1 received", "data": "a"},
                           "2": {"status": "FAILURE", "reason": "no", "data": None}}),
    "a repeated id replaces": ([{"id": "vm", "data": 1}, {"id": "vm", "data": 2}],
                               {"vm": {"status": "SUCCESS", "reason": "Signal 2 received", "data": 2}}),
    "numeric ids are text": ([{"id": 7, "reason": "r", "status": "SUCCESS", "data": None}],
                             {"7": {"status": "SUCCESS", "reason": "r", "data": None}}),
}


@pytest.mark.parametrize("signals, stored", STORED.values(), ids=STORED.keys())
def test_the_handle_stores_signals_by_id_with_heats_defaults(harness, signals, stored):
    stack_id = harness.create(HANDLE_ONLY)
    for details in signals:
        harness.engine.signal(stack_id, "handle", details)
    assert harness.resources(stack_id)["handle"].data["signals"] == stored
    assert [state for _, state, _ in harness.events(stack_id, "handle")][-len(signals):] == (
        ["SIGNAL_COMPLETE"] * len(signals))


@pytest.mark.parametrize("details", [{"status": "DONE"}, {"status": "SUCCESS", "extra": 1}, "finished", [1]],
                         ids=["unknown status", "unknown key", "text", "list"])
def test_a_malformed_signal_is_refused_and_not_stored(harness, details):
    stack_id = harness.create(HANDLE_ONLY)
    with pytest.raises(SignalRefused, match="Metadata format invalid"):
        harness.engine.signal(stack_id, "handle", details)
    assert "signals" not in harness.resources(stack_id)["handle"].data


def test_the_update_handle_takes_cloudformation_signals(harness):
    template = wait_template(handle_type="OS::Heat::UpdateWaitConditionHandle")
    with creating(harness, template, hold_wait=True) as stack_id:
        harness.engine.signal(stack_id, "handle", None)  # ignored, as by Heat
        with pytest.raises(SignalRefused, match="Metadata format invalid"):
            harness.engine.signal(stack_id, "handle", {"Status": "SUCCESS"})  # every key is required
        harness.engine.signal(stack_id, "handle",
                              {"Status": "SUCCESS", "Reason": "up", "Data": "d", "UniqueId": "i-1"})
        harness.engine.signal(stack_id, "wait", {"unset_hook": "pre-create"})
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    assert harness.resources(stack_id)["handle"].data["signals"] == {
        "i-1": {"status": "SUCCESS", "reason": "up", "data": "d"}}
    assert json.loads(harness.outputs(stack_id)["data"]) == {"i-1": "d"}


# -- handle attributes ---------------------------------------------------------------------

HANDLE_ATTRIBUTES = ("token", "endpoint", "curl_cli", "signal")


def handle_attributes_template(transport: str) -> dict:
    return {"heat_template_version": "2018-08-31",
            "resources": {"handle": {"type": "OS::Heat::WaitConditionHandle",
                                     "properties": {"signal_transport": transport}}},
            "outputs": {name: {"value": {"get_attr": ["handle", name]}} for name in HANDLE_ATTRIBUTES}}


def test_handle_attributes_are_none_without_a_signals_service(harness):
    stack_id = harness.create(handle_attributes_template("TOKEN_SIGNAL"))
    assert harness.outputs(stack_id) == dict.fromkeys(HANDLE_ATTRIBUTES)


class FakeSignals:
    """Stands in for the API's signals service: hands out a signed URL per resource."""

    def signal_details(self, stack_id: str, resource_name: str, transport: str) -> dict:
        url = f"https://orchestrator.example/v1/signal/{stack_id}/{resource_name}?sig=abc"
        return {"endpoint": url, "token": None} if transport == "TOKEN_SIGNAL" else {"alarm_url": url}


#: transport -> the attributes (``URL`` stands for the signed URL)
TRANSPORT_ATTRIBUTES = {
    "TOKEN_SIGNAL": {"token": None, "endpoint": "URL",
                     "curl_cli": "curl -i -X POST -H 'Content-Type: application/json' "
                                 "-H 'Accept: application/json' URL",
                     "signal": {"endpoint": "URL", "token": None}},
    "CFN_SIGNAL": {"token": None, "endpoint": None, "curl_cli": None, "signal": {"alarm_url": "URL"}},
}


@pytest.mark.parametrize("transport, expected", TRANSPORT_ATTRIBUTES.items(), ids=TRANSPORT_ATTRIBUTES.keys())
def test_handle_attributes_come_from_the_signals_service(harness, monkeypatch, transport, expected):
    engine_services = harness.engine.services_for
    monkeypatch.setattr(harness.engine, "services_for",
                        lambda operation: {**engine_services(operation), "signals": FakeSignals()})
    stack_id = harness.create(handle_attributes_template(transport))
    url = f"https://orchestrator.example/v1/signal/{stack_id}/handle?sig=abc"
    values = harness.outputs(stack_id)
    values["signal"] = json.loads(values["signal"])
    assert json.loads(json.dumps(values).replace(url, "URL")) == expected


# -- surviving a restart ---------------------------------------------------------------------

class StoredStack:
    """The "stack" service over one stored handle row."""

    def __init__(self, row: dict):
        self.row = row

    def resource_by_reference(self, reference: str) -> dict | None:
        return self.row if reference == self.row["physical_id"] else None


class RestartedRuntime:
    """What a freshly started engine gives the plugin: stored state only."""

    stack_id = "s"

    def __init__(self, handle_row: dict):
        self.services = {"stack": StoredStack(handle_row)}
        self.writes: dict = {}

    def service(self, name: str) -> Any:
        return self.services[name]

    def set_data(self, key: str, value: Any) -> None:
        self.writes[key] = value


@pytest.mark.parametrize("started_ago, outcome", [(0, "waiting"), (5, "waiting"), (11, "timed out")])
def test_the_clock_survives_a_restart(started_ago, outcome):
    handle = {"name": "handle", "type": "OS::Heat::WaitConditionHandle", "physical_id": "h-1",
              "data": {"signals": {"1": {"status": "SUCCESS", "reason": "one", "data": None}}}}
    plugin = WaitCondition("wait", {"handle": "h-1", "timeout": 10, "count": 2}, RestartedRuntime(handle),
                           physical_id="stack-wait-x", data={"started_at": time.time() - started_ago})
    if outcome == "timed out":
        with pytest.raises(WaitConditionTimeout, match="^1 of 2 received - one$"):
            plugin.check_create_complete()
    else:
        delay = plugin.check_create_complete()
        assert delay is not True and 0 < delay <= 1.0
