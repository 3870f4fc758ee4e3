"""Benchmark: stack list and stack show under concurrent clients, against the real service.

    python bench/api_bench.py [--stacks 500] [--clients 50] [--requests 2000] [--client-processes 2]
                              [--page 20] [--scenarios list,list-paged,show] [--profile FILE]
                              [--mode serve|api] [--api-workers 2] [--api-threads 8]

``--mode serve`` (the default) starts ``orchestrator serve`` as a subprocess
(the API on waitress, the in-process worker, SQLite in a temporary data
directory); ``--mode api`` starts ``orchestrator api`` (gunicorn) and one
``orchestrator worker`` on a fresh PostgreSQL database and a broker queue of
their own (``--database``, ``--broker``), removed afterwards.

It creates ``--stacks`` stacks of a tiny template through the API and waits
until all are complete, then runs each scenario in turn: ``--clients``
concurrent clients, each a thread with its own ``requests.Session`` (spread
over ``--client-processes`` processes, so that the clients' own Python work
is not serialised on one interpreter lock), sending ``--requests`` requests
in all, each client sending its next request when the last one is answered.
Prints p50/p90/p99/max latency and throughput per scenario as a Markdown
table.  Scenarios: ``list`` is ``GET /v1/demo/stacks`` (every stack, as
``openstack stack list`` asks), ``list-paged`` the same with ``limit=--page``,
``show`` is ``GET /v1/demo/stacks/<name>/<id>`` of a random stack.

``--profile FILE`` samples the server processes with py-spy (``--gil``:
whichever thread holds the interpreter lock) during the measured requests,
writes the folded stacks to FILE and prints where the time goes.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import requests

ORCHESTRATOR = str(Path(sys.executable).with_name("orchestrator"))
PROJECT = "demo"
TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "description": "A tiny stack for the API benchmark.",
    "resources": {"value": {"type": "OS::Heat::Value", "properties": {"value": "benchmark"}}},
    "outputs": {"value": {"value": {"get_attr": ["value", "value"]}}},
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Service:
    """The service under test, in subprocesses, with its files in a temporary directory."""

    process: subprocess.Popen  # the one py-spy samples (with its children)

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="api-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1/{PROJECT}"
        self.env = {name: value for name, value in os.environ.items() if not name.startswith("ORCHESTRATOR_")}
        self.env["ORCHESTRATOR_LIMITS__MAX_STACKS_PER_PROJECT"] = "-1"  # --stacks may go past Heat's 512
        self.processes: list[tuple[subprocess.Popen, Path]] = []
        self.cleanups: list = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = self.folder / f"{name}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen([ORCHESTRATOR, *args], env=self.env, cwd=self.folder, stdout=output,
                                       stderr=subprocess.STDOUT)
        self.processes.append((process, log))
        return process

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{self.port}/", timeout=2)
                return
            except requests.ConnectionError:
                if any(process.poll() is not None for process, _ in self.processes) or time.monotonic() > deadline:
                    logs = "\n".join(log.read_text(errors="replace") for _, log in self.processes)
                    self.close()
                    raise SystemExit(f"the service did not start:\n{logs}")
                time.sleep(0.1)

    def close(self) -> None:
        for process, _ in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for cleanup in reversed(self.cleanups):
            cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)


class Serve(Service):
    """``orchestrator serve``: waitress (16 threads) and the in-process worker in one process, SQLite."""

    def __init__(self) -> None:
        super().__init__()
        self.process = self.start("serve", "serve", "--data-dir", str(self.folder / "data"), "--port", str(self.port))
        self.wait_until_up()
        self.token = (self.folder / "data" / "admin-token").read_text().strip()
        self.description = "orchestrator serve (waitress, 16 threads, in-process worker, SQLite)"


class Distributed(Service):
    """``orchestrator api`` (gunicorn) and one ``orchestrator worker``, on PostgreSQL and a broker."""

    def __init__(self, database: str, broker: str, workers: int, threads: int) -> None:
        super().__init__()
        from sqlalchemy import create_engine, text

        name = f"orchestrator_bench_{uuid.uuid4().hex[:12]}"
        admin = create_engine(f"{database}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        self.cleanups.append(drop)
        queue = f"orchestrator-bench-{uuid.uuid4().hex[:12]}"
        self.cleanups.append(lambda: delete_queue(broker, queue))
        self.token = "bench-token"
        self.env.update(ORCHESTRATOR_DATABASE__URL=f"{database}/{name}", ORCHESTRATOR_WORKER__BROKER_URL=broker,
                        ORCHESTRATOR_WORKER__QUEUE=queue, ORCHESTRATOR_API__TOKENS=f"{self.token}={PROJECT}/member",
                        ORCHESTRATOR_API__PORT=str(self.port), ORCHESTRATOR_SERVICE__DATA_DIR=str(self.folder / "data"))
        subprocess.run([ORCHESTRATOR, "db", "upgrade"], env=self.env, cwd=self.folder, check=True,
                       capture_output=True)
        self.start("worker", "worker", "--log-level", "WARNING")
        self.process = self.start("api", "api", "--workers", str(workers), "--threads", str(threads),
                                  "--log-level", "WARNING")
        self.wait_until_up()
        self.description = (f"orchestrator api (gunicorn, {workers} processes × {threads} threads) + "
                            f"1 orchestrator worker, PostgreSQL, {broker.partition(':')[0]}")


def delete_queue(broker: str, queue: str) -> None:
    """Remove the benchmark's queue from the broker."""
    from kombu import Connection

    with Connection(broker, connect_timeout=5) as connection:
        channel = connection.channel()
        channel.queue_delete(queue)
        channel.exchange_delete(queue)


