"""Fixtures of the integration suite: the ``orchestrator`` command's real processes.

Every process is a subprocess of the test, started from the installed
console script with its settings in ``ORCHESTRATOR_*`` variables (as an
operator would run it), its output in a log file.  Whatever a test starts is
stopped when it ends, however it ends: SIGTERM first, then SIGKILL to the
process group.  The logs are printed in the teardown, which pytest shows
only for a test that failed.

Deployments use the machine's PostgreSQL (a database of their own, dropped
afterwards), RabbitMQ or Redis (a queue of their own, deleted afterwards).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests
from sqlalchemy import create_engine, text

#: the installed ``orchestrator`` command of this virtualenv
ORCHESTRATOR = str(Path(sys.executable).with_name("orchestrator"))
#: the real ``openstack`` command (python-openstackclient with heatclient) of this virtualenv
OPENSTACK_CLI = str(Path(sys.executable).with_name("openstack"))
REPO = Path(__file__).resolve().parents[2]
#: the machine's services (``scripts/services.sh`` starts any that is down)
SERVICES = {"PostgreSQL": 5432, "RabbitMQ": 5672, "Redis": 6379}
POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1"
BROKERS = {"rabbitmq": "amqp://guest:guest@127.0.0.1:5672//", "redis": "redis://127.0.0.1:6379/0"}
PROJECT = "integration"
TOKEN = "integration-token"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any ``ORCHESTRATOR_*`` or ``OS_*`` setting, plus ``extra``."""
    kept = {name: value for name, value in os.environ.items()
            if not name.startswith(("ORCHESTRATOR_", "OS_"))}
    return {**kept, "PYTHONUNBUFFERED": "1", **extra}


class Process:
    """One subprocess, its output (stdout and stderr) in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path, log_path: Path):
        self.name = name
        self.args = args
        self.log_path = log_path
        self._log = open(log_path, "wb")
        # a session of its own: a crash of the test never leaves its children behind
        # unnoticed, and the whole group can be killed by its id
        self.popen = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        """The first match of ``pattern`` in the output, once it is there."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.output())
            if match:
                return match
            if not self.alive():
                raise AssertionError(f"{self.name} exited ({self.popen.returncode}) before printing {pattern!r}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not print {pattern!r} within {timeout} s")
            time.sleep(0.1)

    def terminate(self, timeout: float = 30) -> int:
        """Stop it with SIGTERM; its exit status.  Killed (and the test failed) if it does not stop in time."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill_group()
                raise AssertionError(f"{self.name} did not stop within {timeout} s of SIGTERM") from None
        return self.popen.returncode

    def crash(self) -> None:
        """SIGKILL the process itself, as a machine failure would."""
        self.popen.kill()
        self.popen.wait(10)

    def kill_group(self) -> None:
        """SIGKILL whatever is left of the process and its children."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        """Stop it (politely first) and close its log."""
        try:
            if self.alive():
                self.terminate(timeout=20)
        except AssertionError:
            pass
        finally:
            self.kill_group()
            self._log.close()

    def report(self) -> str:
        status = "running" if self.alive() else f"exit status {self.popen.returncode}"
        return f"===== {self.name} (pid {self.pid}, {status}): {' '.join(self.args[1:])}\n{self.output()}"


@dataclass
class Processes:
    """Starts processes for one test and stops all of them afterwards."""

    folder: Path
    started: list[Process] = field(default_factory=list)
    closed: bool = False

    def start(self, name: str, *args: Any, env: dict[str, str], cwd: Path | None = None) -> Process:
        """``orchestrator ARGS…`` as process ``name``."""
        process = Process(name, [ORCHESTRATOR, *map(str, args)], env, cwd or self.folder,
                          self.folder / f"{name}.log")
        self.started.append(process)
        return process

    def close(self) -> None:
        """Stop every process and print its log (once)."""
        if self.closed:
            return
        self.closed = True
        for process in reversed(self.started):
            process.close()
        # printed in the teardown: pytest shows it only when the test failed
        for process in self.started:
            print(process.report())


def wait_for_http(url: str, process: Process, timeout: float = 60) -> None:
    """Return once ``url`` answers, whatever the status; fail if ``process`` dies first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=5, allow_redirects=False)
            return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or still loading the application (a busy machine takes seconds)
        if not process.alive():
            raise AssertionError(f"{process.name} exited ({process.popen.returncode}) before {url} answered")
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer within {timeout} s")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def machine_services() -> None:
    """Fail at once, with what to do, when a service the suite needs is down."""
    down = []
    for name, port in SERVICES.items():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError:
            down.append(f"{name} (127.0.0.1:{port})")
    if down:
        pytest.fail(f"not running: {', '.join(down)}; start them with scripts/services.sh", pytrace=False)


@pytest.fixture
def processes(tmp_path) -> Iterator[Processes]:
    """Start ``orchestrator`` processes; all are stopped, and their logs printed, when the test ends."""
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.close()


