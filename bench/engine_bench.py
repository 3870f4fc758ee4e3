"""Benchmark: the engine's own overhead, creating and deleting generated stacks.

    python bench/engine_bench.py [--scenario NAME ...] [--runs 3] [--database URL]

Scenarios (each in a fresh process and a fresh SQLite database, so that peak
memory is the scenario's own):

    fanout   1,000 independent OS::Heat::None: create + delete
    wait     200 independent OS::Heat::TestResource waiting 1 s on create
    chain    a chain of 20 TestResources waiting 0.5 s each
    dag      a layered DAG: 10 layers of 50 None, each needing 3 of the layer before
    group    a ResourceGroup of 1,000 OS::Heat::None
    nested   a ResourceGroup of 1,000 provider-template members of 20 None each (20,000 resources)

Times are wall-clock seconds from the request to the final state, as a
client sees them, measured after one small warm-up stack in the same
process (as a running service is warm); the figures quoted in
docs/benchmarks.md are medians of ``--runs`` runs made back to back.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.runner import create_and_delete, runs_in_children  # noqa: E402

SCENARIOS = ("fanout", "wait", "chain", "dag", "group", "nested")


def template_for(scenario: str) -> tuple[dict, dict]:
    """The template of a scenario, and its files map."""
    version = "2018-08-31"
    if scenario == "fanout":
        return {"heat_template_version": version,
                "resources": {f"r{i}": {"type": "OS::Heat::None"} for i in range(1000)}}, {}
    if scenario == "wait":
        return {"heat_template_version": version, "resources": {
            f"r{i}": {"type": "OS::Heat::TestResource", "properties": {"action_wait_secs": {"create": 1}}}
            for i in range(200)}}, {}
    if scenario == "chain":
        resources = {}
        for i in range(20):
            resources[f"r{i}"] = {"type": "OS::Heat::TestResource", "properties": {"action_wait_secs": {"create": 0.5}}}
            if i:
                resources[f"r{i}"]["depends_on"] = f"r{i - 1}"
        return {"heat_template_version": version, "resources": resources}, {}
    if scenario == "dag":
        resources = {}
        for layer in range(10):
            for i in range(50):
                entry: dict = {"type": "OS::Heat::None"}
                if layer:
                    entry["depends_on"] = [f"l{layer - 1}n{(i + k) % 50}" for k in range(3)]
                resources[f"l{layer}n{i}"] = entry
        return {"heat_template_version": version, "resources": resources}, {}
    if scenario == "group":
        return {"heat_template_version": version, "resources": {"group": {
            "type": "OS::Heat::ResourceGroup",
            "properties": {"count": 1000, "resource_def": {"type": "OS::Heat::None"}}}}}, {}
    if scenario == "nested":
        member = {"heat_template_version": version,
                  "resources": {f"n{i}": {"type": "OS::Heat::None"} for i in range(20)}}
        return {"heat_template_version": version, "resources": {"group": {
            "type": "OS::Heat::ResourceGroup",
            "properties": {"count": 1000, "resource_def": {"type": "member.yaml"}}}}}, \
            {"member.yaml": json.dumps(member)}
    raise ValueError(scenario)


def run_scenario(scenario: str, database_url: str | None) -> dict:
    """Create then delete the scenario's stack once; timings and peak memory of this process."""
    from orchestrator.db.database import Database
    from orchestrator.engine.context import EngineContext, EngineSettings, freeze_startup_objects
    from orchestrator.engine.service import Engine
    from resources.registry import PluginRegistry

    with tempfile.TemporaryDirectory() as folder:
        database = Database(database_url or f"sqlite:///{folder}/bench.db")
        database.upgrade()
        settings = EngineSettings(max_resources_per_stack=-1, max_events_per_stack=100_000)
        context = EngineContext(database, PluginRegistry.discover(), settings=settings)
        engine = Engine(context)
        # A running service has its statement caches warm: measure after one small stack.
        warm_up = {"heat_template_version": "2018-08-31", "resources": {
            f"w{i}": {"type": "OS::Heat::TestResource" if i % 2 else "OS::Heat::None"} for i in range(10)}}
        create_and_delete(engine, "warm-up", warm_up)
        freeze_startup_objects()  # as a service does once it is set up
        template, files = template_for(scenario)
        timings = create_and_delete(engine, f"bench-{scenario}", template, files)
        context.close()
        database.dispose()
    return {"scenario": scenario, **timings,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", help="database URL (default: a new SQLite file per run)")
    parser.add_argument("--one", choices=SCENARIOS, help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()

    if args.one:
        print(json.dumps(run_scenario(args.one, args.database)))
        return
    print(f"{'scenario':<8} {'request':>8} {'create':>8} {'delete':>8} {'total':>8} {'peak MiB':>9}  (median of "
          f"{args.runs}; seconds)")
    for scenario in args.scenario:
        database = ["--database", args.database] if args.database else []
        results = runs_in_children(__file__, ["--one", scenario, *database], args.runs, scenario)
        if not results:
            continue
        median = {key: statistics.median(r[key] for r in results)
                  for key in ("request", "create", "delete", "total", "peak_rss_mib")}
        flag = "" if all(r["ok"] for r in results) else "  NOT ALL COMPLETE"
        print(f"{scenario:<8} {median['request']:8.3f} {median['create']:8.3f} {median['delete']:8.3f} "
              f"{median['total']:8.3f} {median['peak_rss_mib']:9.0f}{flag}")


if __name__ == "__main__":
    main()
