"""openstacksdk's orchestration proxy against a live service: the round trip Ansible and scripts make."""

from __future__ import annotations

from pathlib import Path

import openstack
import pytest
from openstack.orchestration.util import template_utils

FILES = Path(__file__).parent / "files"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from tests.api.service import live_service

    with live_service(tmp_path_factory.mktemp("sdk")) as running:
        yield running


def connect(service, **options) -> openstack.connection.Connection:
    from tests.api.service import TOKENS

    return openstack.connect(auth_type="admin_token", auth={"endpoint": service.endpoint(), "token": TOKENS["alpha"]},
                             load_yaml_config=False, load_envvars=False, **options)


def test_round_trip(service):
    cloud = connect(service)
    files, template = template_utils.get_template_contents(str(FILES / "app.yaml"))
    env_files, environment = template_utils.process_multiple_environments_and_files([str(FILES / "env.yaml")])
    created = cloud.orchestration.create_stack(name="sdk-stack", template=template, files={**files, **env_files},
                                               environment=environment, parameters={"size": 4})
    stack = cloud.orchestration.wait_for_status(cloud.orchestration.get_stack(created.id), "CREATE_COMPLETE",
                                                failures=["CREATE_FAILED"], interval=0.2, wait=30)
    assert stack.name == "sdk-stack"
    assert {o["output_key"]: o["output_value"] for o in stack.outputs}["child_size"] == 8

    assert [s.name for s in cloud.orchestration.stacks()] == ["sdk-stack"]
    assert cloud.orchestration.find_stack("sdk-stack").id == created.id
    assert sorted(r.name for r in cloud.orchestration.resources(stack)) == ["boot_script", "child", "greeter"]
    events = list(cloud.orchestration.stack_events(stack))
    assert events[-1].resource_status_reason == "Stack CREATE completed successfully"
    assert cloud.orchestration.get_stack_template(stack)["description"].startswith("The compatibility suite")
    assert cloud.orchestration.get_stack_environment(stack)["parameters"]["size"] == 4
    assert set(cloud.orchestration.get_stack_files(stack)) == set(files) | set(env_files)

    cloud.orchestration.update_stack(stack, template=template, files=files, parameters={"greeting": "sdk"})
    stack = cloud.orchestration.wait_for_status(cloud.orchestration.get_stack(created.id), "UPDATE_COMPLETE",
                                                failures=["UPDATE_FAILED"], interval=0.2, wait=30)
    assert {o["output_key"]: o["output_value"] for o in stack.outputs}["greeting"] == "sdk"

    cloud.orchestration.delete_stack(stack)
    cloud.orchestration.wait_for_delete(stack, interval=0.2, wait=30)
    assert cloud.orchestration.find_stack("sdk-stack") is None


def test_validate_template(service):
    # openstacksdk's validate_template sends no files map, so the template must need none
    _, template = template_utils.get_template_contents(str(FILES / "child.yaml"))
    result = connect(service).orchestration.validate_template(template)
    assert set(result.parameters) == {"size"}


def test_version_discovery_with_no_authentication(tmp_path):
    """With ``auth_type=none`` openstacksdk first reads the versions document at /v1."""
    from tests.api.service import live_service

    with live_service(tmp_path, auth="none") as open_service:
        cloud = openstack.connect(auth_type="none", auth={"endpoint": open_service.endpoint("open")},
                                  load_yaml_config=False, load_envvars=False)
        assert list(cloud.orchestration.stacks()) == []
