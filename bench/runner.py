"""What the engine benchmarks share: one fresh process per run, and a timed create-then-delete."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def runs_in_children(script: str, arguments: list[str], runs: int, label: str) -> list[dict]:
    """Run ``script --one … arguments`` ``runs`` times, each in a fresh process; the JSON each printed last.

    A failed run ends the series (its error output goes to stderr), so fewer
    results than ``runs`` come back.
    """
    results = []
    for _ in range(runs):
        output = subprocess.run([sys.executable, script, *arguments], capture_output=True, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        if output.returncode != 0:
            print(f"{label}: failed\n{output.stderr[-2000:]}", file=sys.stderr)
            break
        results.append(json.loads(output.stdout.strip().splitlines()[-1]))
    return results


def create_and_delete(engine: Any, name: str, template: Any, files: dict | None = None) -> dict:
    """Create a stack and delete it again on ``engine``: wall-clock seconds of each step and whether both completed."""
    from orchestrator.engine.requests import StackRequest

    started = time.perf_counter()
    job = engine.create_stack(StackRequest(name=name, template=template, files=files or {}))
    requested = time.perf_counter()
    created_ok = engine.run(job)
    created = time.perf_counter()
    deleted_ok = engine.run(engine.delete_stack(job.stack_id))
    deleted = time.perf_counter()
    return {"ok": bool(created_ok and deleted_ok), "request": requested - started, "create": created - started,
            "delete": deleted - created, "total": deleted - started}