@dataclass
class Client:
    """Calls to the API on ``port`` with ``token``, in ``project``."""

    port: int
    token: str = TOKEN
    project: str = PROJECT

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/{self.project}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """``method`` on ``/v1/<project>/<path>`` (redirects are not followed)."""
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, f"{self.endpoint}/{path.lstrip('/')}", timeout=30,
                                headers={"X-Auth-Token": self.token, "Accept": "application/json"}, **kwargs)

    def create(self, name: str, template: dict) -> str:
        """Create a stack; its id."""
        response = self.call("POST", "stacks", json={"stack_name": name, "template": template})
        assert response.status_code == 201, response.text
        return response.json()["stack"]["id"]

    def stack(self, name: str, stack_id: str) -> dict | None:
        """The stack as the API shows it; ``None`` once it is gone (404)."""
        response = self.call("GET", f"stacks/{name}/{stack_id}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()["stack"]

    def settle(self, name: str, stack_id: str, timeout: float) -> dict | None:
        """The stack once it is no longer in progress (``None``: deleted and gone)."""
        deadline = time.monotonic() + timeout
        while True:
            stack = self.stack(name, stack_id)
            if stack is None or not stack["stack_status"].endswith("IN_PROGRESS"):
                return stack
            assert time.monotonic() < deadline, f"stack {name} still {stack['stack_status']} after {timeout} s"
            time.sleep(0.2)

    def wait_for_resource(self, name: str, stack_id: str, resource: str, status: str, timeout: float = 30) -> None:
        """Until resource ``resource`` of the stack is in ``status`` (``CREATE_IN_PROGRESS``)."""
        deadline = time.monotonic() + timeout
        while (shown := self.call("GET", f"stacks/{name}/{stack_id}/resources/{resource}").json()["resource"]
               )["resource_status"] != status:
            assert time.monotonic() < deadline, shown
            time.sleep(0.05)


@dataclass
class Deployment(Client):
    """An API (gunicorn) and workers on one database and one broker queue, as in production."""

    processes: Processes = field(kw_only=True)
    folder: Path = field(kw_only=True)
    env: dict[str, str] = field(kw_only=True)
    workers: dict[str, Process] = field(default_factory=dict)

    def run(self, *args: str) -> str:
        """``orchestrator ARGS…`` to its end; what it printed.  Fails the test if it fails."""
        done = subprocess.run([ORCHESTRATOR, *args], env=self.env, cwd=self.folder, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"orchestrator {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start_api(self, **overrides: str) -> Process:
        """``orchestrator api``, once it answers HTTP; ``overrides`` are environment variables of its own."""
        api = self.processes.start("api", "api", "--workers", 2, "--threads", 8, env={**self.env, **overrides},
                                   cwd=self.folder)
        wait_for_http(f"http://127.0.0.1:{self.port}/", api)
        return api

    def start_worker(self, name: str) -> Process:
        """``orchestrator worker`` as Celery node ``name@integration``, once it consumes."""
        worker = self.processes.start(name, "worker", "--hostname", f"{name}@integration", "--log-level", "INFO",
                                      env=self.env, cwd=self.folder)
        worker.wait_for(rf"{name}@integration ready", timeout=60)
        self.workers[name] = worker
        return worker


def _create_database() -> str:
    name = f"orchestrator_it_{uuid.uuid4().hex[:12]}"
    engine = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return name


def _drop_database(name: str) -> None:
    engine = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            # FORCE: a crashed worker's connections may not be gone yet
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def _delete_queue(broker_url: str, queue: str) -> None:
    if broker_url.startswith("redis://"):
        import redis

        # kombu keeps a queue's bindings in keys of their own, which queue_delete leaves behind
        client = redis.Redis.from_url(broker_url)
        try:
            for key in client.scan_iter(match=f"*{queue}*"):
                client.delete(key)
        finally:
            client.close()
        return
    from kombu import Connection

    with Connection(broker_url, connect_timeout=5) as connection:
        channel = connection.channel()
        channel.queue_delete(queue)
        channel.exchange_delete(queue)


@pytest.fixture
def deploy(machine_services, processes: Processes, tmp_path) -> Iterator[Callable[..., Deployment]]:
    """Make deployments: ``deploy("rabbitmq", recovery_interval=1)`` → a migrated database, an API, no workers yet.

    Keyword arguments are ``[worker]`` settings; ``api_broker`` gives the API
    another broker URL than the workers'.  Databases and queues are removed
    when the test ends.
    """
    cleanups: list[Callable[[], None]] = []
    made = 0

    def make(broker: str, api_broker: str | None = None, **worker_settings: Any) -> Deployment:
        nonlocal made
        made += 1
        database = _create_database()
        cleanups.append(lambda: _drop_database(database))
        queue = f"orchestrator-it-{uuid.uuid4().hex[:12]}"
        cleanups.append(lambda: _delete_queue(BROKERS[broker], queue))
        folder = tmp_path / f"deployment-{made}"
        folder.mkdir()
        port = free_port()
        env = clean_environment(
            ORCHESTRATOR_DATABASE__URL=f"{POSTGRES}/{database}",
            ORCHESTRATOR_WORKER__BROKER_URL=BROKERS[broker],
            ORCHESTRATOR_WORKER__QUEUE=queue,
            ORCHESTRATOR_API__TOKENS=f"{TOKEN}={PROJECT}/member",
            ORCHESTRATOR_API__PORT=str(port),
            # the signing key lives in the data directory, which API and workers share here
            ORCHESTRATOR_SERVICE__DATA_DIR=str(folder / "data"),
            **{f"ORCHESTRATOR_WORKER__{key.upper()}": str(value) for key, value in worker_settings.items()})
        deployment = Deployment(port, processes=processes, folder=folder, env=env)
        deployment.run("db", "upgrade")
        deployment.start_api(**({"ORCHESTRATOR_WORKER__BROKER_URL": api_broker} if api_broker else {}))
        return deployment

    try:
        yield make
    finally:
        processes.close()  # before the database goes: workers hold connections to it
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as exc:  # one failed cleanup must not hide the others
                print(f"cleanup failed: {exc!r}")
