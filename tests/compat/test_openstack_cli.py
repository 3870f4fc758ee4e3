"""The unmodified ``openstack`` CLI (python-openstackclient + python-heatclient) against a live service.

Each test runs the real command as a subprocess, over real HTTP, with
``--os-auth-type admin_token`` and ``--os-endpoint``, and asserts on what the
command printed.  Templates live in ``files/``; the client itself reads the
``get_file`` script, the child template and the environment file and sends
them in the files map, as it would to Heat.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

FILES = Path(__file__).parent / "files"
OPENSTACK = str(Path(sys.executable).with_name("openstack"))


def openstack(service, *args: str, who: str = "alpha", check: bool = True) -> subprocess.CompletedProcess:
    """Run ``openstack ARGS`` against the service as ``who``."""
    from tests.api.service import TOKENS

    env = {key: value for key, value in os.environ.items() if not key.startswith("OS_")}
    project = "alpha" if who == "admin" else who
    command = [OPENSTACK, "--os-auth-type", "admin_token", "--os-endpoint", service.endpoint(project),
               "--os-token", TOKENS[who], *args]
    result = subprocess.run(command, cwd=FILES, env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def as_json(result: subprocess.CompletedProcess):
    """The JSON document the command printed.

    With ``--wait`` heatclient prints the stack's events to stdout before the
    document, as it does against Heat, so parsing starts at the first line
    that opens a JSON object or list.
    """
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line[:1] in ("{", "["))
    return json.loads("\n".join(lines[start:]))


def outputs(service, name: str) -> dict:
    shown = as_json(openstack(service, "stack", "output", "show", name, "--all", "-f", "json"))
    # ``--all`` prints each output keyed by its name: a JSON object from
    # current heatclient, a JSON-encoded string from older releases
    return {key: (json.loads(value) if isinstance(value, str) else value)["output_value"]
            for key, value in shown.items()}


def create(service, name: str, *extra: str) -> dict:
    return as_json(openstack(service, "stack", "create", "-t", "app.yaml", *extra, name, "-f", "json"))


def wait_for(service, name: str, state: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = service.call("GET", f"stacks/{name}")
        location = response.headers["Location"]
        stack = service.call("GET", location.split("/v1/alpha/", 1)[1]).json()["stack"]
        if stack["stack_status"] == state:
            return stack
        assert time.monotonic() < deadline, f"{name} is {stack['stack_status']}, not {state}"
        time.sleep(0.1)


def test_create_with_environment_parameter_get_file_and_child_then_wait(service):
    stack = create(service, "cli-create", "-e", "env.yaml", "--parameter", "size=5", "--wait")
    assert stack["stack_status"] == "CREATE_COMPLETE"
    values = outputs(service, "cli-create")
    assert values == {"script": "#!/bin/sh\necho booted\n", "child_size": 10, "greeting": "from-the-environment"}


def test_list_and_show(service):
    created = create(service, "cli-show")
    wait_for(service, "cli-show", "CREATE_COMPLETE")
    listed = as_json(openstack(service, "stack", "list", "-f", "json"))
    assert {"ID": created["id"], "Stack Name": "cli-show"}.items() <= next(
        s for s in listed if s["Stack Name"] == "cli-show").items()
    shown = as_json(openstack(service, "stack", "show", "cli-show", "-f", "json"))
    assert shown["id"] == created["id"]
    assert shown["stack_status"] == "CREATE_COMPLETE"
    assert shown["parameters"]["secret"] == "******"
    assert shown["parameters"]["OS::stack_name"] == "cli-show"
    assert shown["description"] == "The compatibility suite's stack, with a get_file and a child template."


def test_update_existing_and_dry_run(service):
    create(service, "cli-update", "--wait")
    openstack(service, "stack", "update", "-t", "app.yaml", "--parameter", "greeting=changed", "--wait",
              "cli-update")
    assert outputs(service, "cli-update")["greeting"] == "changed"

    openstack(service, "stack", "update", "--existing", "--parameter", "size=7", "--wait", "cli-update")
    values = outputs(service, "cli-update")
    assert values["child_size"] == 14
    assert values["greeting"] == "changed", "PATCH keeps the parameters it is not given"

    dry = openstack(service, "stack", "update", "--dry-run", "-t", "app.yaml", "--parameter", "greeting=again",
                    "--parameter", "size=7", "cli-update", "-f", "json")
    changes = as_json(dry)
    # as in Heat, a nested stack is always listed as updated: its own
    # resources decide whether they change
    assert sorted(r["resource_name"] for r in changes["updated"]) == ["child", "greeter"]
    assert "boot_script" in [r["resource_name"] for r in changes["unchanged"]]
    assert outputs(service, "cli-update")["greeting"] == "changed", "a dry run changes nothing"


def test_delete_wait(service):
    create(service, "cli-delete", "--wait")
    openstack(service, "stack", "delete", "--wait", "-y", "cli-delete")
    missing = openstack(service, "stack", "show", "cli-delete", check=False)
    assert missing.returncode == 1
    assert "Stack not found: cli-delete" in missing.stderr or "could not be found" in missing.stderr


def test_event_list(service):
    create(service, "cli-events", "--wait")
    log = openstack(service, "stack", "event", "list", "cli-events").stdout
    lines = log.splitlines()
    assert "[cli-events]: CREATE_IN_PROGRESS  Stack CREATE started" in lines[0]
    assert "[cli-events]: CREATE_COMPLETE  Stack CREATE completed successfully" in lines[-1]
    # heatclient prefixes a resource with its stack's name once it has seen
    # that stack's own event, as it does against Heat
    assert any("[cli-events.greeter]: CREATE_COMPLETE  state changed" in line for line in lines)


def test_resource_list(service):
    create(service, "cli-resources", "--wait")
    listed = as_json(openstack(service, "stack", "resource", "list", "cli-resources", "-f", "json"))
    assert sorted((r["resource_name"], r["resource_type"], r["resource_status"]) for r in listed) == [
        ("boot_script", "OS::Heat::Value", "CREATE_COMPLETE"),
        ("child", "file://" + str(FILES / "child.yaml"), "CREATE_COMPLETE"),
        ("greeter", "OS::Heat::TestResource", "CREATE_COMPLETE"),
    ]
    nested = as_json(openstack(service, "stack", "resource", "list", "-n", "1", "--filter", "type=OS::Heat::Value",
                               "cli-resources", "-f", "json"))
    assert sorted(r["resource_name"] for r in nested) == ["boot_script", "doubler"]


def test_output_show_all(service):
    create(service, "cli-outputs", "--parameter", "size=2", "--wait")
    assert outputs(service, "cli-outputs")["child_size"] == 4
    one = as_json(openstack(service, "stack", "output", "show", "cli-outputs", "greeting", "-f", "json"))
    assert one["output_value"] == "hello"


def test_hook_clear_on_a_paused_pre_create_hook(service):
    create(service, "cli-hook", "--pre-create", "greeter")
    deadline = time.monotonic() + 20
    while "CREATE paused until Hook pre-create is cleared" not in openstack(
            service, "stack", "event", "list", "cli-hook").stdout:
        assert time.monotonic() < deadline, "the hook never paused the resource"
        time.sleep(0.2)
    hooks = openstack(service, "stack", "hook", "poll", "cli-hook", "-f", "json")
    assert [h["Resource Name"] for h in as_json(hooks)] == ["greeter"]
    openstack(service, "stack", "hook", "clear", "--pre-create", "cli-hook", "greeter")
    wait_for(service, "cli-hook", "CREATE_COMPLETE")


def test_check_suspend_resume(service):
    create(service, "cli-actions", "--wait")
    openstack(service, "stack", "check", "cli-actions")
    wait_for(service, "cli-actions", "CHECK_COMPLETE")
    openstack(service, "stack", "suspend", "--wait", "cli-actions")
    wait_for(service, "cli-actions", "SUSPEND_COMPLETE")
    openstack(service, "stack", "resume", "--wait", "cli-actions")
    wait_for(service, "cli-actions", "RESUME_COMPLETE")


def test_template_validate(service):
    valid = as_json(openstack(service, "orchestration", "template", "validate", "-t", "app.yaml", "-e", "env.yaml",
                              "-f", "json"))
    assert valid["Description"] == "The compatibility suite's stack, with a get_file and a child template."
    assert valid["Parameters"]["greeting"]["Value"] == "from-the-environment"
    assert valid["Parameters"]["secret"]["NoEcho"] == "true"


def test_template_validate_reports_the_problem(service, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("heat_template_version: 2018-08-31\nresources:\n  v:\n    type: OS::Heat::Value\n"
                      "    properties:\n      value: {get_param: nowhere}\n")
    result = openstack(service, "orchestration", "template", "validate", "-t", str(broken), check=False)
    assert result.returncode == 1
    assert "ERROR:" in result.stderr and "nowhere" in result.stderr


def test_resource_type_list(service):
    listed = as_json(openstack(service, "orchestration", "resource", "type", "list", "-f", "json"))
    names = {entry["Resource Type"] for entry in listed}
    assert {"OS::Heat::Value", "OS::Heat::TestResource", "OS::Heat::WaitCondition"} <= names


def test_errors_print_the_message(service):
    create(service, "cli-twice", "--wait")
    again = openstack(service, "stack", "create", "-t", "app.yaml", "cli-twice", check=False)
    assert again.returncode == 1
    assert "ERROR: The Stack (cli-twice) already exists." in again.stderr


def test_another_project_sees_nothing(service):
    create(service, "cli-private", "--wait")
    assert as_json(openstack(service, "stack", "list", "-f", "json", who="beta")) == []
    hidden = openstack(service, "stack", "show", "cli-private", who="beta", check=False)
    assert hidden.returncode == 1 and "cli-private" in hidden.stderr


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    from tests.api.service import live_service

    with live_service(tmp_path_factory.mktemp("compat")) as running:
        yield running
