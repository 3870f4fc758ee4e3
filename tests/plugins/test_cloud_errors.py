"""Errors the sandbox cannot produce, made with requests-mock over the real HTTP sandbox.

``requests_mock.Mocker(real_http=True)`` answers the URLs a test chooses and
lets every other request reach the sandbox: the engine's connections and the
tests' own alike go through it.  keystoneauth waits between retries (0.5 s,
doubling); the tests shorten that first delay so that four retries take
milliseconds, not seconds.
"""

from __future__ import annotations

import re

import pytest
import requests
import requests_mock
from keystoneauth1 import session as ksa_session

from orchestrator.clients import RETRIES

PROJECT = "default"

VOLUME = """
heat_template_version: 2018-08-31
resources:
  disk:
    type: OS::Cinder::Volume
    properties: {size: 1, name: disk}
"""

SERVER = """
heat_template_version: 2018-08-31
resources:
  net: {type: OS::Neutron::Net}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.50.0.0/24}
  server:
    type: OS::Nova::Server
    depends_on: subnet
    properties: {image: cirros, flavor: m1.tiny, networks: [{network: {get_resource: net}}]}
"""

#: Cinder's and Nova's collections, whatever the project id in the URL (a query string would not match ``$``)
VOLUMES = re.compile(r"/volume/v3/[^/]+/volumes$")
SERVERS = re.compile(r"/compute/v2\.1/servers$")


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(ksa_session, "_EXPONENTIAL_DELAY_START", 0.001)


@pytest.fixture
def mocked():
    with requests_mock.Mocker(real_http=True) as mocker:
        yield mocker


def _failure(harness, stack_id, resource):
    """The reason of the resource's FAILED event."""
    reasons = [reason for _, state, reason in harness.events(stack_id, resource) if state.endswith("_FAILED")]
    assert reasons, harness.events(stack_id)
    return reasons[-1]


def test_a_connection_refused_on_create_fails_the_resource_and_leaves_nothing(harness, cloud, mocked):
    refused = mocked.post(VOLUMES, exc=requests.exceptions.ConnectionError("[Errno 111] Connection refused"))
    stack_id = harness.create(VOLUME)
    assert harness.state(stack_id) == "CREATE_FAILED"
    reason = _failure(harness, stack_id, "disk")
    assert reason.startswith("ConnectFailure: resources.disk: Unable to establish connection to "), reason
    assert "/volumes: [Errno 111] Connection refused" in reason, reason
    assert refused.call_count == 1 + RETRIES, "keystoneauth retries a connection error"
    assert list(cloud.connect(PROJECT).block_storage.volumes()) == []


def test_a_timeout_on_create_fails_the_resource(harness, cloud, mocked):
    mocked.post(SERVERS, exc=requests.exceptions.ConnectTimeout("timed out"))
    stack_id = harness.create(SERVER)
    assert harness.state(stack_id) == "CREATE_FAILED"
    reason = _failure(harness, stack_id, "server")
    assert reason.startswith("ConnectTimeout: resources.server: Request to "), reason
    assert "/servers timed out" in reason, reason
    assert list(cloud.connect(PROJECT).compute.servers()) == []


def test_two_500s_then_a_success_the_retries_make_the_create_succeed(harness, cloud, mocked):
    answered = []

    def first_two(request):
        answered.append(request.method)
        return len(answered) <= 2  # the third request is not matched: it reaches the sandbox

    mocked.post(VOLUMES, status_code=500, additional_matcher=first_two,
                json={"computeFault": {"code": 500, "message": "The server has either erred or is incapable."}})
    stack_id = harness.create(VOLUME)
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    assert answered == ["POST", "POST", "POST"]
    (volume,) = cloud.connect(PROJECT).block_storage.volumes()
    assert volume.id == harness.resources(stack_id)["disk"].physical_id and volume.status == "available"
    assert harness.delete(stack_id)


