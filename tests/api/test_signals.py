"""Pre-signed signal URLs over HTTP: a wait condition completed with no token, and every refusal."""

from __future__ import annotations

import json
import time

import pytest
import requests

from orchestrator.api.queries import find_resource
from orchestrator.engine.signing import SignalSigner, SignedTarget

WAITING = {
    "heat_template_version": "2021-04-16",
    "parameters": {"count": {"type": "number", "default": 1}},
    "resources": {
        "handle": {"type": "OS::Heat::WaitConditionHandle"},
        "waiter": {"type": "OS::Heat::WaitCondition",
                   "properties": {"handle": {"get_resource": "handle"}, "timeout": 60,
                                  "count": {"get_param": "count"}}},
    },
    "outputs": {
        "endpoint": {"value": {"get_attr": ["handle", "endpoint"]}},
        "token": {"value": {"get_attr": ["handle", "token"]}},
        "curl": {"value": {"get_attr": ["handle", "curl_cli"]}},
        "signal": {"value": {"get_attr": ["handle", "signal"]}},
        "data": {"value": {"get_attr": ["waiter", "data"]}},
    },
}


def outputs(service, name: str, stack_id: str) -> dict:
    stack = service.call("GET", f"stacks/{name}/{stack_id}").json()["stack"]
    return {output["output_key"]: output.get("output_value") for output in stack.get("outputs", [])}


def waiting_stack(service, name: str, count: int = 1) -> tuple[str, str]:
    """A stack whose wait condition waits; its id and the handle's signed URL."""
    stack_id = service.create(name, WAITING, parameters={"count": count})
    deadline = time.monotonic() + 20
    while not outputs(service, name, stack_id).get("endpoint"):
        assert time.monotonic() < deadline, "the handle's endpoint never appeared"
        time.sleep(0.05)
    return stack_id, outputs(service, name, stack_id)["endpoint"]


def post(url: str, **kwargs) -> requests.Response:
    """POST as curl or a booting server would: no token, nothing but the URL."""
    return requests.post(url, timeout=30, **kwargs)


def refused(response: requests.Response) -> None:
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["code"] == 404 and body["error"]["message"]


def resource_id(service, stack_id: str, name: str) -> int:
    with service.engine.context.database.reading() as connection:
        return find_resource(connection, stack_id, name).id


def test_a_wait_condition_completes_through_its_signed_url(service):
    stack_id, endpoint = waiting_stack(service, "waiting")
    assert endpoint.startswith(f"{service.url}/v1/signal/")
    shown = outputs(service, "waiting", stack_id)
    assert shown["token"] is None
    assert shown["curl"].endswith(endpoint) and "X-Auth-Token" not in shown["curl"]
    assert json.loads(shown["signal"]) == {"endpoint": endpoint, "token": None}
    # read live through the API's own view of the stack, the same URL
    handle = service.call("GET", f"stacks/waiting/{stack_id}/resources/handle").json()["resource"]
    assert handle["attributes"]["endpoint"] == endpoint
    time.sleep(0.3)
    assert service.call("GET", f"stacks/waiting/{stack_id}").json()["stack"]["stack_status"] == "CREATE_IN_PROGRESS"
    answer = post(endpoint, json={"status": "SUCCESS", "reason": "booted", "data": "42"})
    assert answer.status_code == 200, answer.text
    assert answer.text == ""
    assert service.wait("waiting", stack_id)["stack_status"] == "CREATE_COMPLETE"
    assert json.loads(outputs(service, "waiting", stack_id)["data"]) == {"1": "42"}
    signals = [e for e in service.call("GET", f"stacks/waiting/{stack_id}/resources/handle/events").json()["events"]
               if e["resource_status_reason"].startswith("Signal:")]
    assert [e["resource_status_reason"] for e in signals] == ["Signal: status:SUCCESS reason:booted"]