def headers(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token, "Accept": "application/json", "Content-Type": "application/json"}


def store_stacks(server: Service, count: int) -> list[tuple[str, str]]:
    """Create ``count`` stacks through the API; ``(name, id)`` of each once all are complete."""
    session = requests.Session()
    session.headers.update(headers(server.token))

    def create(number: int) -> tuple[str, str]:
        name = f"bench-{number:05d}"
        response = session.post(f"{server.url}/stacks", json={"stack_name": name, "template": TEMPLATE},
                                timeout=60)
        if response.status_code != 201:
            raise SystemExit(f"create {name}: {response.status_code} {response.text}")
        return name, response.json()["stack"]["id"]

    with ThreadPoolExecutor(8) as pool:
        stacks = list(pool.map(create, range(count)))
    deadline = time.monotonic() + 600
    while True:
        listed = session.get(f"{server.url}/stacks", timeout=60).json()["stacks"]
        states = Counter(stack["stack_status"] for stack in listed)
        if states.get("CREATE_COMPLETE") == count:
            return stacks
        if time.monotonic() > deadline or states.keys() - {"CREATE_COMPLETE", "CREATE_IN_PROGRESS"}:
            raise SystemExit(f"stacks did not all complete: {dict(states)}")
        time.sleep(0.5)


def client_process(url: str, token: str, paths: list[list[str]]) -> tuple[float, float, list[float], int]:
    """Run one thread per list of paths; ``(start, end, latencies in s, errors)``."""
    def client(own: list[str]) -> tuple[list[float], int]:
        session = requests.Session()
        session.headers.update(headers(token))
        latencies, errors = [], 0
        for path in own:
            began = time.perf_counter()
            response = session.get(url + path, timeout=60, allow_redirects=False)
            body = response.content  # read all of it, as a client would
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200 or not body:
                errors += 1
        return latencies, errors

    start = time.time()
    with ThreadPoolExecutor(len(paths)) as pool:
        results = list(pool.map(client, paths))
    end = time.time()
    return start, end, [latency for own, _ in results for latency in own], sum(errors for _, errors in results)


def run_scenario(server: Service, paths: list[str], clients: int, processes: int) -> dict[str, float]:
    """Send ``paths`` with ``clients`` concurrent clients; latency percentiles (ms) and throughput."""
    per_client = [paths[number::clients] for number in range(clients)]
    groups = [per_client[number::processes] for number in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        results = list(pool.map(client_process, [server.url] * processes, [server.token] * processes, groups))
    latencies = sorted(latency for _, _, own, _ in results for latency in own)
    wall = max(end for _, end, _, _ in results) - min(start for start, _, _, _ in results)
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"requests": len(latencies), "errors": sum(errors for *_, errors in results),
            "p50": quantiles[49] * 1000, "p90": quantiles[89] * 1000, "p99": quantiles[98] * 1000,
            "max": latencies[-1] * 1000, "throughput": len(latencies) / wall}