def test_500s_beyond_the_retries_fail_with_the_clouds_text(harness, cloud, mocked):
    failing = mocked.post(VOLUMES, status_code=503,
                          json={"computeFault": {"code": 503, "message": "Cinder is having a bad day."}})
    stack_id = harness.create(VOLUME)
    assert harness.state(stack_id) == "CREATE_FAILED"
    reason = _failure(harness, stack_id, "disk")
    assert "Cinder is having a bad day." in reason, reason
    assert failing.call_count == 1 + RETRIES
    assert list(cloud.connect(PROJECT).block_storage.volumes()) == []


def test_a_malformed_json_body_fails_the_create(harness, cloud, mocked):
    """openstacksdk ignores a body it cannot parse: the volume has no id, and the wait for it fails."""
    mocked.post(VOLUMES, status_code=202, text='{"volume": {"id": "12', headers={"Content-Type": "application/json"})
    stack_id = harness.create(VOLUME)
    assert harness.state(stack_id) == "CREATE_FAILED"
    reason = _failure(harness, stack_id, "disk")
    assert reason == "InvalidRequest: resources.disk: Request requires an ID but none was found", reason
    assert list(cloud.connect(PROJECT).block_storage.volumes()) == []


def test_a_malformed_json_body_while_waiting_fails_the_create_and_the_delete_cleans_up(harness, cloud, mocked):
    mocked.get(re.compile(r"/volume/v3/[^/]+/volumes/[0-9a-f-]+(\?|$)"), status_code=200,
               text="<html>gateway</html>", headers={"Content-Type": "application/json"})
    stack_id = harness.create(VOLUME)
    assert harness.state(stack_id) == "CREATE_FAILED"
    # the unreadable answer has no status: the plugin takes it for a volume gone wrong
    first = [reason for _, state, reason in harness.events(stack_id, "disk") if state == "CREATE_FAILED"][0]
    assert first == 'ResourceInError: resources.disk: Went to status None due to "Unknown"', first
    # the volume was made: the stack's deletion (the fixture's, at the end) takes it away
    assert len(list(cloud.connect(PROJECT).block_storage.volumes())) == 1


NETWORK = """
heat_template_version: 2018-08-31
resources:
  net: {type: OS::Neutron::Net, properties: {name: doomed}}
"""

#: (template, resource, the URL of its object given its id, the cloud's error body, how to read the object)
DELETE_FAILURES = {
    "cinder": (VOLUME, "disk", r"/volume/v3/[^/]+/volumes/{id}(\?|$)",
               {"computeFault": {"code": 500, "message": "The backend is unreachable."}},
               lambda conn, object_id: conn.block_storage.get_volume(object_id)),
    "nova": (SERVER, "server", r"/compute/v2\.1/servers/{id}(\?|$)",
             {"computeFault": {"code": 500, "message": "The backend is unreachable."}},
             lambda conn, object_id: conn.compute.get_server(object_id)),
    "neutron": (NETWORK, "net", r"/network/v2\.0/networks/{id}(\?|$)",
                {"NeutronError": {"type": "HTTPInternalServerError", "message": "The backend is unreachable.",
                                  "detail": ""}},
                lambda conn, object_id: conn.network.get_network(object_id)),
}


@pytest.mark.parametrize("service", sorted(DELETE_FAILURES))
def test_a_500_on_delete_fails_the_delete_with_the_clouds_text_and_a_later_delete_succeeds(harness, cloud, service):
    template, resource, url, body, read = DELETE_FAILURES[service]
    stack_id = harness.create(template)
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    object_id = harness.resources(stack_id)[resource].physical_id
    with requests_mock.Mocker(real_http=True) as mocked:
        deletes = mocked.delete(re.compile(url.format(id=object_id)), status_code=500, json=body)
        assert not harness.delete(stack_id)
    assert deletes.call_count == 1 + RETRIES
    assert harness.state(stack_id) == "DELETE_FAILED"
    reason = _failure(harness, stack_id, resource)
    assert "The backend is unreachable." in reason, reason
    assert "The backend is unreachable." in harness.stack(stack_id).status_reason
    assert read(cloud.connect(PROJECT), object_id).id == object_id, "the object is still there"

    assert harness.delete(stack_id), harness.events(stack_id)
    assert harness.state(stack_id) == "DELETE_COMPLETE"
