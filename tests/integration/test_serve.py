"""``orchestrator serve`` driven by the real ``openstack`` command, through the clouds.yaml it writes.

The service runs as a subprocess (API and in-process worker, SQLite in its
data directory); it must stop cleanly on SIGTERM and find its stacks again
when it starts once more on the same data directory.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from .conftest import OPENSTACK_CLI, REPO, Client, clean_environment, free_port, wait_for_http
from .test_distributed import template

HELLO = REPO / "templates" / "hello.yaml"


def openstack(data: Path, *args: str) -> str:
    """``openstack --os-cloud orchestrator ARGS…`` with serve's clouds.yaml; what it printed."""
    done = subprocess.run([OPENSTACK_CLI, "--os-cloud", "orchestrator", *args], capture_output=True, text=True,
                          timeout=120, env=clean_environment(OS_CLIENT_CONFIG_FILE=str(data / "clouds.yaml")))
    assert done.returncode == 0, f"openstack {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def start_serve(processes, name: str, data: Path, port: int, **settings: str):
    """``orchestrator serve`` with ``ORCHESTRATOR_<KEY>`` variables from ``settings``, once it answers."""
    environment = clean_environment(**{f"ORCHESTRATOR_{key.upper()}": value for key, value in settings.items()})
    serve = processes.start(name, "serve", "--data-dir", data, "--port", port, env=environment)
    wait_for_http(f"http://127.0.0.1:{port}/", serve)
    return serve


def test_openstack_cli_against_serve(processes, tmp_path):
    data, port = tmp_path / "data", free_port()
    serve = start_serve(processes, "serve", data, port)

    created = openstack(data, "stack", "create", "-t", str(HELLO), "hello", "--wait", "--poll", "1")
    assert "Stack CREATE completed successfully" in created, created
    shown = json.loads(openstack(data, "stack", "show", "hello", "-f", "json"))
    assert shown["stack_status"] == "CREATE_COMPLETE", shown
    outputs = {output["output_key"]: output["output_value"] for output in shown["outputs"]}
    assert outputs["message"] == "Hello from hello (the worker says Hello)", outputs
    assert re.fullmatch(r"[A-Za-z0-9]{16}", outputs["password"]), outputs

    assert serve.terminate() == 0, serve.output()
    said = serve.output()
    # quiet by default: no Celery banner, no warning about root, no traceback
    for noise in ("celery@", "SecurityWarning", "Traceback", "[queues]"):
        assert noise not in said, f"serve printed {noise!r}:\n{said}"

    # the same data directory again: the stack is still there, the same stack
    again = start_serve(processes, "serve-again", data, port)
    kept = json.loads(openstack(data, "stack", "show", "hello", "-f", "json"))
    assert (kept["id"], kept["stack_status"]) == (shown["id"], "CREATE_COMPLETE"), kept
    assert {output["output_key"]: output["output_value"] for output in kept["outputs"]} == outputs

    openstack(data, "stack", "delete", "hello", "--yes", "--wait")
    assert json.loads(openstack(data, "stack", "list", "-f", "json")) == []
    assert again.terminate() == 0, again.output()


def test_a_job_may_wait_in_the_embedded_queue_longer_than_the_lease(processes, tmp_path):
    # one job at a time, a lease far shorter than the job ahead in the queue, frequent recovery passes
    data, port = tmp_path / "data", free_port()
    serve = start_serve(processes, "serve", data, port, worker__concurrency="1", worker__lock_lease_seconds="2",
                        worker__recovery_interval="1")
    client = Client(port, token=(data / "admin-token").read_text().strip(), project="demo")
    quick = client.create("quick", template(0))
    assert client.settle("quick", quick, timeout=30)["stack_status"] == "CREATE_COMPLETE"

    slow = client.create("slow", template(6))
    client.wait_for_resource("slow", slow, "slow", "CREATE_IN_PROGRESS")
    changed = template(0)
    changed["resources"]["slow"]["properties"]["value"] = "changed"
    assert client.call("PUT", f"stacks/quick/{quick}", json={"template": changed}).status_code == 202

    # the update waits behind the slow create for three leases: its lock is kept, it is not abandoned
    stack = client.settle("quick", quick, timeout=60)
    assert (stack["stack_status"], stack["stack_status_reason"]) == ("UPDATE_COMPLETE",
                                                                     "Stack UPDATE completed successfully"), stack
    assert client.settle("slow", slow, timeout=30)["stack_status"] == "CREATE_COMPLETE"
    assert "took over" not in serve.output(), serve.output()
    assert serve.terminate() == 0