def start_profiler(server: Service, output: str) -> subprocess.Popen:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise SystemExit("--profile needs py-spy (pip install py-spy)")
    return subprocess.Popen([py_spy, "record", "--pid", str(server.process.pid), "--format", "raw",
                             "--output", output, "--rate", "250", "--gil", "--subprocesses", "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise_profile(path: str, top: int = 25) -> None:
    """Print where the server spent its time (samples of whichever thread held the GIL), by function."""
    own, inclusive, total = Counter(), Counter(), 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        samples = int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if not total:
        print("no request-handling samples")
        return
    print(f"\nserver profile: {total} samples of the thread holding the GIL")
    print("\nself time:")
    for frame, samples in own.most_common(top):
        print(f"  {samples / total:6.1%}  {frame}")
    print("\ninclusive time (orchestrator, flask, sqlalchemy, json, waitress frames):")
    interesting = [(frame, samples) for frame, samples in inclusive.most_common()
                   if any(part in frame for part in ("orchestrator", "flask", "sqlalchemy", "json", "werkzeug"))]
    for frame, samples in interesting[:top]:
        print(f"  {samples / total:6.1%}  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=int, default=500, help="stacks stored before measuring")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario, all clients together")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the client threads are spread over")
    parser.add_argument("--page", type=int, default=20, help="limit of the paged-list scenario")
    parser.add_argument("--scenarios", default="list,list-paged,show", help="which scenarios, comma-separated")
    parser.add_argument("--profile", help="sample the server with py-spy while measuring; folded stacks to FILE")
    parser.add_argument("--mode", choices=("serve", "api"), default="serve",
                        help="serve: orchestrator serve; api: orchestrator api + worker (PostgreSQL and a broker)")
    parser.add_argument("--database", default="postgresql+psycopg2://postgres@127.0.0.1",
                        help="--mode api: PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//", help="--mode api: broker URL")
    parser.add_argument("--api-workers", type=int, default=2, help="--mode api: gunicorn processes")
    parser.add_argument("--api-threads", type=int, default=8, help="--mode api: threads per gunicorn process")
    args = parser.parse_args()

    server = Serve() if args.mode == "serve" else Distributed(args.database, args.broker, args.api_workers,
                                                                  args.api_threads)
    try:
        began = time.perf_counter()
        stacks = store_stacks(server, args.stacks)
        print(f"stored {len(stacks)} stacks in {time.perf_counter() - began:.1f} s; {server.description}")
        listed = requests.get(f"{server.url}/stacks", headers=headers(server.token), timeout=60)
        print(f"one full list: {len(listed.json()['stacks'])} stacks, {len(listed.content) / 1024:.0f} KiB of JSON")
        chooser = random.Random(42)
        scenarios = {
            "list": lambda: "/stacks",
            "list-paged": lambda: f"/stacks?limit={args.page}",
            "show": lambda: "/stacks/{}/{}".format(*chooser.choice(stacks)),
        }
        wanted = [name.strip() for name in args.scenarios.split(",") if name.strip()]
        # warm up every path once (template caches, connection pools) before measuring
        run_scenario(server, [scenarios[name]() for name in wanted for _ in range(args.clients)], args.clients,
                     args.client_processes)
        profiler = start_profiler(server, args.profile) if args.profile else None
        rows = {name: run_scenario(server, [scenarios[name]() for _ in range(args.requests)], args.clients,
                                   args.client_processes) for name in wanted}
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(60)
    finally:
        server.close()

    print(f"\n{args.clients} clients ({args.client_processes} processes), {args.requests} requests per scenario, "
          f"{args.stacks} stacks\n")
    print("| scenario | requests | errors | p50 | p90 | p99 | max | throughput |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['requests']} | {row['errors']} | {row['p50']:.1f} ms | {row['p90']:.1f} ms | "
              f"{row['p99']:.1f} ms | {row['max']:.1f} ms | {row['throughput']:.0f} req/s |")
    if args.profile:
        summarise_profile(args.profile)
    print(json.dumps({"stacks": args.stacks, "clients": args.clients, "results": rows}), file=sys.stderr)


if __name__ == "__main__":
    main()