def test_signals_with_any_body_and_content_type(service):
    stack_id, endpoint = waiting_stack(service, "twice", count=2)
    # curl --data-binary without a JSON content type, and an empty body (a default SUCCESS)
    assert post(endpoint, data='{"status": "SUCCESS", "id": "a"}',
                headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
    assert post(endpoint).status_code == 200
    assert service.wait("twice", stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_a_failure_signal_fails_the_wait(service):
    stack_id, endpoint = waiting_stack(service, "failing")
    assert post(endpoint, json={"status": "FAILURE", "reason": "no disk"}).status_code == 200
    stack = service.wait("failing", stack_id)
    assert stack["stack_status"] == "CREATE_FAILED"
    assert "no disk" in stack["stack_status_reason"]


def test_bodies_the_handle_cannot_take_are_a_400(service):
    stack_id, endpoint = waiting_stack(service, "picky")
    not_json = post(endpoint, data="{status")
    assert not_json.status_code == 400
    assert "JSON" in not_json.json()["error"]["message"]
    wrong = post(endpoint, json={"status": "MAYBE"})
    assert wrong.status_code == 400
    assert "Metadata format invalid" in wrong.json()["error"]["message"]
    assert service.call("GET", f"stacks/picky/{stack_id}").json()["stack"]["stack_status"] == "CREATE_IN_PROGRESS"
    assert post(endpoint, json={}).status_code == 200
    assert service.wait("picky", stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_a_tampered_signature_is_refused(service):
    stack_id, endpoint = waiting_stack(service, "tampered")
    base, signature = endpoint.rsplit("/", 1)
    flipped = signature[:-3] + ("A" if signature[-3] != "A" else "B") + signature[-2:]
    refused(post(f"{base}/{flipped}", json={}))
    payload, _, mac = signature.partition(".")
    refused(post(f"{base}/{payload}x.{mac}", json={}))
    refused(post(f"{base}/not-a-signature", json={}))
    forged = SignalSigner("another-key").sign(SignedTarget(stack_id, "handle", resource_id(service, stack_id,
                                                                                              "handle")))
    refused(post(f"{base}/{forged}", json={}))
    time.sleep(0.3)
    assert service.call("GET", f"stacks/tampered/{stack_id}").json()["stack"]["stack_status"] == "CREATE_IN_PROGRESS"
    assert post(endpoint, json={}).status_code == 200
    assert service.wait("tampered", stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_a_signature_names_one_resource_row_only(service):
    """Signed with the right key, but naming another resource, another stack, or a name its row does not have."""
    stack_id, endpoint = waiting_stack(service, "scoped")
    other_id, other_endpoint = waiting_stack(service, "scoped-other")
    signer = SignalSigner(service.settings.api.signing_key)
    handle = resource_id(service, stack_id, "handle")
    waiter = resource_id(service, stack_id, "waiter")
    base = endpoint.rsplit("/", 1)[0]
    for target in (SignedTarget(stack_id, "waiter", handle),  # the handle's row under another name
                   SignedTarget(stack_id, "handle", waiter),  # another row under the handle's name
                   SignedTarget(other_id, "handle", handle),  # the row, claimed for another stack
                   SignedTarget(stack_id, "handle", 10 ** 9)):  # no such row
        refused(post(f"{base}/{signer.sign(target)}", json={}))
    # each stack's URL signals its own handle only
    assert other_endpoint != endpoint
    assert post(other_endpoint, json={}).status_code == 200
    assert service.wait("scoped-other", other_id)["stack_status"] == "CREATE_COMPLETE"
    time.sleep(0.3)
    assert service.call("GET", f"stacks/scoped/{stack_id}").json()["stack"]["stack_status"] == "CREATE_IN_PROGRESS"
    assert post(endpoint, json={}).status_code == 200
    assert service.wait("scoped", stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_the_url_is_refused_once_the_stack_is_deleted(service):
    stack_id, endpoint = waiting_stack(service, "doomed")
    assert post(endpoint, json={}).status_code == 200
    assert service.wait("doomed", stack_id)["stack_status"] == "CREATE_COMPLETE"
    assert service.call("DELETE", f"stacks/doomed/{stack_id}").status_code == 204
    deadline = time.monotonic() + 20
    while service.call("GET", f"stacks/doomed/{stack_id}").status_code != 404:
        assert time.monotonic() < deadline, "the stack was never deleted"
        time.sleep(0.05)
    refused(post(endpoint, json={}))


def test_only_post_is_allowed(service):
    _, endpoint = waiting_stack(service, "methods")
    assert requests.get(endpoint, timeout=30).status_code == 405
    assert post(endpoint, json={}).status_code == 200


@pytest.mark.parametrize("who", ["alpha", "beta"])
def test_the_signed_url_ignores_tokens(service, who):
    """The URL is the credential: a token (anyone's) neither helps nor hurts."""
    stack_id, endpoint = waiting_stack(service, f"tokens-{who}")
    assert post(endpoint, json={}, headers=service.headers(who)).status_code == 200
    assert service.wait(f"tokens-{who}", stack_id)["stack_status"] == "CREATE_COMPLETE"
